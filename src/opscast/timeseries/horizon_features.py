"""Features a forecast made ``horizon`` steps ahead could have known, for many series at once.

A global model asked for sales 90 days out cannot use yesterday's sales: when the
forecast is made, the 89 days in between have not happened. Training it with a lag of
1 anyway teaches it to lean on a value it will never have, and the backtest looks far
better than production. So every lag here is at least ``horizon`` and every rolling
window ends ``horizon`` steps before the row; a feature of a row at time t then depends
on values up to t - horizon only, whatever is asked. The series are first laid on one
complete daily grid, so that a lag of k rows always means k steps (``features.py``
counts rows), and the grid is extended past the data for the dates to forecast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from opscast.timeseries.errors import FrameValidationError
from opscast.timeseries.features import add_calendar, add_lags, add_rolling

DEFAULT_CALENDAR = ("day_of_week", "day_of_month", "day_of_year", "month", "week_of_year", "year")


@dataclass(frozen=True, slots=True)
class HorizonSpec:
    """Which features to build and how far ahead they must hold.

    ``lags`` are in steps and must each be at least ``horizon``; ``windows`` are rolling
    means ending ``horizon`` steps back; ``weekday_weeks`` averages the same weekday over
    that many weeks, starting at the first week at least ``horizon`` back (the weekly
    shape of a daily series at the level it had then).
    """

    horizon: int
    lags: tuple[int, ...] = (91, 98, 182, 364, 728)
    windows: tuple[int, ...] = (7, 28, 91, 364)
    weekday_weeks: int = 13
    calendar: tuple[str, ...] = DEFAULT_CALENDAR
    freq: str = "D"
    statics: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.horizon < 1:
            raise FrameValidationError(
                f"horizon is {self.horizon}; it must be at least 1 step", column="horizon"
            )
        short = [lag for lag in self.lags if lag < self.horizon]
        if short:
            raise FrameValidationError(
                f"lag(s) {', '.join(map(str, short))} are shorter than the horizon "
                f"{self.horizon}: a forecast {self.horizon} steps ahead cannot know them; "
                f"use lags of at least {self.horizon}",
                column="lags",
            )
        if any(window < 1 for window in self.windows) or self.weekday_weeks < 0:
            raise FrameValidationError(
                "windows must be positive and weekday_weeks at least 0", column="windows"
            )

    @property
    def weekday_start(self) -> int:
        """The first same-weekday lag at least ``horizon`` steps back."""
        return -(-self.horizon // 7) * 7

    @property
    def columns(self) -> list[str]:
        """The feature columns ``horizon_features`` adds, in a stable order."""
        names = [*self.statics, *self.calendar]
        names += [f"lag{lag}" for lag in self.lags]
        names += [f"rolling_mean_{window}" for window in self.windows]
        if self.weekday_weeks:
            names.append(f"weekday_mean_{self.weekday_weeks}")
        return names


def complete_grid(
    df: pd.DataFrame, *, freq: str = "D", until: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Every series on every step from the first step of the data to ``until`` (or its end).

    Missing steps get y NaN; columns other than unique_id, ds and y are per-series values
    (store, item) and are carried to the new rows. Sorted by (unique_id, ds).
    """
    for column in ("unique_id", "ds", "y"):
        if column not in df.columns:
            raise FrameValidationError(f"missing column {column}", column=column)
    end = df["ds"].max() if until is None else max(df["ds"].max(), until)
    steps = pd.date_range(df["ds"].min(), end, freq=freq)
    ids = pd.Index(df["unique_id"].drop_duplicates().sort_values())
    grid = pd.MultiIndex.from_product([ids, steps], names=["unique_id", "ds"])
    if df.duplicated(["unique_id", "ds"]).any():
        raise FrameValidationError(
            "two rows share a series and a step; aggregate first", column="ds"
        )
    full = df.set_index(["unique_id", "ds"])[["y"]].reindex(grid).reset_index()
    statics = [column for column in df.columns if column not in ("unique_id", "ds", "y")]
    if statics:
        per_series = df.drop_duplicates("unique_id").set_index("unique_id")[statics]
        for column in statics:
            full[column] = full["unique_id"].map(per_series[column]).to_numpy()
    return full


def horizon_features(
    df: pd.DataFrame, spec: HorizonSpec, *, until: pd.Timestamp | None = None
) -> pd.DataFrame:
    """The long frame on a complete grid (to ``until``) with ``spec.columns`` added.

    The feature values of a row at step t use y up to t - horizon only; rows past the
    data (up to ``until``) have y NaN and features as far as the history allows.
    """
    grid = complete_grid(df, freq=spec.freq, until=until)
    frame = add_calendar(grid)
    if spec.lags:
        frame = add_lags(frame, spec.lags)
    if spec.windows:
        frame = add_rolling(frame, spec.windows, stats=("mean",), gap=spec.horizon)
    if spec.weekday_weeks:
        grouped = frame.groupby("unique_id", sort=False)["y"]
        shifted = np.column_stack(
            [
                grouped.shift(spec.weekday_start + 7 * week).to_numpy(np.float64)
                for week in range(spec.weekday_weeks)
            ]
        )
        with np.errstate(all="ignore"):
            counts = np.sum(~np.isnan(shifted), axis=1)
            sums = np.nansum(shifted, axis=1)
            frame[f"weekday_mean_{spec.weekday_weeks}"] = np.where(
                counts > 0, sums / np.maximum(counts, 1), np.nan
            )
    keep = ["unique_id", "ds", "y", *spec.columns]
    missing = [column for column in keep if column not in frame.columns]
    if missing:
        raise FrameValidationError(
            f"unknown feature(s) {', '.join(missing)}; calendar features are "
            "day_of_week, day_of_month, day_of_year, month, quarter, week_of_year, year, "
            "is_weekend, hour",
            column=missing[0],
        )
    return frame[keep]
