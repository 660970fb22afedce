"""Calendar, lag and rolling features that never look ahead.

A feature for time t may use only values before t: a rolling mean that includes y(t)
looks excellent in a backtest and useless in production, where y(t) is what is being
predicted (training/serving leakage). Lags are shifted within each series and rolling
windows are computed on the series shifted by one, so the leak cannot happen by
construction. Lags and windows count rows, so fill gaps first (``fill_gaps``) when a
row must mean one time step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from opscast.timeseries.errors import FrameValidationError

ROLLING_STATS = ("mean", "std", "min", "max")
CALENDAR_FEATURES = (
    "hour",
    "day_of_week",
    "day_of_month",
    "day_of_year",
    "month",
    "quarter",
    "week_of_year",
    "year",
    "is_weekend",
)


def _require(df: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [column for column in columns if column not in df.columns]
    if missing:
        raise FrameValidationError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}. "
            "Pass a long frame (validate_long_frame)",
            column=missing[0],
        )


def add_calendar(df: pd.DataFrame, *, tz: str | None = None) -> pd.DataFrame:
    """Calendar columns of ``ds`` (ISO week; Monday is day 0; weekend is Saturday/Sunday).

    ``ds`` is naive UTC; pass ``tz`` (e.g. "Europe/Berlin") when the pattern follows a
    local clock, as office-hours traffic does, so hour 9 means 9 local time.
    """
    _require(df, ["ds"])
    if not pd.api.types.is_datetime64_any_dtype(df["ds"]):
        raise FrameValidationError(
            "calendar features need timestamps in ds, not integer steps; send timestamps",
            column="ds",
        )
    stamps = df["ds"]
    if tz is not None:
        utc = (
            stamps if isinstance(stamps.dtype, pd.DatetimeTZDtype) else stamps.dt.tz_localize("UTC")
        )
        stamps = utc.dt.tz_convert(tz)
    ds = stamps.dt
    return df.assign(
        hour=ds.hour.astype("int16"),
        day_of_week=ds.dayofweek.astype("int16"),
        day_of_month=ds.day.astype("int16"),
        day_of_year=ds.dayofyear.astype("int16"),
        month=ds.month.astype("int16"),
        quarter=ds.quarter.astype("int16"),
        week_of_year=ds.isocalendar().week.astype("int16").to_numpy(),
        year=ds.year.astype("int16"),
        is_weekend=(ds.dayofweek >= 5),
    )


def _positive(values: Iterable[int], name: str) -> list[int]:
    checked = list(values)
    if not checked or any(value < 1 for value in checked):
        raise FrameValidationError(
            f"{name} must be positive whole numbers (got {checked}); 1 means the previous row",
            column=name,
        )
    return checked


def _sorted(df: pd.DataFrame) -> pd.DataFrame:
    _require(df, ["unique_id", "ds", "y"])
    return df.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def add_lags(df: pd.DataFrame, lags: Sequence[int]) -> pd.DataFrame:
    """``lag{k}`` = y k rows earlier in the same series (NaN where there is none).

    Returns the frame sorted by (unique_id, ds) with a fresh index.
    """
    checked = _positive(lags, "lags")
    frame = _sorted(df)
    grouped = frame.groupby("unique_id", sort=False)["y"]
    for lag in checked:
        frame[f"lag{lag}"] = grouped.shift(lag)
    return frame


def add_rolling(
    df: pd.DataFrame,
    windows: Sequence[int],
    stats: Sequence[str] = ROLLING_STATS,
    *,
    gap: int = 1,
) -> pd.DataFrame:
    """``rolling_{stat}_{w}`` over the up-to-w rows ending ``gap`` rows before each row.

    ``gap`` 1 (the default) is the window just before the row, never the row itself; a
    model that forecasts h steps ahead needs ``gap=h``, since the h-1 rows in between
    are not known yet when the forecast is made. Returns the frame sorted by
    (unique_id, ds) with a fresh index; rows with no history that far back get NaN.
    """
    unknown = [stat for stat in stats if stat not in ROLLING_STATS]
    if unknown:
        raise FrameValidationError(
            f"unknown rolling stat(s) {', '.join(unknown)}; use {', '.join(ROLLING_STATS)}",
            column="stats",
        )
    checked = _positive(windows, "windows")
    (shift,) = _positive([gap], "gap")
    frame = _sorted(df)
    past = frame.groupby("unique_id", sort=False)["y"].shift(shift)
    by_series = past.groupby(frame["unique_id"], sort=False)
    for window in checked:
        rolling = by_series.rolling(window, min_periods=1)
        for stat in stats:
            values = getattr(rolling, stat)()
            frame[f"rolling_{stat}_{window}"] = values.reset_index(level=0, drop=True)
    return frame
