"""Shared time axes and seasonal shapes for the simulators.

Each simulator builds its signal as a product of smooth seasonal factors on a
vectorised time axis; keeping the axes and the holiday rule in one place means the
incident, traffic and demand demos share the same notion of a working week.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]

# Month-day pairs of fixed-date public holidays common to many operations calendars.
FIXED_HOLIDAYS = ((1, 1), (5, 1), (7, 4), (11, 11), (12, 24), (12, 25), (12, 26), (12, 31))


def time_axis(start: str, days: int, freq: str) -> pd.DatetimeIndex:
    if days < 1:
        raise ValueError("days must be at least 1")
    end = pd.Timestamp(start) + pd.Timedelta(days=days)
    return pd.date_range(start, end, freq=freq, inclusive="left")


def is_holiday(ds: pd.DatetimeIndex) -> npt.NDArray[np.bool_]:
    month_day = ds.month * 100 + ds.day
    wanted = np.array([month * 100 + day for month, day in FIXED_HOLIDAYS])
    return np.isin(np.asarray(month_day), wanted)


def day_fraction(ds: pd.DatetimeIndex) -> FloatArray:
    """Hours since midnight as a fraction of the day (0 <= x < 1)."""
    return np.asarray((ds.hour * 60 + ds.minute) / 1440.0, dtype=np.float64)


def year_fraction(ds: pd.DatetimeIndex) -> FloatArray:
    return np.asarray((ds.dayofyear - 1) / 365.25, dtype=np.float64)


def daily_cycle(ds: pd.DatetimeIndex, *, trough: float, peak_hour: float = 14.0) -> FloatArray:
    """1.0 at the afternoon peak, ``trough`` around 3-4 am; a smooth working-day shape."""
    phase = 2 * np.pi * (day_fraction(ds) - peak_hour / 24.0)
    shape = (np.cos(phase) + 1.0) / 2.0
    return trough + (1.0 - trough) * shape**1.5


def weekly_factor(ds: pd.DatetimeIndex, weekend: float) -> FloatArray:
    return np.where(np.asarray(ds.dayofweek) >= 5, weekend, 1.0)


def yearly_factor(ds: pd.DatetimeIndex, amplitude: float, phase: float = 0.0) -> FloatArray:
    return 1.0 + amplitude * np.sin(2 * np.pi * (year_fraction(ds) + phase))
