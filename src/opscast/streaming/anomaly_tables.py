"""Stored predictions of the stream: flagged points and the latest time-to-failure estimates.

Anomalies are keyed by (host, metric, ds) and failure forecasts by (host, metric), so
a redelivered batch rewrites the same rows instead of adding copies.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from opscast.db import Base


class Anomaly(Base):
    __tablename__ = "anomalies"
    __table_args__ = (UniqueConstraint("host", "metric", "ds", name="uq_anomalies_point"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    host: Mapped[str] = mapped_column(String(100), index=True)
    metric: Mapped[str] = mapped_column(String(100))
    ds: Mapped[datetime] = mapped_column(DateTime, index=True)
    value: Mapped[float] = mapped_column(Float)
    score: Mapped[float] = mapped_column(Float, index=True)
    detector: Mapped[str] = mapped_column(String(40))
    explanation: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    detected_at: Mapped[datetime] = mapped_column(DateTime)


class FailureForecast(Base):
    __tablename__ = "failure_forecasts"

    host: Mapped[str] = mapped_column(String(100), primary_key=True)
    metric: Mapped[str] = mapped_column(String(100), primary_key=True)
    as_of: Mapped[datetime] = mapped_column(DateTime)
    level: Mapped[float] = mapped_column(Float)
    limit: Mapped[float] = mapped_column(Float)
    rate_per_hour: Mapped[float] = mapped_column(Float)
    failure_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    eta_hours: Mapped[float] = mapped_column(Float)
    earliest_hours: Mapped[float] = mapped_column(Float)
    latest_hours: Mapped[float | None] = mapped_column(Float)
    sentence: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
