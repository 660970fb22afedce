"""Receipts of stored ``system_metrics`` batches.

A broker delivers at least once; a batch id recorded in the same transaction as its
points turns a second delivery into a no-op. Replacing a point at the same timestamp
would already be harmless, but log events are counted (added to the minute's count),
and a count must not grow when a batch is delivered twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opscast.db import Base


class IngestBatch(Base):
    __tablename__ = "ingest_batches"

    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    points: Mapped[int] = mapped_column(Integer)
    log_events: Mapped[int] = mapped_column(Integer)
    stored_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class OutboxBatch(Base):
    """A stored batch the broker could not take: published (and deleted) once it is back.

    Written only when a publish fails, so the ingestion path pays nothing while the broker
    is up; the pipeline replays these oldest first, and the consumers' receipts above make
    a batch that was in fact delivered before its publish reported failure a no-op.
    """

    __tablename__ = "stream_outbox"

    batch_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    topic: Mapped[str] = mapped_column(String(100))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)
