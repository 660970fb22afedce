"""The estimator protocol every opscast model follows.

It is statsforecast's: ``fit`` on a long-format frame of many series, then
``predict(h)`` returning ``unique_id``, ``ds`` and one column named after the model.
Intervals are not each model's business: ``conformal.py`` derives them the same way
for every model from backtest errors, so a LightGBM and an ETS interval mean the same.
"""

from __future__ import annotations

from typing import Protocol, Self

import pandas as pd


class Forecaster(Protocol):
    name: str

    def fit(self, df: pd.DataFrame) -> Self:
        """Learn from ``unique_id``, ``ds``, ``y`` (every series at least a few points long)."""
        ...

    def predict(self, h: int) -> pd.DataFrame:
        """The next ``h`` steps of every fitted series: ``unique_id``, ``ds``, ``<name>``."""
        ...


class ForecastingError(ValueError):
    """A forecast that cannot be made as asked (too little history, unknown model, ...)."""
