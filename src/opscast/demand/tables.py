"""Which prepared demand data set is current: where drift checks and retraining look.

The data themselves stay in a Parquet file under ``var/`` (913,000 rows load in a
second from there and would be slow and large as database rows); the table records
each prepared set, so every process (server, worker, ``opscast retrain --if-drift``)
agrees on the newest one.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opscast.db import Base


class DemandDataset(Base):
    __tablename__ = "demand_datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    path: Mapped[str] = mapped_column(String(1000))
    source: Mapped[str] = mapped_column(String(1000))
    rows: Mapped[int] = mapped_column(Integer)
    series: Mapped[int] = mapped_column(Integer)
    bad_rows: Mapped[int] = mapped_column(Integer)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)
