"""Every query on demand data sets."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from opscast.demand.tables import DemandDataset


class DatasetRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, dataset: DemandDataset) -> DemandDataset:
        self.session.add(dataset)
        self.session.flush()
        return dataset

    def latest(self) -> DemandDataset | None:
        return self.session.scalar(select(DemandDataset).order_by(DemandDataset.id.desc()).limit(1))
