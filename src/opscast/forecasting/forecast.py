"""Forecast and backtest a long-format frame with any model of the zoo.

This is what the command line and the services call: it validates the frame once,
infers the frequency and seasons when not given, fits (local models chunk by chunk, in
this process or on a Dask cluster), and adds conformal intervals calibrated on a
backtest of the same model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from opscast.forecasting.backtest import SeriesTooShortError, cross_validate
from opscast.forecasting.conformal import add_intervals, check_levels
from opscast.forecasting.execution import SeriesRunner, backtest_chunk, fit_predict
from opscast.forecasting.protocol import Forecaster, ForecastingError
from opscast.forecasting.selection import KEYS, SelectingForecaster
from opscast.forecasting.zoo import (
    LOCAL_MODELS,
    SELECTING_MODELS,
    ModelSpec,
    check_model_names,
    single_model,
)
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

# Further cycles MSTL and Prophet model next to the main one (a week of hours, ...).
EXTRA_SEASONS = {
    "min": (1440,),
    "5min": (2016,),
    "15min": (672,),
    "30min": (336,),
    "h": (168,),
}

Progress = Callable[[str], None]


def model_spec(
    df: pd.DataFrame,
    freq: str | None,
    season_length: int | None,
    seasons: Sequence[int] = (),
) -> ModelSpec:
    """Frequency and seasons: given ones win, else the usual cycles of the frequency.

    ``seasons`` lists every cycle (the first is the main one unless ``season_length``
    names it); without them, minute and hourly data also get their weekly or daily cycle.
    """
    if pd.api.types.is_integer_dtype(df["ds"]):
        resolved: str | int = 1
    else:
        found = freq or infer_freq(df)
        if found is None:
            raise ForecastingError(
                "cannot tell the frequency of ds; pass --freq (for example D or h)"
            )
        resolved = found
    if any(season < 1 for season in (*seasons, season_length or 1)):
        raise ForecastingError("season length must be at least 1")
    if season_length is not None:
        season = season_length
    elif seasons:
        season = seasons[0]
    else:
        season = DEFAULT_SEASONS.get(str(resolved), 1)
    if seasons:
        cycles = tuple(dict.fromkeys((season, *seasons)))
    elif season_length is None:
        cycles = (season, *EXTRA_SEASONS.get(str(resolved), ()))
    else:
        cycles = (season,)
    return ModelSpec(freq=resolved, season_length=season, seasons=tuple(sorted(cycles)))


def _model(
    name: str,
    spec: ModelSpec,
    h: int,
    n_windows: int,
    runner: SeriesRunner,
    time_budget: float | None = None,
    candidates: Sequence[str] | None = None,
) -> Forecaster:
    if name in SELECTING_MODELS:
        return SelectingForecaster(
            name,
            spec,
            horizon=h,
            n_windows=n_windows,
            candidates=candidates,
            time_budget=time_budget,
            runner=runner,
        )
    return single_model(name, spec)()


def _backtest_points(
    name: str,
    spec: ModelSpec,
    df: pd.DataFrame,
    runner: SeriesRunner,
    *,
    h: int,
    n_windows: int,
    step: int | None = None,
    time_budget: float | None = None,
    candidates: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Backtest points of one model; local models run chunk by chunk through ``runner``."""
    if name in LOCAL_MODELS:
        work = partial(backtest_chunk, single_model(name, spec), h, n_windows, step)
        points = runner.run(work, df, f"backtesting {name}")
        if points.empty:
            raise SeriesTooShortError(
                f"series are too short to backtest {n_windows} window(s) of {h} points; "
                "lower --horizon or --windows"
            )
        return points
    runner.report(f"backtesting {name}")
    quiet = SeriesRunner(
        runner.scheduler, jobs=runner.jobs
    )  # a selection per window would flood the progress line
    return cross_validate(
        partial(_model, name, spec, h, 2, quiet, time_budget, candidates),
        df,
        h=h,
        n_windows=n_windows,
        step=step,
    )


@dataclass
class ForecastResult:
    forecasts: pd.DataFrame
    spec: ModelSpec
    chosen: dict[str, list[str]] = field(default_factory=dict)
    # series each candidate was backtested on, for auto and ensemble
    tried: dict[str, int] = field(default_factory=dict)


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
    seasons: Sequence[int] = (),
    time_budget: float | None = None,
    scheduler: str | None = None,
    candidates: Sequence[str] | None = None,
    jobs: int | None = None,
) -> ForecastResult:
    """Fit ``model`` on every series and forecast ``h`` steps, with intervals at ``levels``.

    ``candidates`` and ``time_budget`` (seconds for the expensive candidates) shape what
    ``auto``/``ensemble`` try; ``scheduler`` is a Dask scheduler address to fit local
    models on; ``jobs`` the worker processes here without one (all cores when ``None``).
    """
    check_model_names([model])
    checked_levels = check_levels(levels)
    if h < 1:
        raise ForecastingError("horizon must be at least 1")
    if n_windows < 1:
        raise ForecastingError("backtest windows must be at least 1")
    clean = validate_long_frame(df)
    spec = model_spec(clean, freq, season_length, seasons)
    calibration: pd.DataFrame | None = None
    chosen: dict[str, list[str]] = {}
    tried: dict[str, int] = {}
    with SeriesRunner(scheduler, on_step=on_step, jobs=jobs) as runner:
        if model in LOCAL_MODELS:
            work = partial(fit_predict, single_model(model, spec), h)
            result = runner.run(work, clean, f"fitting {model}")
        else:
            if candidates is not None:
                check_model_names(candidates)
            fitted = _model(model, spec, h, n_windows, runner, time_budget, candidates)
            if model not in SELECTING_MODELS:
                runner.report(f"fitting {model}")
            result = fitted.fit(clean).predict(h)
            if isinstance(fitted, SelectingForecaster):
                chosen, tried = fitted.chosen_, fitted.tried_
                calibration = fitted.backtest_
        if checked_levels:
            if calibration is None or calibration.empty:
                calibration = _backtest_points(
                    model, spec, clean, runner, h=h, n_windows=max(n_windows, 2)
                )
            result = add_intervals(result, calibration, model, checked_levels)
    result = result.sort_values(["unique_id", "ds"], ignore_index=True)
    return ForecastResult(forecasts=result, spec=spec, chosen=chosen, tried=tried)


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
    seasons: Sequence[int] = (),
    time_budget: float | None = None,
    scheduler: str | None = None,
    candidates: Sequence[str] | None = None,
    jobs: int | None = None,
) -> BacktestResult:
    """Rolling-origin backtest of each model: MAE, RMSE, MAPE, sMAPE, MASE per series and overall.

    MASE is scaled per series by the seasonal naive error on the history before the
    series' first cutoff, so every window of a series shares one scale.
    """
    names = check_model_names(models)
    if h < 1 or n_windows < 1:
        raise ForecastingError("horizon and windows must be at least 1")
    clean = validate_long_frame(df)
    spec = model_spec(clean, freq, season_length, seasons)
    joined: pd.DataFrame | None = None
    with SeriesRunner(scheduler, on_step=on_step, jobs=jobs) as runner:
        for name in names:
            made = _backtest_points(
                name,
                spec,
                clean,
                runner,
                h=h,
                n_windows=n_windows,
                step=step,
                time_budget=time_budget,
                candidates=candidates,
            )
            joined = made if joined is None else joined.merge(made, on=KEYS, how="inner")
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
            # pandas skips NaN and gives NaN, without a warning, when a metric is undefined
            # for every series (MAPE of all-zero actuals)
            metric: float(per_series.loc[per_series["model"] == name, metric].mean())
            for metric in (*METRICS, "mase")
        }
        for name in names
    }
    return BacktestResult(points=joined, per_series=per_series, overall=overall, spec=spec)
