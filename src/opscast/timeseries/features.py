"""Calendar, lag and rolling features that never look ahead.

A feature for time t may use only values before t: a rolling mean that includes y(t)
looks excellent in a backtest and useless in production, where y(t) is what is being
predicted. Lags are shifted within each series and rolling windows are computed on the
series shifted by one, so the leak cannot happen by construction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from opscast.timeseries.errors import FrameValidationError

ROLLING_STATS = ("mean", "std", "min", "max")


def add_calendar(df: pd.DataFrame) -> pd.DataFrame:
    """Hour, weekday, day of month, month, quarter, ISO week and weekend flag of ``ds``."""
    if not pd.api.types.is_datetime64_any_dtype(df["ds"]):
        raise FrameValidationError("calendar features need timestamps in ds", column="ds")
    ds = df["ds"].dt
    return df.assign(
        hour=ds.hour.astype("int16"),
        dayofweek=ds.dayofweek.astype("int16"),
        day=ds.day.astype("int16"),
        month=ds.month.astype("int16"),
        quarter=ds.quarter.astype("int16"),
        week=ds.isocalendar().week.astype("int16").to_numpy(),
        is_weekend=(ds.dayofweek >= 5),
    )


def _positive(values: Iterable[int], name: str) -> list[int]:
    checked = list(values)
    if not checked or any(value < 1 for value in checked):
        raise FrameValidationError(f"{name} must be positive whole numbers", column=name)
    return checked


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    return df.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def add_lags(df: pd.DataFrame, lags: Sequence[int]) -> pd.DataFrame:
    """``lag{k}`` = y k steps earlier in the same series (NaN where there is no such point)."""
    frame = _sorted(df)
    grouped = frame.groupby("unique_id", sort=False)["y"]
    for lag in _positive(lags, "lags"):
        frame[f"lag{lag}"] = grouped.shift(lag)
    return frame


def add_rolling(
    df: pd.DataFrame,
    windows: Sequence[int],
    stats: Sequence[str] = ROLLING_STATS,
) -> pd.DataFrame:
    """``rolling_{stat}_{w}`` over the w points before each row (the row itself excluded)."""
    unknown = [stat for stat in stats if stat not in ROLLING_STATS]
    if unknown:
        raise FrameValidationError(
            f"unknown rolling stat(s) {', '.join(unknown)}; use {', '.join(ROLLING_STATS)}",
            column="stats",
        )
    frame = _sorted(df)
    past = frame.groupby("unique_id", sort=False)["y"].shift(1)
    by_series = past.groupby(frame["unique_id"], sort=False)
    for window in _positive(windows, "windows"):
        rolling = by_series.rolling(window, min_periods=1)
        for stat in stats:
            values = getattr(rolling, stat)()
            frame[f"rolling_{stat}_{window}"] = values.reset_index(level=0, drop=True)
    return frame
