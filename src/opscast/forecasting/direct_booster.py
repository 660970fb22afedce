"""One gradient-boosted regressor over many series, forecasting directly at a fixed horizon.

``global_models`` forecasts recursively through mlforecast: each step feeds the next, so
errors compound over a 90-day horizon and every request re-runs the recursion. Here the
features themselves are horizon-safe (``timeseries.horizon_features``), so one model maps
them to the value at any step up to the horizon in a single pass, and a prediction for a
date is a plain function of stored history. LightGBM or XGBoost, with the parameters
handed in (a config file, in the demand pipeline); early stopping on a validation window
that lies before the holdout, so the holdout never steers training. Threads are bounded
by the parameters: on a shared machine OpenMP's spinning threads cost more than they give.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.forecasting.protocol import ForecastingError

Engine = Literal["lightgbm", "xgboost"]
ENGINES: tuple[Engine, ...] = ("lightgbm", "xgboost")
Transform = Literal["none", "log1p"]


@dataclass(frozen=True, slots=True)
class BoosterConfig:
    engine: Engine = "lightgbm"
    params: Mapping[str, Any] = field(default_factory=dict)
    num_boost_round: int = 1000
    early_stopping_rounds: int = 50
    target_transform: Transform = "log1p"

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ForecastingError(f"engine {self.engine!r} is unknown; use lightgbm or xgboost")
        if self.target_transform not in ("none", "log1p"):
            raise ForecastingError("target_transform must be none or log1p")
        if self.num_boost_round < 1 or self.early_stopping_rounds < 1:
            raise ForecastingError("num_boost_round and early_stopping_rounds must be positive")


@dataclass
class DirectBooster:
    """A fitted model: the booster and what it needs to turn features into predictions."""

    engine: Engine
    booster: Any
    columns: list[str]
    categorical: list[str]
    transform: Transform
    best_iteration: int

    def predict(self, features: pd.DataFrame) -> npt.NDArray[np.float64]:
        """Predictions for each row of ``features`` (non-negative: counts and sales are)."""
        data = _inputs(features, self.columns, self.categorical)
        if self.engine == "lightgbm":
            raw = self.booster.predict(data, num_iteration=self.best_iteration)
        else:
            import xgboost as xgb

            matrix = xgb.DMatrix(data, enable_categorical=True)
            raw = self.booster.predict(matrix, iteration_range=(0, self.best_iteration))
        values = np.asarray(raw, dtype=np.float64)
        if self.transform == "log1p":
            values = np.expm1(values)
        clipped: npt.NDArray[np.float64] = np.clip(values, 0.0, None)
        return clipped

    def importance(self) -> dict[str, float]:
        """Total gain per feature, the share each has in the model's decisions."""
        if self.engine == "lightgbm":
            gains = self.booster.feature_importance(importance_type="gain")
            return {name: float(gain) for name, gain in zip(self.columns, gains, strict=True)}
        scores = self.booster.get_score(importance_type="total_gain")
        return {name: float(scores.get(name, 0.0)) for name in self.columns}


def _inputs(
    frame: pd.DataFrame, columns: Sequence[str], categorical: Sequence[str]
) -> pd.DataFrame:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ForecastingError(f"features missing column(s) {', '.join(missing)}")
    data = frame[list(columns)].copy()
    for column in categorical:
        data[column] = data[column].astype("int64").astype("category")
    return data


def _target(y: pd.Series, transform: Transform) -> npt.NDArray[np.float64]:
    values = y.to_numpy(np.float64)
    return np.log1p(np.clip(values, 0.0, None)) if transform == "log1p" else values


def fit_direct(
    train: pd.DataFrame,
    valid: pd.DataFrame,
    columns: Sequence[str],
    config: BoosterConfig,
    *,
    categorical: Sequence[str] = (),
    on_round: Callable[[int, int], None] | None = None,
) -> DirectBooster:
    """Fit on ``train`` (features and ``y``), stopping early on ``valid``.

    ``on_round(done, total)`` reports progress every few rounds (a progress bar).
    """
    if train.empty or valid.empty:
        raise ForecastingError(
            f"{len(train)} training and {len(valid)} validation rows; both must be non-empty"
        )
    x_train = _inputs(train, columns, categorical)
    x_valid = _inputs(valid, columns, categorical)
    y_train = _target(train["y"], config.target_transform)
    y_valid = _target(valid["y"], config.target_transform)
    total = config.num_boost_round
    if config.engine == "lightgbm":
        import lightgbm as lgb

        params = {"verbosity": -1, "num_threads": 1, **config.params}
        dtrain = lgb.Dataset(x_train, y_train, categorical_feature=list(categorical))
        dvalid = lgb.Dataset(x_valid, y_valid, reference=dtrain)
        callbacks: list[Any] = [lgb.early_stopping(config.early_stopping_rounds, verbose=False)]
        if on_round is not None:
            report = on_round

            def progress(env: Any) -> None:
                if env.iteration % 10 == 0:
                    report(env.iteration, total)

            callbacks.append(progress)
        booster: Any = lgb.train(params, dtrain, total, valid_sets=[dvalid], callbacks=callbacks)
        best = int(booster.best_iteration or booster.current_iteration())
    else:
        import xgboost as xgb

        params = {"nthread": 1, "tree_method": "hist", **config.params}
        xtrain = xgb.DMatrix(x_train, y_train, enable_categorical=True)
        xvalid = xgb.DMatrix(x_valid, y_valid, enable_categorical=True)
        xgb_callbacks: list[Any] = []
        if on_round is not None:
            report = on_round

            class _Progress(xgb.callback.TrainingCallback):
                def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
                    if epoch % 10 == 0:
                        report(epoch, total)
                    return False

            xgb_callbacks.append(_Progress())
        booster = xgb.train(
            params,
            xtrain,
            total,
            evals=[(xvalid, "valid")],
            early_stopping_rounds=config.early_stopping_rounds,
            verbose_eval=False,
            callbacks=xgb_callbacks,
        )
        best = int(booster.best_iteration) + 1
    if on_round is not None:
        on_round(total, total)
    return DirectBooster(
        engine=config.engine,
        booster=booster,
        columns=list(columns),
        categorical=list(categorical),
        transform=config.target_transform,
        best_iteration=best,
    )
