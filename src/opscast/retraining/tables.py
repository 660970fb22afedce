"""How each retrainable target keeps its models fresh: manual, on a schedule, or on drift."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opscast.db import Base


class RetrainPolicy(Base):
    __tablename__ = "retrain_policies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target: Mapped[str] = mapped_column(String(60), unique=True)
    mode: Mapped[str] = mapped_column(String(20))
    cron: Mapped[str | None] = mapped_column(String(100))
    cooldown_minutes: Mapped[int] = mapped_column(Integer)
    tolerance: Mapped[float] = mapped_column(Float)
    last_drift_retrain_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)
