"""A statistical baseline plus a learned model of what the baseline misses.

Traffic has strong, stable cycles that MSTL/ETS capture cheaply, and short-lived
structure (bursts, event days) that a tree model on recent residuals can pick up.
Fitting the learner on residuals, not on raw values, keeps it from relearning the
cycles and lets the baseline extrapolate trend, which trees cannot. Seed 5's LSTM
residual learner is the same idea and is offered as ``learner="lstm"`` (the
``hybrid_lstm`` model, with the ``neural`` extra); LightGBM is the default since it
needs no torch.
"""

from __future__ import annotations

from typing import Self

import pandas as pd

from opscast.forecasting.global_models import GlobalForecaster
from opscast.forecasting.lstm_residuals import LSTMConfig, LSTMResidualForecaster
from opscast.forecasting.protocol import ForecastingError
from opscast.forecasting.statistical import StatisticalForecaster

# The hybrid models by name, and the learner each fits to the baseline's residuals; the
# zoo's hybrids and the traffic endpoints' hybrids are named alike.
HYBRID_LEARNERS = {"hybrid": "lightgbm", "hybrid_lstm": "lstm"}


class HybridForecaster:
    def __init__(
        self,
        name: str = "hybrid",
        *,
        freq: str | int,
        season_length: int = 1,
        seasons: tuple[int, ...] = (),
        learner: str = "lightgbm",
        seed: int = 0,
    ) -> None:
        self.name = name
        base = "mstl" if seasons or season_length > 1 else "ets"
        self._baseline = StatisticalForecaster(
            base, freq=freq, season_length=season_length, seasons=seasons
        )
        self._residuals: GlobalForecaster | LSTMResidualForecaster
        if learner == "lstm":
            self._residuals = LSTMResidualForecaster(
                "residual", freq=freq, config=LSTMConfig(seed=seed)
            )
        else:
            self._residuals = GlobalForecaster(
                "residual", freq=freq, season_length=season_length, learner=learner, seed=seed
            )
        self._fitted = False

    def fit(self, df: pd.DataFrame) -> Self:
        self._baseline.fit(df)
        fitted = self._baseline.fitted_values(df)
        residual = fitted.assign(y=fitted["y"] - fitted[self._baseline.name]).dropna(subset=["y"])
        self._residuals.fit(residual[["unique_id", "ds", "y"]])
        self._fitted = True
        return self

    def predict(self, h: int) -> pd.DataFrame:
        if not self._fitted:
            raise ForecastingError("fit the model before predicting")
        base = self._baseline.predict(h)
        correction = self._residuals.predict(h)
        merged = base.merge(correction, on=["unique_id", "ds"], how="left")
        merged[self.name] = merged[self._baseline.name] + merged["residual"].fillna(0.0)
        return merged[["unique_id", "ds", self.name]]
