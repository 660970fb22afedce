"""Granularities people plan in, and aggregation of series to them.

Periods are labelled by their start (weeks start on Monday, quarters on Jan/Apr/Jul/Oct
1st) because that is how planners and the incident API name them ("Q1 2024" is
2024-01-01). Aggregation and gap filling are vectorised per series with
``groupby`` + ``resample``; filling runs only between a series' own first and last
period, so a series that starts late is not padded with invented zeros.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

import numpy as np
import pandas as pd

from opscast.timeseries.errors import FrameValidationError

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
        """The pandas offset alias whose periods are labelled by their start."""
        return _OFFSETS[self]

    @classmethod
    def parse(cls, value: str | Granularity) -> Granularity:
        if isinstance(value, Granularity):
            return value
        key = value.strip()
        found = _ALIASES.get(key) or _ALIASES.get(key.lower())
        if found is None:
            valid = ", ".join(member.value for member in cls)
            raise FrameValidationError(
                f"unknown granularity {value!r}; use one of {valid}", column="granularity"
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

_ALIASES: dict[str, Granularity] = {
    **{member.value: member for member in Granularity},
    **{member.name: member for member in Granularity},
    "1min": Granularity.minute,
    "min": Granularity.minute,
    "T": Granularity.minute,
    "5min": Granularity.five_minutes,
    "15min": Granularity.fifteen_minutes,
    "h": Granularity.hourly,
    "H": Granularity.hourly,
    "1h": Granularity.hourly,
    "hour": Granularity.hourly,
    "d": Granularity.daily,
    "D": Granularity.daily,
    "1d": Granularity.daily,
    "day": Granularity.daily,
    "w": Granularity.weekly,
    "W": Granularity.weekly,
    "week": Granularity.weekly,
    "M": Granularity.monthly,
    "MS": Granularity.monthly,
    "month": Granularity.monthly,
    "Q": Granularity.quarterly,
    "QS": Granularity.quarterly,
    "quarter": Granularity.quarterly,
}


def period_start(ds: pd.Series, granularity: Granularity | str) -> pd.Series:
    """The start of the period each timestamp falls in."""
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
    return starts


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
    """Aggregate each series of a long frame to ``granularity`` and fill its gaps by ``fill``."""
    target = Granularity.parse(granularity)
    _check_choice(agg, AGGREGATIONS, "agg")
    _check_choice(fill, FILL_POLICIES, "fill")
    if not pd.api.types.is_datetime64_any_dtype(df["ds"]):
        raise FrameValidationError("resampling needs timestamps in ds, not steps", column="ds")
    if df.empty:
        return df[["unique_id", "ds", "y"]].copy()
    periods = df[["unique_id", "y"]].assign(ds=period_start(df["ds"], target))
    grouped = periods.groupby(["unique_id", "ds"], sort=True)["y"]
    aggregated = (grouped.size() if agg == "count" else grouped.agg(agg)).rename("y")
    frame = aggregated.reset_index()
    frame["y"] = frame["y"].astype("float64")
    return fill_gaps(frame, target.offset, fill)


def fill_gaps(df: pd.DataFrame, freq: str, policy: FillPolicy) -> pd.DataFrame:
    """Insert the missing periods between each series' first and last one, filled by ``policy``."""
    _check_choice(policy, FILL_POLICIES, "fill")
    if df.empty or policy == "drop":
        return df.dropna(subset=["y"]).reset_index(drop=True)
    bounds = df.groupby("unique_id", sort=True)["ds"].agg(["min", "max"])
    pieces = [
        pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, end, freq=freq)})
        for uid, start, end in bounds.itertuples(name=None)
    ]
    grid = pd.concat(pieces, ignore_index=True)
    full = grid.merge(df, on=["unique_id", "ds"], how="left")
    if policy == "zero":
        full["y"] = full["y"].fillna(0.0)
    elif policy == "ffill":
        full["y"] = full.groupby("unique_id", sort=False)["y"].ffill()
    elif policy == "interpolate":
        full["y"] = full.groupby("unique_id", sort=False)["y"].transform(
            lambda values: values.interpolate(limit_area="inside")
        )
    full["y"] = full["y"].astype(np.float64)
    return full
