"""Recursive forecasts of a fitted mlforecast tree model, stepped in numpy.

``MLForecast.predict(new_df=...)`` rebuilds its per-series state from the context and
then, for every step, assembles the step's features in pandas frames. A traffic request
forecasts one series from a posted context, so those frames were most of
``POST /forecast/predict``'s cost (``benchmarks/request_profile.py --endpoint predict``
found 92 % of the busy samples inside the model's predict before this module). Here each
step's features are read straight from one array (lags, rolling means of lags, calendar
fields of the step's timestamp) in the order the model was trained on, and the
prediction is written back into the array for the next step, as mlforecast does.

Only the features opscast's feature plan produces are understood; a model with any
other feature gets no plan and is left to mlforecast. A test holds the two paths equal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.forecasting.tree_arrays import compile_trees

FloatArray = npt.NDArray[np.float64]
LAG = re.compile(r"lag(\d+)")
ROLLING_MEAN = re.compile(r"rolling_mean_lag(\d+)_window_size(\d+)")
CALENDAR = frozenset({"hour", "dayofweek", "month"})


@dataclass(frozen=True)
class Feature:
    """One model input: ``lag`` points back, averaged over ``window`` points (1: the lag
    itself), or the calendar field ``calendar`` of the step's timestamp."""

    lag: int = 0
    window: int = 1
    calendar: str = ""


def feature_steps(names: Sequence[str]) -> list[Feature] | None:
    """The model's features in training order, or None when one is not understood."""
    steps = []
    for name in names:
        if lag := LAG.fullmatch(name):
            steps.append(Feature(lag=int(lag.group(1))))
        elif mean := ROLLING_MEAN.fullmatch(name):
            steps.append(Feature(lag=int(mean.group(1)), window=int(mean.group(2))))
        elif name in CALENDAR:
            steps.append(Feature(calendar=name))
        else:
            return None
    return steps


def one_row_predictor(regressor: Any) -> Callable[[FloatArray], FloatArray]:
    """The regressor's prediction for a row of features: its trees stepped in numpy where
    they compile (``tree_arrays``), else the library without the sklearn wrapper's
    per-call checks where it offers that (LightGBM's booster). Rows with a missing value
    always go to the library, which alone knows where each split sends them."""
    # LightGBM's booster: its sklearn wrapper would check names on every call
    booster = getattr(regressor, "booster_", None)
    library = regressor.predict if booster is None else booster.predict
    trees = compile_trees(regressor)
    if trees is None:
        return lambda row: np.asarray(library(row), dtype=np.float64)

    def predict(row: FloatArray) -> FloatArray:
        if np.isnan(row).any():
            return np.asarray(library(row), dtype=np.float64)
        return np.array([trees.predict(row)])

    return predict


def forecast_recursively(
    predict_row: Callable[[FloatArray], FloatArray],
    features: Sequence[Feature],
    context: FloatArray,
    stamps: pd.DatetimeIndex,
) -> FloatArray:
    """One prediction per timestamp of ``stamps``, each fed back as the next step's lag 1."""
    calendar = {
        feature.calendar: np.asarray(getattr(stamps, feature.calendar), dtype=np.float64)
        for feature in features
        if feature.calendar
    }
    values = np.concatenate([np.asarray(context, dtype=np.float64), np.zeros(len(stamps))])
    start = len(context)
    row = np.empty((1, len(features)))
    for step in range(len(stamps)):
        now = start + step
        for column, feature in enumerate(features):
            if feature.calendar:
                row[0, column] = calendar[feature.calendar][step]
            else:
                end = now - feature.lag + 1
                row[0, column] = values[end - feature.window : end].mean()
        values[now] = predict_row(row)[0]
    return values[start:]
