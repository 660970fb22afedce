"""``auto`` (best model per series) and ``ensemble`` (mean of each series' best three).

Both rank candidate models per series by their backtest MAE on the same windows, so
the choice is made on out-of-sample errors, never on in-sample fit. Candidates are
cheap and complementary; the global model is fitted once for all series, so the cost
grows with the number of candidates, not with the number of series times candidates.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Self

import pandas as pd

from opscast.forecasting.backtest import cross_validate
from opscast.forecasting.protocol import ForecastingError
from opscast.forecasting.zoo import DEFAULT_CANDIDATES, ModelSpec, single_model

ENSEMBLE_SIZE = 3


class SelectingForecaster:
    """Picks (``auto``) or combines (``ensemble``) candidates per series by backtest MAE."""

    def __init__(
        self,
        name: str,
        spec: ModelSpec,
        *,
        horizon: int,
        n_windows: int = 2,
        candidates: Sequence[str] = DEFAULT_CANDIDATES,
        on_step: Callable[[str], None] | None = None,
    ) -> None:
        if name not in {"auto", "ensemble"}:
            raise ForecastingError(f"unknown selecting model {name!r}")
        self.name = name
        self.spec = spec
        self.horizon = horizon
        self.n_windows = n_windows
        self.candidates = list(candidates)
        self.on_step = on_step
        self.chosen_: dict[str, list[str]] = {}
        self.backtest_ = pd.DataFrame()
        self._forecasts = pd.DataFrame()

    def _report(self, message: str) -> None:
        if self.on_step is not None:
            self.on_step(message)

    def fit(self, df: pd.DataFrame) -> Self:
        backtests: list[pd.DataFrame] = []
        usable: list[str] = []
        for candidate in self.candidates:
            self._report(f"backtesting {candidate}")
            try:
                backtests.append(
                    cross_validate(
                        single_model(candidate, self.spec),
                        df,
                        h=self.horizon,
                        n_windows=self.n_windows,
                    ).set_index(["unique_id", "ds", "cutoff", "horizon", "y"])
                )
                usable.append(candidate)
            except ForecastingError:
                continue  # e.g. a global model on series too short for its lags
        if not backtests:
            raise ForecastingError("no candidate model could be backtested on these series")
        joined = pd.concat(backtests, axis=1, join="inner").reset_index()
        errors = joined[usable].sub(joined["y"], axis=0).abs().groupby(joined["unique_id"]).mean()
        ranking = errors.rank(axis=1, method="first")
        keep = 1 if self.name == "auto" else min(ENSEMBLE_SIZE, len(usable))
        self.chosen_ = {
            str(uid): [str(model) for model in row.sort_values().index[:keep]]
            for uid, row in ranking.iterrows()
        }
        chosen_mask = pd.DataFrame(
            {
                model: [model in self.chosen_[str(uid)] for uid in joined["unique_id"]]
                for model in usable
            }
        )
        combined = joined[usable].where(chosen_mask).mean(axis=1)
        self.backtest_ = joined[["unique_id", "ds", "cutoff", "horizon", "y"]].assign(
            **{self.name: combined}
        )

        needed = sorted({model for models in self.chosen_.values() for model in models})
        forecasts = []
        for model in needed:
            self._report(f"fitting {model}")
            ids = [uid for uid, models in self.chosen_.items() if model in models]
            subset = df if model in {"lightgbm", "xgboost"} else df[df["unique_id"].isin(ids)]
            predicted = single_model(model, self.spec)().fit(subset).predict(self.horizon)
            predicted = predicted[predicted["unique_id"].isin(ids)]
            forecasts.append(predicted.rename(columns={model: self.name}))
        stacked = pd.concat(forecasts, ignore_index=True)
        self._forecasts = stacked.groupby(["unique_id", "ds"], as_index=False).agg(
            **{self.name: (self.name, "mean")}
        )
        return self

    def predict(self, h: int) -> pd.DataFrame:
        if self._forecasts.empty:
            raise ForecastingError("fit the model before predicting")
        if h > self.horizon:
            raise ForecastingError(
                f"{self.name} was selected for {self.horizon} steps; refit for {h}"
            )
        steps = self._forecasts.groupby("unique_id", sort=False).cumcount()
        return self._forecasts[steps < h].reset_index(drop=True)
