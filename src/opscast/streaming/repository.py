"""Every query on ingest receipts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from opscast.db import dialect_insert
from opscast.streaming.tables import IngestBatch


class IngestRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(
        self, batch_id: str, *, source: str, points: int, log_events: int, at: datetime
    ) -> bool:
        """Record the batch; False when it was recorded before (a redelivery).

        On PostgreSQL a concurrent claim of the same id waits for the first transaction
        and then does nothing, so two consumers never both store one batch.
        """
        statement = (
            dialect_insert(self.session, IngestBatch)
            .values(
                batch_id=batch_id, source=source, points=points, log_events=log_events, stored_at=at
            )
            .on_conflict_do_nothing(index_elements=[IngestBatch.batch_id])
        )
        return self.session.scalar(statement.returning(IngestBatch.batch_id)) is not None

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(IngestBatch)) or 0
