"""Stored time series: one row per series, one row per point.

Points are keyed by (series, timestamp) so that re-sending a batch overwrites
instead of duplicating: ingestion can retry without bookkeeping.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from opscast.db import Base


class Series(Base):
    __tablename__ = "series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unique_id: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    source: Mapped[str] = mapped_column(String(100))
    freq: Mapped[str | None] = mapped_column(String(20))
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(
        DateTime, server_default=func.now(), onupdate=func.now()
    )


class SeriesPoint(Base):
    __tablename__ = "series_points"

    series_id: Mapped[int] = mapped_column(
        ForeignKey("series.id", ondelete="CASCADE"), primary_key=True
    )
    ds: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    y: Mapped[float] = mapped_column(Float)
