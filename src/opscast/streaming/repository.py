"""Every query on ingest receipts and on the outbox of unpublished batches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from opscast.db import dialect_insert
from opscast.streaming.tables import IngestBatch, OutboxBatch


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


class OutboxRepository:
    """Batches waiting for the broker, oldest first."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def keep(self, batch_id: str, topic: str, payload: str, at: datetime) -> None:
        statement = (
            dialect_insert(self.session, OutboxBatch)
            .values(batch_id=batch_id, topic=topic, payload=payload, created_at=at)
            .on_conflict_do_nothing(index_elements=[OutboxBatch.batch_id])
        )
        self.session.execute(statement)

    def oldest(self, limit: int) -> list[OutboxBatch]:
        query = select(OutboxBatch).order_by(OutboxBatch.created_at, OutboxBatch.batch_id)
        return list(self.session.scalars(query.limit(limit)))

    def remove(self, batch_id: str) -> None:
        self.session.execute(delete(OutboxBatch).where(OutboxBatch.batch_id == batch_id))

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(OutboxBatch)) or 0
