"""Fit one incident category at one granularity: aggregate, select a model by backtest, fit.

Each granularity has a plan: its season, the backtest horizon and the candidates, all
cheap (a start-up trains every category at four granularities in the background). The
candidates are backtested on the same rolling windows and the one with the lowest MASE
(MAE where MASE is undefined) is refitted on the whole history; its backtest errors are
the metrics the registry stores. Only periods observed in full are used: a week cut in
half by the end of the export would look like a collapse in incidents.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from opscast.forecasting import ForecastingError, backtest
from opscast.forecasting.zoo import ModelSpec, single_model
from opscast.timeseries import Granularity, resample
from opscast.timeseries.granularity import period_start

BACKTEST_WINDOWS = 2
# What a model raises on a history it cannot fit: ForecastingError (a ValueError) from
# opscast's kernel, and from statsforecast e.g. NotImplementedError("tiny datasets").
CANNOT_FIT = (ValueError, ArithmeticError, NotImplementedError)
METRIC_NAMES = ("mae", "rmse", "mape", "smape", "mase")


@dataclass(frozen=True, slots=True)
class LevelPlan:
    granularity: Granularity
    season_length: int
    backtest_horizon: int
    min_train: int
    max_periods: int
    candidates: tuple[str, ...]

    @property
    def min_history(self) -> int:
        return self.min_train + self.backtest_horizon * BACKTEST_WINDOWS


PLANS: dict[Granularity, LevelPlan] = {
    Granularity.daily: LevelPlan(
        Granularity.daily, 7, 14, 28, 366, ("seasonal_naive", "theta", "mstl")
    ),
    Granularity.weekly: LevelPlan(
        Granularity.weekly, 52, 4, 12, 104, ("seasonal_naive", "ets", "theta")
    ),
    Granularity.monthly: LevelPlan(
        Granularity.monthly, 12, 3, 12, 24, ("seasonal_naive", "ets", "theta")
    ),
    Granularity.quarterly: LevelPlan(
        Granularity.quarterly, 4, 2, 4, 8, ("seasonal_naive", "ets", "theta")
    ),
}
GRANULARITIES = tuple(PLANS)


class InsufficientHistoryError(ForecastingError):
    """Too few complete periods at a granularity to backtest and fit a model."""


@dataclass
class LevelModel:
    """A fitted model of one category at one granularity: the artifact the registry keeps."""

    forecaster: Any
    model_name: str
    granularity: Granularity
    last_period: pd.Timestamp

    def predict_through(self, end: pd.Timestamp) -> pd.Series:
        """Forecasts of every period after the training data up to the one holding ``end``."""
        offset = self.granularity.offset
        steps = max(len(pd.date_range(self.last_period, end, freq=offset)) - 1, 1)
        predicted = self.forecaster.predict(steps)
        index = pd.DatetimeIndex(predicted["ds"])
        return pd.Series(predicted[self.model_name].to_numpy(np.float64), index=index)


@dataclass(frozen=True, slots=True)
class TrainedLevel:
    model: LevelModel
    frame: pd.DataFrame
    metrics: dict[str, float]
    params: dict[str, str | int | float]


def complete_periods(daily: pd.DataFrame, granularity: Granularity) -> pd.DataFrame:
    """Daily counts summed to ``granularity``, keeping only periods observed from start to end."""
    if daily.empty:
        return daily
    first_day = daily["ds"].min()
    after_last = daily["ds"].max() + pd.Timedelta(days=1)
    unfinished = period_start(pd.Series([after_last]), granularity).iloc[0]
    summed = resample(daily, granularity, agg="sum", fill="zero")
    keep = (summed["ds"] >= first_day) & (summed["ds"] < unfinished)
    complete: pd.DataFrame = summed.loc[keep].reset_index(drop=True)
    return complete


def _unit(granularity: Granularity) -> str:
    return {"daily": "day", "weekly": "week", "monthly": "month", "quarterly": "quarter"}[
        granularity.value
    ]


def _score(metrics: dict[str, float]) -> tuple[int, float]:
    mase = metrics.get("mase", float("nan"))
    return (0, mase) if np.isfinite(mase) else (1, metrics.get("mae", float("inf")))


def fit_level(daily: pd.DataFrame, granularity: Granularity) -> TrainedLevel:
    """Select among the plan's candidates by backtest and fit the winner on all of ``daily``."""
    plan = PLANS[granularity]
    frame = complete_periods(daily, granularity)
    if len(frame) < plan.min_history:
        raise InsufficientHistoryError(
            f"{len(frame)} complete {_unit(granularity)}s of history; {granularity.value} "
            f"forecasts need at least {plan.min_history}"
        )
    fits_season = len(frame) >= 2 * plan.season_length + plan.backtest_horizon * BACKTEST_WINDOWS
    season = plan.season_length if fits_season else 1
    options: dict[str, Any] = {
        "h": plan.backtest_horizon,
        "n_windows": BACKTEST_WINDOWS,
        "freq": granularity.offset,
        "season_length": season,
    }
    try:
        scores = backtest(frame, plan.candidates, **options).overall
    except CANNOT_FIT:  # one candidate cannot fit this history: score the others alone
        scores = {}
        for candidate in plan.candidates:
            try:
                scores.update(backtest(frame, [candidate], **options).overall)
            except CANNOT_FIT:
                continue
    if not scores:
        raise InsufficientHistoryError(
            f"no model could be backtested on {len(frame)} {_unit(granularity)}s of history"
        )
    best = min(scores, key=lambda name: _score(scores[name]))
    spec = ModelSpec(freq=granularity.offset, season_length=season)
    forecaster = single_model(best, spec)().fit(frame)
    last_period = pd.Timestamp(frame["ds"].max())
    params: dict[str, str | int | float] = {
        "model": best,
        "granularity": granularity.value,
        "season_length": season,
        "backtest_horizon": plan.backtest_horizon,
        "backtest_windows": BACKTEST_WINDOWS,
        "candidates": ",".join(plan.candidates),
        "candidate_mase": ",".join(f"{n}={s['mase']:.4g}" for n, s in sorted(scores.items())),
        "history_periods": len(frame),
        "trained_through": last_period.date().isoformat(),
    }
    return TrainedLevel(
        model=LevelModel(forecaster, best, granularity, last_period),
        frame=frame,
        metrics={name: float(scores[best][name]) for name in METRIC_NAMES},
        params=params,
    )
