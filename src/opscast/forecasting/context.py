"""The context a traffic model forecasts from: stored history laid right before posted points.

A model trained once forecasts from recent values (lags, rolling means, a daily
profile), but a client often posts only its latest point or a few. The stored history
supplies the rest: it is shifted by whole weeks so that it ends one step before the first
posted point, which keeps every weekday and time of day where it was, and the posted
points follow it. Gaps (log outages, steps a client skipped) are filled with the value
one week earlier (or later, at the very start), else one day away, since traffic repeats
on those periods; only what that cannot reach is interpolated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.forecasting.protocol import ForecastingError

WEEK = pd.Timedelta(days=7)
DAY = pd.Timedelta(days=1)
# A gap longer than a period needs several passes; eight weeks covers any outage we keep.
MAX_PASSES = 8


def fill_seasonal_gaps(values: pd.Series) -> pd.Series:
    """``values`` (on a regular DatetimeIndex), each NaN replaced by its week's or day's value."""
    filled = values.astype("float64")
    for period in (WEEK, -WEEK, DAY, -DAY):
        for _ in range(MAX_PASSES):
            missing = int(filled.isna().sum())
            if missing == 0:
                return filled
            donor = filled.shift(freq=period).reindex(filled.index)
            filled = filled.fillna(donor)
            if int(filled.isna().sum()) == missing:
                break
    return filled.interpolate(limit_direction="both")


def history_shift(history: pd.Series, first: pd.Timestamp, step: pd.Timedelta, length: int) -> int:
    """Whole weeks to move ``history`` so ``length`` points of it end one step before ``first``.

    No shift when the history already covers that span (a client replaying stored days),
    else the smallest shift that reaches ``first``: the most recent weeks of history.
    """
    start, end = history.index[0], history.index[-1]
    needed_start, needed_end = first - length * step, first - step
    if start <= needed_start and needed_end <= end:
        return 0
    weeks = math.ceil(float((needed_end - end) / WEEK))
    if start + weeks * WEEK > needed_start:
        raise ForecastingError(
            f"the stored history ({len(history)} points) is too short to give {length} points "
            "of context at any weekly offset"
        )
    return weeks


def _nanoseconds(index: pd.Index) -> npt.NDArray[np.int64]:
    """UTC nanoseconds of each timestamp, whatever the index's unit and zone."""
    instants = np.asarray(pd.DatetimeIndex(index).values).astype("datetime64[ns]")
    return instants.view(np.int64)


@dataclass(frozen=True, slots=True)
class Context:
    """The series a model forecasts from, and how much of it came from the stored history."""

    values: pd.Series
    history_points: int
    shift_weeks: int
    filled_points: int


def build_context(
    history: pd.Series, posted: pd.Series, step: pd.Timedelta, length: int
) -> Context:
    """``length`` points of (shifted) history, then every posted step up to the last one.

    ``history`` and ``posted`` are indexed by timestamps on the grid of ``step``; posted
    steps left out between the first and last posted point are filled like history gaps.
    """
    if posted.empty:
        raise ForecastingError("post at least one point")
    if not posted.index.is_monotonic_increasing:
        posted = posted.sort_index()
    first, last = posted.index[0], posted.index[-1]
    weeks = history_shift(history, first, step, length)
    if not history.index.is_monotonic_increasing:
        history = history.sort_index()
    # binary search and grid arithmetic on nanoseconds: comparing and reindexing every
    # stored timestamp in pandas was most of a request's time
    offset = (weeks * WEEK).value
    origin = (first - length * step).value
    stamps = history.index
    lo = stamps.searchsorted(first - length * step - weeks * WEEK, side="left")
    hi = stamps.searchsorted(first - weeks * WEEK, side="left")
    points = int((last.value - origin) // step.value) + 1
    values = np.full(points, np.nan)
    for instants, data in (
        (_nanoseconds(stamps[lo:hi]) + offset, history.to_numpy()[lo:hi].astype(np.float64)),
        (_nanoseconds(posted.index), posted.to_numpy(np.float64)),
    ):
        position, off_grid = np.divmod(instants - origin, step.value)
        on_grid = (off_grid == 0) & (position >= 0) & (position < points)
        values[position[on_grid]] = data[on_grid]
    grid = pd.DatetimeIndex((origin + step.value * np.arange(points)).view("datetime64[ns]"))
    if first.tz is not None:
        grid = grid.tz_localize("UTC").tz_convert(first.tz)
    combined = pd.Series(values, index=grid)
    missing = int(np.isnan(values).sum())
    return Context(
        values=fill_seasonal_gaps(combined) if missing else combined,
        history_points=hi - lo,
        shift_weeks=weeks,
        filled_points=missing,
    )
