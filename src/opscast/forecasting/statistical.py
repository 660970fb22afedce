"""Local statistical models, one fitted per series, through Nixtla's statsforecast.

statsforecast 2.x needs no numba compilation, so the first forecast of a process is as
fast as the hundredth. A seasonal fit needs two full seasons plus one point, so each
series keeps only the seasons its history can support: MSTL on hourly traffic with
daily and weekly cycles drops the weekly one for a series of five days, and every
seasonal model falls back to its non-seasonal form on a series shorter than two days.
Series are grouped by the seasons they keep, one statsforecast fit per group.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, Self

import pandas as pd

from opscast.forecasting.protocol import ForecastingError

STATISTICAL_MODELS = (
    "naive",
    "seasonal_naive",
    "historic_average",
    "ets",
    "arima",
    "theta",
    "mstl",
)


def _statsforecast_model(name: str, seasons: tuple[int, ...]) -> Any:
    """The statsforecast model for ``name`` with the seasons one group of series supports."""
    from statsforecast import models

    season = seasons[0] if seasons else 1
    if not seasons:
        name = {"seasonal_naive": "naive", "mstl": "ets"}.get(name, name)
    makers: dict[str, Callable[[], Any]] = {
        "naive": models.Naive,
        "seasonal_naive": lambda: models.SeasonalNaive(season_length=season),
        "historic_average": models.HistoricAverage,
        "ets": lambda: models.AutoETS(season_length=season),
        # A full seasonal search at season 24 takes a minute per series; approximating
        # the likelihood and capping the seasonal orders brings it to a few seconds.
        "arima": lambda: models.AutoARIMA(
            season_length=season, approximation=True, max_P=1, max_Q=1
        ),
        "theta": lambda: models.AutoTheta(season_length=season),
        "mstl": lambda: models.MSTL(
            season_length=list(seasons), trend_forecaster=models.AutoETS(model="ZZN")
        ),
    }
    return makers[name]()


def usable_seasons(length: int, seasons: Sequence[int]) -> tuple[int, ...]:
    """The seasons (longer than 1) a history of ``length`` points can fit: two cycles and one."""
    return tuple(sorted({s for s in seasons if s > 1 and length >= 2 * s + 1}))


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
        # only MSTL decomposes several seasons; the others model the main one
        self.seasons = tuple(seasons) if name == "mstl" and seasons else (self.season_length,)
        self._forecasters: list[tuple[Any, pd.Index]] = []

    def fit(self, df: pd.DataFrame) -> Self:
        from statsforecast import StatsForecast

        lengths = df.groupby("unique_id", sort=False).size()
        groups = lengths.map(lambda n: usable_seasons(int(n), self.seasons))
        self._forecasters = []
        for seasons, members in groups.groupby(groups, sort=False):
            model = _statsforecast_model(self.name, seasons)
            model.alias = self.name
            forecaster = StatsForecast(models=[model], freq=self.freq, n_jobs=1)
            with warnings.catch_warnings():
                # AutoARIMA warns for every candidate order whose optimiser stopped early;
                # the search simply moves on, so the user has nothing to act on
                warnings.filterwarnings("ignore", message="possible convergence problem")
                forecaster.fit(df[df["unique_id"].isin(members.index)][["unique_id", "ds", "y"]])
            self._forecasters.append((forecaster, members.index))
        return self

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
