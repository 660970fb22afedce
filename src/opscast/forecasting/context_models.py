"""Traffic models trained once and then forecasting from whatever recent context they are given.

The zoo's forecasters predict the continuation of the series they were fitted on; a
traffic endpoint must forecast the continuation of the series a client posts, within
milliseconds, from a model trained once. Gradient-boosted trees over lags do that
directly: their lag, rolling and calendar features are recomputed from the new context
and they forecast recursively (``tree_recursion``, in numpy; mlforecast's own
``predict(new_df=...)`` does the same through pandas frames, several times slower). The
hybrid keeps the idea of the zoo's hybrid (a seasonal baseline plus a learner of what it
misses) but uses a baseline that is cheap to recompute from any context: the mean of
the same time of day over the last days, scaled to the level of the last hour.
Refitting MSTL per request would cost seconds. ``hybrid_lstm`` is seed 5's "LSTM
(Hybrid)": the same baseline with an LSTM learning its residuals, offered when the
``neural`` extra (torch) is installed.

Every model here takes and returns single series indexed by timestamps on one grid and
never predicts negative traffic.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.forecasting.global_models import feature_plan, make_regressor
from opscast.forecasting.hybrid import HYBRID_LEARNERS
from opscast.forecasting.lstm_residuals import (
    LSTMConfig,
    LSTMResidualLearner,
    future_stamps,
    neural_available,
)
from opscast.forecasting.protocol import ForecastingError
from opscast.forecasting.tree_recursion import (
    Feature,
    feature_steps,
    forecast_recursively,
    one_row_predictor,
)
from opscast.timeseries.metrics import mae, mape, rmse, seasonal_naive_scale, smape

FloatArray = npt.NDArray[np.float64]
SERIES_ID = "traffic"
CONTEXT_MODELS = ("hybrid", "xgboost", "lightgbm")
NEURAL_CONTEXT_MODELS = ("hybrid_lstm",)
# Profile days averaged by the hybrid's baseline; three smooth out one odd day.
PROFILE_DAYS = 3
# Level-ratio bounds: a burst or outage in the last hour must not scale a whole day.
LEVEL_BOUNDS = (0.25, 4.0)


class ContextForecaster(Protocol):
    name: str

    @property
    def context_length(self) -> int:
        """Points of context ``predict`` needs before the first forecast step."""
        ...

    def fit(self, history: pd.Series) -> Self: ...

    def predict(self, context: pd.Series, h: int) -> pd.Series:
        """The ``h`` steps after ``context``, indexed by their timestamps."""
        ...


def _long(values: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {"unique_id": SERIES_ID, "ds": values.index, "y": values.to_numpy(dtype=np.float64)}
    )


@dataclass(frozen=True)
class _Stepper:
    features: list[Feature] | None
    predict_row: Callable[[FloatArray], FloatArray]


class TreeForecaster:
    """LightGBM or XGBoost over lags at the day and its double, rolling means and the clock.

    Forecasts never fall below ``floor``: 0 for traffic counts.
    """

    def __init__(
        self,
        learner: str,
        *,
        freq: str,
        season_length: int,
        n_estimators: int = 100,
        lags: list[int] | None = None,
        floor: float = 0.0,
        seed: int = 0,
    ) -> None:
        self.name = learner
        self.freq = freq
        self.season_length = season_length
        self.n_estimators = n_estimators
        self.lags = lags
        self.floor = floor
        self.seed = seed
        self._model: Any = None
        self._context_length = 0
        self._stepper: _Stepper | None = None

    def __getstate__(self) -> dict[str, Any]:
        # the stepper is rebuilt from the model on first use, and holds closures
        return {**self.__dict__, "_stepper": None}

    @property
    def context_length(self) -> int:
        return self._context_length

    def _steps(self) -> _Stepper:
        """Feature plan and row predictor, built once per fitted or loaded model (a
        request would otherwise parse names and compile trees every time)."""
        stepper = getattr(self, "_stepper", None)  # absent in models pickled before it
        if stepper is None:
            stepper = _Stepper(
                feature_steps(self._model.ts.features_order_),
                one_row_predictor(self._model.models_[self.name]),
            )
            self._stepper = stepper
        return stepper

    def fit(self, history: pd.Series) -> Self:
        from mlforecast import MLForecast

        lags, transforms, dates = feature_plan(self.freq, self.season_length, len(history))
        lags = self.lags or lags
        regressor = make_regressor(self.name, self.seed)
        # one thread: the host serves requests alongside, and these fits are small
        regressor.set_params(n_estimators=self.n_estimators, n_jobs=1)
        self._model = MLForecast(
            models={self.name: regressor},
            freq=self.freq,
            lags=lags,
            lag_transforms=transforms,
            date_features=dates,
        )
        self._model.fit(_long(history), static_features=[])
        self._stepper = None
        self._context_length = max(lags) + self.season_length
        return self

    def predict(self, context: pd.Series, h: int) -> pd.Series:
        if self._model is None:
            raise ForecastingError("fit the model before predicting")
        if len(context) < self.context_length:
            raise ForecastingError(
                f"{self.name} needs {self.context_length} points of context, got {len(context)}"
            )
        recent = context.iloc[-self.context_length :]
        stepper = self._steps()
        if stepper.features is None:
            return self.predict_with_mlforecast(recent, h)
        stamps = pd.date_range(recent.index[-1], periods=h + 1, freq=self.freq, name="ds")[1:]
        values = forecast_recursively(
            stepper.predict_row, stepper.features, recent.to_numpy(np.float64), stamps
        )
        return pd.Series(np.clip(values, self.floor, None), index=stamps, name=self.name)

    def predict_with_mlforecast(self, recent: pd.Series, h: int) -> pd.Series:
        """mlforecast's own recursion: what ``predict`` does for features it does not know."""
        result = self._model.predict(h=h, new_df=_long(recent))
        values = np.clip(result[self.name].to_numpy(dtype=np.float64), self.floor, None)
        return pd.Series(values, index=pd.DatetimeIndex(result["ds"]), name=self.name)


class LSTMContextForecaster:
    """The LSTM residual learner behind this module's interface: fitted once, fed any context."""

    name = "lstm"

    def __init__(self, *, freq: str, seed: int = 0) -> None:
        self.freq = freq
        self.learner = LSTMResidualLearner(LSTMConfig(seed=seed))

    @property
    def context_length(self) -> int:
        return self.learner.lookback

    def fit(self, history: pd.Series) -> Self:
        self.learner.fit([history.to_numpy(dtype=np.float64)])
        return self

    def predict(self, context: pd.Series, h: int) -> pd.Series:
        values = self.learner.forecast([context.to_numpy(dtype=np.float64)], h)[0]
        stamps = future_stamps(context.index[-1], self.freq, h)
        return pd.Series(values, index=stamps, name=self.name)


def profile_baseline(y: FloatArray, season_length: int, h: int, level_window: int) -> FloatArray:
    """Baseline for every position from ``PROFILE_DAYS`` seasons in, through ``h`` future steps.

    The profile at ``t`` is the mean of ``y`` one, two and three seasons before ``t``
    (future steps use the seasons that are already observed); it is scaled by the ratio
    of the last ``level_window`` observations to the profile over the same steps. Earlier
    positions are NaN.
    """
    n = len(y)
    start = PROFILE_DAYS * season_length
    if n < start + level_window:
        raise ForecastingError(
            f"the baseline needs {start + level_window} points of history, got {n}"
        )
    extended = np.concatenate([y, np.full(h, np.nan)])
    positions = np.arange(start, n + h)
    donors = np.stack([extended[positions - k * season_length] for k in range(1, PROFILE_DAYS + 1)])
    profile = np.full(n + h, np.nan)
    profile[start:] = np.nanmean(donors, axis=0)
    # level of the last `level_window` observed steps before each position (1 = no change)
    cumulative_y = np.concatenate([[0.0], np.cumsum(y)])
    cumulative_p = np.concatenate([[0.0], np.nancumsum(profile[:n])])
    observed_end = np.minimum(positions, n)
    window_y = cumulative_y[observed_end] - cumulative_y[observed_end - level_window]
    window_p = cumulative_p[observed_end] - cumulative_p[observed_end - level_window]
    ratio = np.ones(len(positions))
    ready = observed_end - level_window >= start
    # +1 on both sides: counts are small at night and a zero profile must not divide
    ratio[ready] = np.clip((window_y[ready] + 1.0) / (window_p[ready] + 1.0), *LEVEL_BOUNDS)
    baseline = np.full(n + h, np.nan)
    baseline[start:] = profile[start:] * ratio
    return baseline


class HybridForecaster:
    """Level-scaled daily profile plus a learner of its residuals (in units of level).

    The learner is LightGBM on the last three residuals, or for ``hybrid_lstm`` an
    LSTM over a longer stretch of them.
    """

    def __init__(
        self,
        name: str = "hybrid",
        *,
        freq: str,
        season_length: int,
        n_estimators: int = 100,
    ) -> None:
        self.name = name
        learner = HYBRID_LEARNERS[name]
        self.freq = freq
        self.season_length = season_length
        self.level_window = max(3, season_length // 24)  # one hour
        self._residuals: TreeForecaster | LSTMContextForecaster
        if learner == "lstm":
            self._residuals = LSTMContextForecaster(freq=freq)
        else:
            self._residuals = TreeForecaster(
                "lightgbm",
                freq=freq,
                season_length=season_length,
                n_estimators=n_estimators,
                lags=[1, 2, 3],
                floor=-np.inf,
            )

    @property
    def context_length(self) -> int:
        baseline = PROFILE_DAYS * self.season_length + self.level_window
        return baseline + self.season_length + max(3, self._residuals.context_length)

    def _residual(self, values: pd.Series, h: int) -> tuple[pd.Series, FloatArray, float]:
        """Residuals in units of the series' mean level, the future baseline, and that level.

        Scaling by the level lets what the learner knows carry over to traffic of any size.
        """
        y = values.to_numpy(dtype=np.float64)
        baseline = profile_baseline(y, self.season_length, h, self.level_window)
        known = np.isfinite(baseline[: len(y)])
        level = float(np.mean(y[known])) + 1.0
        residual = (y[known] - baseline[: len(y)][known]) / level
        return pd.Series(residual, index=values.index[known]), baseline[len(y) :], level

    def fit(self, history: pd.Series) -> Self:
        residual, _, _ = self._residual(history, 0)
        self._residuals.fit(residual)
        return self

    def predict(self, context: pd.Series, h: int) -> pd.Series:
        if len(context) < self.context_length:
            raise ForecastingError(
                f"{self.name} needs {self.context_length} points of context, got {len(context)}"
            )
        residual, future, level = self._residual(context.iloc[-self.context_length :], h)
        correction = self._residuals.predict(residual, h)
        values = np.clip(future + level * correction.to_numpy(), 0.0, None)
        return pd.Series(values, index=correction.index, name=self.name)


def available_context_models() -> tuple[str, ...]:
    """The traffic models this installation can train: the LSTM hybrid needs torch."""
    return (*CONTEXT_MODELS, *NEURAL_CONTEXT_MODELS) if neural_available() else CONTEXT_MODELS


def context_forecaster(
    name: str, *, freq: str, season_length: int, n_estimators: int = 100
) -> ContextForecaster:
    if name in HYBRID_LEARNERS:
        return HybridForecaster(
            name, freq=freq, season_length=season_length, n_estimators=n_estimators
        )
    if name in {"xgboost", "lightgbm"}:
        return TreeForecaster(
            name, freq=freq, season_length=season_length, n_estimators=n_estimators
        )
    known = ", ".join((*CONTEXT_MODELS, *NEURAL_CONTEXT_MODELS))
    raise ForecastingError(f"unknown traffic model {name!r}; use {known}")


def rolling_origin(
    model: ContextForecaster, values: pd.Series, *, h: int, step: int, n_windows: int
) -> pd.DataFrame:
    """Forecast ``h`` steps from each of ``n_windows`` cutoffs ``step`` apart, ending at the end.

    The model is not refitted: this measures what serving does, a fixed model meeting new
    context. Returns ``cutoff``, ``ds``, ``horizon`` (1..h), ``actual``, ``predicted``.
    """
    if h < 1 or step < 1 or n_windows < 1:
        raise ForecastingError("horizon, step and windows must be at least 1")
    first_end = len(values) - h - step * (n_windows - 1)
    if first_end < model.context_length:
        raise ForecastingError(
            f"{len(values)} points are too few to backtest {n_windows} window(s) of {h} steps "
            f"{step} apart after {model.context_length} points of context"
        )
    frames = []
    for window in range(n_windows):
        end = first_end + window * step
        predicted = model.predict(values.iloc[:end], h)
        actual = values.iloc[end : end + h]
        frames.append(
            pd.DataFrame(
                {
                    "cutoff": values.index[end - 1],
                    "ds": actual.index,
                    "horizon": np.arange(1, h + 1),
                    "actual": actual.to_numpy(dtype=np.float64),
                    "predicted": predicted.to_numpy(dtype=np.float64),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


METRICS: dict[str, Callable[[FloatArray, FloatArray], float]] = {
    "mae": mae,
    "rmse": rmse,
    "mape": mape,
    "smape": smape,
}


def score(points: pd.DataFrame, insample: pd.Series, season_length: int) -> dict[str, float]:
    """MAE, RMSE, MAPE, sMAPE and MASE (scaled on ``insample``, the history before the cutoffs)."""
    actual = points["actual"].to_numpy(dtype=np.float64)
    predicted = points["predicted"].to_numpy(dtype=np.float64)
    scores = {name: metric(actual, predicted) for name, metric in METRICS.items()}
    scale = seasonal_naive_scale(insample.to_numpy(dtype=np.float64), season_length)
    scores["mase"] = scores["mae"] / scale if np.isfinite(scale) and scale > 0 else float("nan")
    return scores
