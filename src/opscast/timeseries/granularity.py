"""Granularities people plan in, and aggregation of series to them.

Periods are labelled by their start (weeks start on Monday, quarters on Jan/Apr/Jul/Oct
1st) because that is how planners and the incident API name them ("Q1 2024" is
2024-01-01). Aggregation is one ``groupby`` over (series, period start) and gap filling
is array arithmetic on each point's grid position, so cost grows with the number of
points, not with a Python loop over series or rows. Filling runs only between a series'
own first and last period, so a series that starts late is not padded with invented
zeros.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset

from opscast.timeseries.errors import FrameValidationError
from opscast.timeseries.frames import normalise_columns, validate_long_frame
from opscast.timeseries.grid import Step, grid_positions, grid_values, parse_step

Aggregation = Literal["sum", "mean", "max", "min", "last", "count"]
FillPolicy = Literal["zero", "ffill", "interpolate", "nan", "drop"]
AGGREGATIONS: tuple[Aggregation, ...] = ("sum", "mean", "max", "min", "last", "count")
FILL_POLICIES: tuple[FillPolicy, ...] = ("zero", "ffill", "interpolate", "nan", "drop")


class Granularity(StrEnum):
    minute = "1m"
    five_minutes = "5m"
    fifteen_minutes = "15m"
    hourly = "hourly"
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"

    @property
    def offset(self) -> str:
        """The pandas frequency of consecutive period starts (for date_range and models)."""
        return _OFFSETS[self]

    @classmethod
    def parse(cls, value: str | Granularity) -> Granularity:
        """Our names plus common pandas aliases; pandas ones are case-sensitive ("M" is not "m")."""
        if isinstance(value, Granularity):
            return value
        key = value.strip()
        found = _ALIASES.get(key) or _WORDS.get(key.lower())
        if found is None:
            valid = ", ".join(member.value for member in cls)
            raise FrameValidationError(
                f"unknown granularity {value!r}; use one of {valid} "
                "(pandas aliases such as 5min, h, D, W, MS or QS also work)",
                column="granularity",
            )
        return found


_OFFSETS: dict[Granularity, str] = {
    Granularity.minute: "min",
    Granularity.five_minutes: "5min",
    Granularity.fifteen_minutes: "15min",
    Granularity.hourly: "h",
    Granularity.daily: "D",
    Granularity.weekly: "W-MON",
    Granularity.monthly: "MS",
    Granularity.quarterly: "QS",
}

# Case-insensitive words: no risk of reading a month "M" as a minute "m".
_WORDS: dict[str, Granularity] = {
    **{member.value: member for member in Granularity if member.value.isalpha()},
    **{member.name: member for member in Granularity},
    "minute": Granularity.minute,
    "minutely": Granularity.minute,
    "hour": Granularity.hourly,
    "day": Granularity.daily,
    "week": Granularity.weekly,
    "month": Granularity.monthly,
    "quarter": Granularity.quarterly,
}

# Exact pandas-style aliases.
_ALIASES: dict[str, Granularity] = {
    **{member.value: member for member in Granularity},
    "1min": Granularity.minute,
    "min": Granularity.minute,
    "T": Granularity.minute,
    "1T": Granularity.minute,
    "5min": Granularity.five_minutes,
    "5T": Granularity.five_minutes,
    "15min": Granularity.fifteen_minutes,
    "15T": Granularity.fifteen_minutes,
    "h": Granularity.hourly,
    "H": Granularity.hourly,
    "1h": Granularity.hourly,
    "1H": Granularity.hourly,
    "60min": Granularity.hourly,
    "d": Granularity.daily,
    "D": Granularity.daily,
    "1d": Granularity.daily,
    "1D": Granularity.daily,
    "w": Granularity.weekly,
    "W": Granularity.weekly,
    "1W": Granularity.weekly,
    "W-MON": Granularity.weekly,
    "M": Granularity.monthly,
    "MS": Granularity.monthly,
    "ME": Granularity.monthly,
    "Q": Granularity.quarterly,
    "QS": Granularity.quarterly,
    "QE": Granularity.quarterly,
}


def period_start(ds: pd.Series, granularity: Granularity | str) -> pd.Series:
    """The start of the period each timestamp falls in (weeks from Monday 00:00)."""
    target = Granularity.parse(granularity)
    starts: pd.Series
    if target is Granularity.weekly:
        days = ds.dt.normalize()
        starts = days - pd.to_timedelta(days.dt.dayofweek, unit="D")
    elif target is Granularity.monthly:
        starts = ds.dt.to_period("M").dt.start_time
    elif target is Granularity.quarterly:
        starts = ds.dt.to_period("Q").dt.start_time
    else:
        starts = ds.dt.floor(target.offset)
    return starts.astype("datetime64[ns]")


def _check_choice(value: str, allowed: tuple[str, ...], column: str) -> None:
    if value not in allowed:
        raise FrameValidationError(
            f"unknown {column} {value!r}; use one of {', '.join(allowed)}", column=column
        )


def resample(
    df: pd.DataFrame,
    granularity: Granularity | str,
    *,
    agg: Aggregation = "sum",
    fill: FillPolicy = "zero",
) -> pd.DataFrame:
    """Aggregate each series of a long frame to ``granularity`` and fill its gaps by ``fill``.

    The input may hold several rows per series and time (raw events); ``count`` counts
    rows whatever their y, the other aggregations skip missing y. Only unique_id, ds and
    y are returned: how to aggregate exogenous columns is the caller's decision.
    """
    target = Granularity.parse(granularity)
    _check_choice(agg, AGGREGATIONS, "agg")
    _check_choice(fill, FILL_POLICIES, "fill")
    frame = normalise_columns(df, allow_missing_y=True)
    if not pd.api.types.is_datetime64_any_dtype(frame["ds"]):
        raise FrameValidationError(
            "resampling needs timestamps in ds, not integer steps; send timestamps",
            column="ds",
        )
    periods = frame[["unique_id", "y"]].assign(ds=period_start(frame["ds"], target))
    grouped = periods.groupby(["unique_id", "ds"], sort=True)["y"]
    aggregated = (grouped.size() if agg == "count" else grouped.agg(agg)).rename("y")
    result = aggregated.reset_index()
    result["y"] = result["y"].astype("float64")
    return _fill(result, parse_step(target.offset, integer_ds=False), fill)


def fill_gaps(
    df: pd.DataFrame, freq: str | int | BaseOffset | Granularity, policy: FillPolicy
) -> pd.DataFrame:
    """Insert the missing points between each series' first and last one, filled by ``policy``.

    ``freq`` is a pandas alias, a Granularity, or a whole step for integer ``ds``; points
    off that grid are refused (resample first). ``zero``/``ffill``/``interpolate``
    (linear, inside each series only) also fill missing y already in the input, ``nan``
    leaves holes as NaN and ``drop`` removes them instead. Extra columns are kept, NaN
    on inserted rows.
    """
    _check_choice(policy, FILL_POLICIES, "fill")
    frame = validate_long_frame(df, allow_missing_y=True)
    integer_ds = pd.api.types.is_integer_dtype(frame["ds"])
    alias = freq.offset if isinstance(freq, Granularity) else freq
    return _fill(frame, parse_step(alias, integer_ds=integer_ds), policy)


def _fill(frame: pd.DataFrame, step: Step, policy: FillPolicy) -> pd.DataFrame:
    """Gap filling on a frame already sorted by (unique_id, ds) with unique pairs."""
    if policy == "drop":
        return frame.dropna(subset=["y"]).reset_index(drop=True)
    positions = grid_positions(frame["unique_id"], frame["ds"], step)
    by_series = frame.groupby("unique_id", sort=False)
    rows_per_series = by_series.size().to_numpy()
    counts = pd.Series(positions).groupby(frame["unique_id"], sort=False).max().to_numpy() + 1
    series_start = np.cumsum(counts) - counts
    targets = np.repeat(series_start, rows_per_series) + positions
    full = frame.set_axis(targets).reindex(pd.RangeIndex(int(counts.sum())))
    full["unique_id"] = np.repeat(by_series["unique_id"].first().to_numpy(), counts)
    full["ds"] = grid_values(by_series["ds"].first(), counts.astype("int64"), step)
    y = full["y"]
    if policy == "zero":
        y = y.fillna(0.0)
    elif policy == "ffill":
        y = y.groupby(full["unique_id"], sort=False).ffill()
    elif policy == "interpolate":
        # Linear by position over the whole column, then undo whatever crossed from one
        # series into the next: a value is inside its series only if something valid
        # comes before and after it within that series.
        series = full["unique_id"]
        inside = y.groupby(series, sort=False).ffill().notna() & (
            y.groupby(series, sort=False).bfill().notna()
        )
        y = y.interpolate(method="linear", limit_area="inside").where(inside)
    full["y"] = y.astype("float64")
    return full
