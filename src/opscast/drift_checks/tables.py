"""Stored drift reports: the verdict, the JSON summary and the rendered HTML page.

The HTML is kept as text next to its summary so a report reads back exactly as it was
produced, even after opscast's report layout changes; plotly.js is not part of it (the
service serves one copy), which keeps a report to a few kilobytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from opscast.db import Base


class DriftReport(Base):
    __tablename__ = "drift_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, server_default=func.now(), index=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(40))
    drift_detected: Mapped[bool] = mapped_column(Boolean)
    share_drifted: Mapped[float | None] = mapped_column(Float)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)
    html: Mapped[str] = mapped_column(Text)
