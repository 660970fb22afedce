"""What the registry keeps beside MLflow: the audit trail and the live (shadow) scores.

MLflow records which version an alias points at now, not who moved it, when, or on what
evidence; operators asking "why is this model serving?" need exactly that history.
A backtest says how a version did on the past; shadow scores say how the champion and
the challenger do on the periods requests asked about, once those periods are observed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from opscast.db import Base


class ModelEvent(Base):
    __tablename__ = "model_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task: Mapped[str] = mapped_column(String(200), index=True)
    action: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    previous_version: Mapped[int | None] = mapped_column(Integer)
    metric: Mapped[str | None] = mapped_column(String(20))
    champion_value: Mapped[float | None] = mapped_column(Float)
    challenger_value: Mapped[float | None] = mapped_column(Float)
    tolerance: Mapped[float | None] = mapped_column(Float)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(DateTime)


class ShadowScore(Base):
    """One model version's forecast of one period of one series, and its error once observed.

    A version forecasts a period the same way whenever asked (it extrapolates from its
    own training data), so each (task, version, series, period) is stored once.
    """

    __tablename__ = "shadow_scores"
    __table_args__ = (UniqueConstraint("task", "version", "unique_id", "period_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task: Mapped[str] = mapped_column(String(200), index=True)
    alias: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    unique_id: Mapped[str] = mapped_column(String(200), index=True)
    period_start: Mapped[datetime] = mapped_column(DateTime)
    period_end: Mapped[datetime] = mapped_column(DateTime)
    predicted: Mapped[float] = mapped_column(Float)
    actual: Mapped[float | None] = mapped_column(Float)
    abs_error: Mapped[float | None] = mapped_column(Float)
    predicted_at: Mapped[datetime] = mapped_column(DateTime)
    settled_at: Mapped[datetime | None] = mapped_column(DateTime)
