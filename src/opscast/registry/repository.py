"""Every query on the registry's audit trail."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from opscast.registry.tables import ModelEvent


class ModelEventRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: ModelEvent) -> ModelEvent:
        self.session.add(event)
        self.session.flush()
        return event

    def for_task(self, task: str, limit: int = 100) -> Sequence[ModelEvent]:
        return self.session.scalars(
            select(ModelEvent)
            .where(ModelEvent.task == task)
            .order_by(ModelEvent.id.desc())
            .limit(limit)
        ).all()

    def champion_changes(self, task: str) -> Sequence[ModelEvent]:
        """Promotions and rollbacks of ``task``, newest first: the champion's history."""
        return self.session.scalars(
            select(ModelEvent)
            .where(ModelEvent.task == task, ModelEvent.action.in_(("promoted", "rolled_back")))
            .order_by(ModelEvent.id.desc())
        ).all()
