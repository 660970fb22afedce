"""Temporal reconciliation: forecasts of one series at several granularities made to add up.

Models fitted separately per granularity disagree: the quarterly model sees the trend
best, the daily one the weekday pattern, and their forecasts do not sum to each other.
Temporal hierarchies (Athanasopoulos, Hyndman, Kourentzes & Petropoulos 2017, "THieF")
fix that, and in the paper's experiments made every level more accurate: stack the
base forecasts of all levels into ``y_hat``, write each level as a sum of daily values
(``y = S b``) and take the weighted least-squares projection
``b = (S' W^-1 S)^-1 S' W^-1 y_hat`` with structural scaling, ``W = diag(days in each
row)``: a period's variance is taken as proportional to its length, which needs no
error estimates (welcome with histories of a few quarters). Every reconciled level is
then ``S b``, so quarters are exactly the sum of their months and months of their days.

Written on numpy rather than with Nixtla's hierarchicalforecast: its temporal
hierarchies (``aggregate_temporal(df, spec)``) give each level a fixed number of base
steps per period (``{"quarter": 3, "month": 1}``), while calendar periods are not fixed
(months hold 28 to 31 days, weeks straddle month ends), so the summing matrix here is
built from the calendar. The projection itself is one linear solve of size "days in
the window".

Negative daily values (possible after the projection when counts are near zero) are set
to zero before the levels are summed, which keeps every level non-negative and coherent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from opscast.timeseries import Granularity
from opscast.timeseries.granularity import period_start


@dataclass(frozen=True, slots=True)
class Reconciled:
    """Reconciled daily values over the window and every level's periods inside it."""

    daily: pd.Series
    levels: dict[Granularity, pd.Series]


def _labels(days: pd.DatetimeIndex, level: Granularity) -> pd.Series:
    return period_start(pd.Series(days), level)


def reconcile(daily: pd.Series, levels: Mapping[Granularity, pd.Series]) -> Reconciled:
    """Reconcile ``daily`` forecasts (one per consecutive day) with coarser ``levels``.

    ``levels`` maps a granularity to forecasts indexed by period start. The first period
    of a level may begin before the window (it is then partly observed: pass the
    forecast of its unobserved part); a level's last period that runs past the window,
    and periods without a forecast, are left out. The returned levels hold exactly the
    periods that took part.
    """
    days = pd.DatetimeIndex(daily.index)
    if len(days) == 0 or not (days[1:] - days[:-1] == pd.Timedelta(days=1)).all():
        raise ValueError("daily forecasts must cover consecutive days")
    after_window = days[-1] + pd.Timedelta(days=1)
    rows: list[np.ndarray] = []
    targets: list[float] = [*daily.to_numpy(dtype=np.float64)]
    kept: dict[Granularity, pd.DatetimeIndex] = {}
    for level, forecast in levels.items():
        labels = _labels(days, level).to_numpy()
        unfinished = period_start(pd.Series([after_window]), level).iloc[0]
        periods = pd.DatetimeIndex(pd.unique(labels))
        periods = periods[(periods != unfinished) & periods.isin(forecast.index)]
        kept[level] = periods
        for period in periods:
            rows.append(labels == period.to_datetime64())
            targets.append(float(forecast.loc[period]))
    aggregate = np.asarray(rows, dtype=np.float64).reshape(len(rows), len(days))
    weights = aggregate.sum(axis=1)
    y_hat = np.asarray(targets)
    # S' W^-1 S = I + A' diag(1/w) A, with S = [I; A] and unit weights on the days.
    normal = np.eye(len(days)) + aggregate.T @ (aggregate / weights[:, None])
    rhs = y_hat[: len(days)] + aggregate.T @ (y_hat[len(days) :] / weights)
    base = np.clip(np.linalg.solve(normal, rhs), 0.0, None)
    out_levels: dict[Granularity, pd.Series] = {}
    position = 0
    summed = aggregate @ base
    for level, periods in kept.items():
        out_levels[level] = pd.Series(
            summed[position : position + len(periods)], index=periods, name=str(level)
        )
        position += len(periods)
    return Reconciled(daily=pd.Series(base, index=days, name="daily"), levels=out_levels)
