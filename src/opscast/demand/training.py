"""Fit, score and serve the global demand model: the computations behind the pipeline stages.

The split is chronological: the last ``holdout_days`` of the data are the holdout the
model is judged on (and registered with), the ``validation_days`` before them stop the
boosting early, and training rows start ``warmup_days`` into the data, where the year
lags exist. Nothing here reads or writes files or the registry; ``pipeline`` and
``service`` do.

The served artifact, ``DemandModel``, holds the booster and a forecast table: the
prediction of every store-item series for every day from the first of the data to the
last plus the horizon, computed once when the model is built. A request is then a
lookup, so ``/predict`` answers in microseconds from memory, and a prediction for a
date is the same whoever asks and whenever.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.demand.config import STATICS, DemandConfig
from opscast.errors import InvalidInputError, NotFoundError
from opscast.forecasting.direct_booster import DirectBooster, fit_direct
from opscast.timeseries.horizon_features import HorizonSpec, horizon_features
from opscast.timeseries.metrics import mae, mape, rmse, seasonal_naive_scale, smape

METRICS = ("mae", "rmse", "mape", "smape", "mase")
MASE_SEASON = 7


def series_id(store: pd.Series, item: pd.Series) -> pd.Series:
    return (
        "store_" + store.astype("int64").astype(str) + "-item_" + item.astype("int64").astype(str)
    )


@dataclass(frozen=True, slots=True)
class Split:
    """The dates that bound each part of the chronological split."""

    train_start: pd.Timestamp
    valid_start: pd.Timestamp
    holdout_start: pd.Timestamp
    end: pd.Timestamp

    def summary(self) -> dict[str, str]:
        day = pd.Timedelta(days=1)
        return {
            "train": _span(self.train_start, self.valid_start - day),
            "validation": _span(self.valid_start, self.holdout_start - day),
            "holdout": _span(self.holdout_start, self.end),
        }


def _span(first: pd.Timestamp, last: pd.Timestamp) -> str:
    return f"{first:%Y-%m-%d}..{last:%Y-%m-%d}"


def split_dates(first: pd.Timestamp, last: pd.Timestamp, config: DemandConfig) -> Split:
    s = config.split
    holdout_start = last - pd.Timedelta(days=s.holdout_days - 1)
    valid_start = holdout_start - pd.Timedelta(days=s.validation_days)
    train_start = first + pd.Timedelta(days=s.warmup_days)
    if train_start >= valid_start:
        # short data: keep the split and give up the warm-up rather than refuse to train
        train_start = first
    if train_start >= valid_start:
        days = (last - first).days + 1
        raise InvalidInputError(
            f"{days} days of data; a holdout of {s.holdout_days} and a validation window of "
            f"{s.validation_days} days leave nothing to train on. Send more history or "
            "shorten split.holdout_days / split.validation_days",
            field="split",
        )
    return Split(train_start, valid_start, holdout_start, last)


def build_features(prepared: pd.DataFrame, config: DemandConfig, **kwargs: Any) -> pd.DataFrame:
    """The horizon-safe features of prepared data (unique_id, ds, y, store, item)."""
    return horizon_features(prepared, config.features.spec(), **kwargs)


def score(actual: npt.ArrayLike, predicted: npt.ArrayLike, scale: float) -> dict[str, float]:
    """MAE, RMSE, MAPE, sMAPE (percent; 0 where actual and forecast are both 0) and MASE."""
    y = np.asarray(actual, dtype=np.float64)
    f = np.asarray(predicted, dtype=np.float64)
    error = mae(y, f)
    return {
        "mae": error,
        "rmse": rmse(y, f),
        "mape": mape(y, f),
        "smape": smape(y, f),
        "mase": error / scale if scale > 0 else float("nan"),
    }


def naive_scale(features: pd.DataFrame, before: pd.Timestamp) -> float:
    """MASE's denominator: the mean weekly-naive error of the history before ``before``."""
    history = features.loc[features["ds"] < before].dropna(subset=["y"])
    scales = [
        seasonal_naive_scale(group.to_numpy(np.float64), MASE_SEASON)
        for _, group in history.groupby("unique_id", sort=False)["y"]
        if len(group) > MASE_SEASON
    ]
    return float(np.nanmean(scales)) if scales else float("nan")


@dataclass
class TrainedDemand:
    """A fitted booster with the configuration and split it was fitted under."""

    booster: DirectBooster
    config: DemandConfig
    split: Split
    rows: int


def train(
    features: pd.DataFrame,
    config: DemandConfig,
    *,
    on_round: Callable[[int, int], None] | None = None,
) -> TrainedDemand:
    known = features.dropna(subset=["y"])
    if known.empty:
        raise InvalidInputError("no sales in the data to train on", field="sales")
    split = split_dates(known["ds"].min(), known["ds"].max(), config)
    in_train = (known["ds"] >= split.train_start) & (known["ds"] < split.valid_start)
    in_valid = (known["ds"] >= split.valid_start) & (known["ds"] < split.holdout_start)
    spec = config.features.spec()
    booster = fit_direct(
        known.loc[in_train],
        known.loc[in_valid],
        spec.columns,
        config.model.booster(),
        categorical=STATICS,
        on_round=on_round,
    )
    return TrainedDemand(booster, config, split, int(in_train.sum()))


@dataclass(frozen=True, slots=True)
class Evaluation:
    metrics: dict[str, float]
    predictions: pd.DataFrame  # unique_id, store, item, ds, y, predicted


def evaluate(trained: TrainedDemand, features: pd.DataFrame, split: Split) -> Evaluation:
    """The model's errors on the holdout of ``split`` (which may come from newer data)."""
    holdout = features.loc[
        (features["ds"] >= split.holdout_start) & (features["ds"] <= split.end)
    ].dropna(subset=["y"])
    if holdout.empty:
        raise InvalidInputError("the holdout holds no sales to score against", field="split")
    predicted = trained.booster.predict(holdout)
    scale = naive_scale(features, split.holdout_start)
    frame = holdout[["unique_id", *STATICS, "ds", "y"]].assign(predicted=predicted)
    return Evaluation(score(holdout["y"], predicted, scale), frame.reset_index(drop=True))


# -- the served artifact -----------------------------------------------------------


@dataclass
class DemandModel:
    """What the registry keeps for ``store-demand`` and ``/predict`` serves from memory."""

    trained: TrainedDemand
    stores: list[int]
    items: list[int]
    pairs: set[tuple[int, int]]
    first_day: date
    last_day: date
    row_of: dict[tuple[int, int], int]
    table: npt.NDArray[np.float32]  # one row per series, one column per day
    holdout_metrics: dict[str, float] = field(default_factory=dict)

    @property
    def horizon(self) -> int:
        return self.trained.config.features.horizon

    @property
    def last_forecastable(self) -> date:
        return self.last_day + pd.Timedelta(days=self.horizon).to_pytimedelta()

    def check(self, store: int, item: int, day: date) -> None:
        """NotFoundError for an unknown store/item, InvalidInputError for a date out of range."""
        if store not in self.stores:
            raise NotFoundError(
                f"store {store} is unknown to the model; it knows stores {_ranges(self.stores)}",
                field="store",
            )
        if item not in self.items:
            raise NotFoundError(
                f"item {item} is unknown to the model; it knows items {_ranges(self.items)}",
                field="item",
            )
        if (store, item) not in self.pairs:
            raise NotFoundError(f"store {store} has no sales history of item {item}", field="item")
        if not self.first_day <= day <= self.last_forecastable:
            raise InvalidInputError(
                f"date {day.isoformat()} is outside what the model can forecast: "
                f"{self.first_day.isoformat()} to {self.last_forecastable.isoformat()} "
                f"(the data's first day to its last, {self.last_day.isoformat()}, "
                f"plus the {self.horizon}-day horizon)",
                field="date",
            )

    def predict(self, store: int, item: int, day: date) -> float:
        self.check(store, item, day)
        return float(self.table[self.row_of[(store, item)], (day - self.first_day).days])


def _ranges(values: Sequence[int]) -> str:
    ordered = sorted(values)
    if ordered == list(range(ordered[0], ordered[-1] + 1)):
        return f"{ordered[0]} to {ordered[-1]}"
    shown = ", ".join(map(str, ordered[:20]))
    return shown + (", ..." if len(ordered) > 20 else "")


def forecast_table(
    trained: TrainedDemand, prepared: pd.DataFrame, metrics: dict[str, float]
) -> DemandModel:
    """Predict every series on every day from the data's first to its last plus the horizon."""
    spec: HorizonSpec = trained.config.features.spec()
    last = pd.Timestamp(prepared["ds"].max())
    until = last + pd.Timedelta(days=spec.horizon)
    features = horizon_features(prepared, spec, until=until)
    predicted = trained.booster.predict(features)
    ids = features["unique_id"].drop_duplicates().tolist()
    days = features["ds"].nunique()
    table = predicted.astype(np.float32).reshape(len(ids), days)
    keys = features.drop_duplicates("unique_id")[list(STATICS)].astype("int64")
    pairs = [(int(s), int(i)) for s, i in keys.itertuples(index=False)]
    return DemandModel(
        trained=trained,
        stores=sorted({s for s, _ in pairs}),
        items=sorted({i for _, i in pairs}),
        pairs=set(pairs),
        first_day=pd.Timestamp(features["ds"].min()).date(),
        last_day=last.date(),
        row_of={pair: row for row, pair in enumerate(pairs)},
        table=table,
        holdout_metrics=dict(metrics),
    )
