"""Every model opscast can fit, by the name users type."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

from opscast.forecasting.global_models import GLOBAL_MODELS, GlobalForecaster
from opscast.forecasting.hybrid import HYBRID_LEARNERS, HybridForecaster
from opscast.forecasting.prophet_model import ProphetForecaster
from opscast.forecasting.protocol import Forecaster, ForecastingError
from opscast.forecasting.statistical import STATISTICAL_MODELS, StatisticalForecaster
from opscast.forecasting.window_model import WindowForecaster

SELECTING_MODELS = ("auto", "ensemble")
WINDOW_MODELS = ("lightgbm_window",)
# hybrid_lstm and prophet need optional extras (neural, prophet); they say so when missing.
MODEL_NAMES = (
    *STATISTICAL_MODELS,
    *GLOBAL_MODELS,
    *WINDOW_MODELS,
    *HYBRID_LEARNERS,
    "prophet",
    *SELECTING_MODELS,
)
# One model per series: these split over series and run anywhere, Dask workers included.
LOCAL_MODELS = (*STATISTICAL_MODELS, "prophet")
# What auto and ensemble try on every series: a seasonal naive floor and global models,
# each one fit for all series per backtest window (their training rows are capped), so
# this stage costs about the same per series whatever the history length. The window
# model joins them for data with several cycles (sub-daily): there it was the most
# accurate model of the zoo by far, while on a year of daily demand it was less accurate
# than the plain global LightGBM at three times its cost.
CHEAP_CANDIDATES = ("seasonal_naive", "lightgbm")
MULTI_SEASONAL_CANDIDATES = ("lightgbm_window",)
# Tried after the cheap ones, hardest series first, as far as the time budget reaches:
# one fit per series, and their cost grows with the season (AutoETS costs about ten times
# AutoTheta per series, AutoARIMA ten times more again).
EXPENSIVE_CANDIDATES = ("theta", "ets", "arima")
DEFAULT_CANDIDATES = (*CHEAP_CANDIDATES, *EXPENSIVE_CANDIDATES)


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """What every model needs to know about the data besides the data itself.

    ``seasons`` lists every cycle (24 and 168 for hourly traffic) for MSTL and Prophet;
    the other models use ``season_length``, the main one.
    """

    freq: str | int
    season_length: int = 1
    seasons: tuple[int, ...] = ()
    seed: int = 0


def single_model(name: str, spec: ModelSpec) -> Callable[[], Forecaster]:
    """A factory of fresh, unfitted instances (backtests refit one per window).

    Partials, not closures, so that the factory pickles to worker processes.
    """
    if name in STATISTICAL_MODELS:
        return partial(
            StatisticalForecaster,
            name,
            freq=spec.freq,
            season_length=spec.season_length,
            seasons=spec.seasons,
        )
    if name in GLOBAL_MODELS:
        return partial(
            GlobalForecaster, name, freq=spec.freq, season_length=spec.season_length, seed=spec.seed
        )
    if name in WINDOW_MODELS:
        return partial(
            WindowForecaster,
            name,
            freq=spec.freq,
            season_length=spec.season_length,
            seasons=spec.seasons,
            seed=spec.seed,
        )
    if name in HYBRID_LEARNERS:
        return partial(
            HybridForecaster,
            name,
            freq=spec.freq,
            season_length=spec.season_length,
            seasons=spec.seasons,
            learner=HYBRID_LEARNERS[name],
            seed=spec.seed,
        )
    if name == "prophet":
        return partial(
            ProphetForecaster,
            freq=spec.freq,
            season_length=spec.season_length,
            seasons=spec.seasons,
        )
    raise ForecastingError(f"unknown model {name!r}; choose from {', '.join(MODEL_NAMES)}")


def check_model_names(names: Sequence[str]) -> list[str]:
    unknown = [name for name in names if name not in MODEL_NAMES]
    if unknown:
        raise ForecastingError(
            f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODEL_NAMES)}"
        )
    return list(dict.fromkeys(names))
