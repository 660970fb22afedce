"""Forecast and backtest a long-format frame with any model of the zoo.

This is what the command line and the services call: it validates the frame once,
infers the frequency and a season length when not given, fits, and adds conformal
intervals calibrated on a backtest of the same model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from opscast.forecasting.backtest import cross_validate
from opscast.forecasting.conformal import add_intervals, check_levels
from opscast.forecasting.protocol import Forecaster, ForecastingError
from opscast.forecasting.selection import SelectingForecaster
from opscast.forecasting.zoo import SELECTING_MODELS, ModelSpec, check_model_names, single_model
from opscast.timeseries import infer_freq, validate_long_frame
from opscast.timeseries.metrics import mae, mape, rmse, seasonal_naive_scale, smape

# Season length people mean by default for each sampling frequency.
DEFAULT_SEASONS = {
    "min": 60,
    "5min": 288,
    "15min": 96,
    "30min": 48,
    "h": 24,
    "D": 7,
    "W": 52,
    "MS": 12,
    "QS": 4,
    "YS": 1,
}

Progress = Callable[[str], None]


def model_spec(df: pd.DataFrame, freq: str | None, season_length: int | None) -> ModelSpec:
    if pd.api.types.is_integer_dtype(df["ds"]):
        resolved: str | int = 1
    else:
        found = freq or infer_freq(df)
        if found is None:
            raise ForecastingError(
                "cannot tell the frequency of ds; pass --freq (for example D or h)"
            )
        resolved = found
    season = season_length if season_length is not None else DEFAULT_SEASONS.get(str(resolved), 1)
    if season < 1:
        raise ForecastingError("season length must be at least 1")
    return ModelSpec(freq=resolved, season_length=season)


def _model(
    name: str, spec: ModelSpec, h: int, n_windows: int, on_step: Progress | None
) -> Forecaster:
    if name in SELECTING_MODELS:
        return SelectingForecaster(name, spec, horizon=h, n_windows=n_windows, on_step=on_step)
    return single_model(name, spec)()


@dataclass
class ForecastResult:
    forecasts: pd.DataFrame
    spec: ModelSpec
    chosen: dict[str, list[str]] = field(default_factory=dict)


def forecast(
    df: pd.DataFrame,
    model: str,
    h: int,
    *,
    freq: str | None = None,
    season_length: int | None = None,
    levels: Sequence[float] = (),
    n_windows: int = 2,
    on_step: Progress | None = None,
) -> ForecastResult:
    """Fit ``model`` on every series and forecast ``h`` steps, with intervals at ``levels``."""
    check_model_names([model])
    checked_levels = check_levels(levels)
    if h < 1:
        raise ForecastingError("horizon must be at least 1")
    clean = validate_long_frame(df)
    spec = model_spec(clean, freq, season_length)
    fitted = _model(model, spec, h, n_windows, on_step)
    if on_step:
        on_step(f"fitting {model}")
    fitted.fit(clean)
    result = fitted.predict(h)
    chosen = getattr(fitted, "chosen_", {})
    if checked_levels:
        calibration = getattr(fitted, "backtest_", None)
        if calibration is None or calibration.empty:
            if on_step:
                on_step(f"calibrating intervals of {model}")
            calibration = cross_validate(
                single_model(model, spec), clean, h=h, n_windows=max(n_windows, 2)
            )
        result = add_intervals(result, calibration, model, checked_levels)
    return ForecastResult(forecasts=result, spec=spec, chosen=chosen)


@dataclass
class BacktestResult:
    points: pd.DataFrame
    per_series: pd.DataFrame
    overall: dict[str, dict[str, float]]
    spec: ModelSpec


METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "mae": mae,
    "rmse": rmse,
    "mape": mape,
    "smape": smape,
}


def backtest(
    df: pd.DataFrame,
    models: Sequence[str],
    h: int,
    *,
    n_windows: int = 3,
    step: int | None = None,
    freq: str | None = None,
    season_length: int | None = None,
    on_step: Progress | None = None,
) -> BacktestResult:
    """Rolling-origin backtest of each model: MAE, RMSE, MAPE, sMAPE, MASE per series and overall.

    MASE is scaled per series by the seasonal naive error on the history before the
    series' first cutoff, so every window of a series shares one scale.
    """
    names = check_model_names(models)
    clean = validate_long_frame(df)
    spec = model_spec(clean, freq, season_length)
    joined: pd.DataFrame | None = None
    for name in names:
        if on_step:
            on_step(f"backtesting {name}")
        made = cross_validate(
            partial(_model, name, spec, h, 2, None),
            clean,
            h=h,
            n_windows=n_windows,
            step=step,
        )
        keys = ["unique_id", "ds", "cutoff", "horizon", "y"]
        joined = made if joined is None else joined.merge(made, on=keys, how="inner")
    assert joined is not None
    first_cutoff = joined.groupby("unique_id")["cutoff"].min()
    history = clean.join(first_cutoff, on="unique_id")
    history = history[history["ds"] <= history["cutoff"]]
    scales = history.groupby("unique_id")["y"].apply(
        lambda y: seasonal_naive_scale(y.to_numpy(), spec.season_length)
    )
    rows = []
    for uid, group in joined.groupby("unique_id", sort=True):
        actual = group["y"].to_numpy()
        scale = float(scales.get(uid, np.nan))
        for name in names:
            predicted = group[name].to_numpy()
            scores = {metric: fn(actual, predicted) for metric, fn in METRICS.items()}
            scores["mase"] = scores["mae"] / scale if np.isfinite(scale) and scale > 0 else np.nan
            rows.append({"unique_id": uid, "model": name, **scores})
    per_series = pd.DataFrame(rows)
    overall = {
        name: {
            metric: float(np.nanmean(per_series.loc[per_series["model"] == name, metric]))
            for metric in (*METRICS, "mase")
        }
        for name in names
    }
    return BacktestResult(points=joined, per_series=per_series, overall=overall, spec=spec)
