"""Every query on ingest receipts and on the outbox of unpublished batches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from opscast.db import dialect_insert
from opscast.streaming.tables import IngestBatch, OutboxBatch


@dataclass(frozen=True, slots=True)
class IngestReceipt:
    batch_id: str
    source: str
    points: int
    log_events: int
    stored_at: datetime


# five bound parameters a receipt: well under every dialect's limit per statement
RECEIPTS_PER_STATEMENT = 1000


class IngestRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claim(self, receipts: Sequence[IngestReceipt]) -> set[str]:
        """Record the batches; the ids recorded now, not those recorded before (a
        redelivery) nor the repeats of an id among ``receipts``.

        On PostgreSQL a concurrent claim of the same id waits for the first transaction
        and then does nothing, so two consumers never both store one batch.
        """
        claimed: set[str] = set()
        for start in range(0, len(receipts), RECEIPTS_PER_STATEMENT):
            chunk = receipts[start : start + RECEIPTS_PER_STATEMENT]
            statement = (
                dialect_insert(self.session, IngestBatch)
                .values([asdict(receipt) for receipt in chunk])
                .on_conflict_do_nothing(index_elements=[IngestBatch.batch_id])
                .returning(IngestBatch.batch_id)
            )
            claimed.update(self.session.scalars(statement))
        return claimed

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
