"""Local statistical models, one fitted per series, through Nixtla's statsforecast.

statsforecast 2.x needs no numba compilation, so the first forecast of a process is as
fast as the hundredth. Seasonal models fall back to their non-seasonal form for a series
shorter than two seasons, where a seasonal fit is impossible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Self

import pandas as pd

from opscast.forecasting.protocol import ForecastingError


def _statsforecast_model(name: str, season_length: int, seasons: Sequence[int]) -> Any:
    from statsforecast import models

    makers: dict[str, Callable[[], Any]] = {
        "naive": models.Naive,
        "seasonal_naive": lambda: models.SeasonalNaive(season_length=season_length),
        "historic_average": models.HistoricAverage,
        "ets": lambda: models.AutoETS(season_length=season_length),
        "arima": lambda: models.AutoARIMA(season_length=season_length),
        "theta": lambda: models.AutoTheta(season_length=season_length),
        "mstl": lambda: models.MSTL(
            season_length=list(seasons) or [season_length],
            trend_forecaster=models.AutoETS(model="ZZN"),
        ),
    }
    return makers[name]()


STATISTICAL_MODELS = (
    "naive",
    "seasonal_naive",
    "historic_average",
    "ets",
    "arima",
    "theta",
    "mstl",
)


class StatisticalForecaster:
    def __init__(
        self,
        name: str,
        *,
        freq: str | int,
        season_length: int = 1,
        seasons: Sequence[int] = (),
    ) -> None:
        if name not in STATISTICAL_MODELS:
            raise ForecastingError(f"unknown statistical model {name!r}")
        self.name = name
        self.freq = freq
        self.season_length = max(1, season_length)
        self.seasons = tuple(seasons)
        self._forecasters: list[tuple[Any, pd.Index]] = []

    def fit(self, df: pd.DataFrame) -> Self:
        from statsforecast import StatsForecast

        lengths = df.groupby("unique_id", sort=False).size()
        longest_season = max((*self.seasons, self.season_length))
        seasonal = lengths >= 2 * longest_season + 1
        self._forecasters = []
        for usable, season in ((seasonal, self.season_length), (~seasonal, 1)):
            ids = lengths.index[usable]
            if ids.empty:
                continue
            seasons = self.seasons if season > 1 else ()
            model = _statsforecast_model(self._fallback_name(season), season, seasons)
            model.alias = self.name
            forecaster = StatsForecast(models=[model], freq=self.freq, n_jobs=1)
            forecaster.fit(df[df["unique_id"].isin(ids)][["unique_id", "ds", "y"]])
            self._forecasters.append((forecaster, ids))
        return self

    def _fallback_name(self, season: int) -> str:
        if season == 1 and self.name == "seasonal_naive":
            return "naive"
        if season == 1 and self.name == "mstl":
            return "ets"
        return self.name

    def fitted_values(self, df: pd.DataFrame) -> pd.DataFrame:
        """In-sample one-step fits of the model on ``df``: the baseline a hybrid corrects."""
        from statsforecast import StatsForecast

        parts = []
        for forecaster, ids in self._forecasters:
            again = StatsForecast(models=forecaster.models, freq=self.freq, n_jobs=1)
            again.forecast(
                h=1, df=df[df["unique_id"].isin(ids)][["unique_id", "ds", "y"]], fitted=True
            )
            parts.append(pd.DataFrame(again.forecast_fitted_values()))  # type: ignore[no-untyped-call]
        return pd.concat(parts, ignore_index=True)

    def predict(self, h: int) -> pd.DataFrame:
        if not self._forecasters:
            raise ForecastingError("fit the model before predicting")
        parts = [forecaster.predict(h=h) for forecaster, _ in self._forecasters]
        result = pd.concat(parts, ignore_index=True)[["unique_id", "ds", self.name]]
        ordered: pd.DataFrame = result.sort_values(["unique_id", "ds"], ignore_index=True)
        return ordered
