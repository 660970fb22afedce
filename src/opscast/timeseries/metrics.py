"""Forecast error metrics, as the M4 competition defined them.

sMAPE is M4's ``200/h * sum(|y - f| / (|y| + |f|))`` (percent, 0 to 200) with 0/0
terms counted as 0, so a perfect forecast of zeros scores 0 instead of NaN. MAPE skips
points where the actual is 0, since the ratio is undefined there; MASE scales by the
in-sample seasonal naive error, so a value below 1 beats that naive forecast. Where a
denominator vanishes (all actuals 0 for MAPE, a constant history for MASE) the result
is NaN: reporting infinity or zero would rank a model on a meaningless number.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.timeseries.errors import FrameValidationError

FloatArray = npt.NDArray[np.float64]
ArrayLike = Sequence[float] | npt.NDArray[np.floating] | pd.Series


def _pair(actual: ArrayLike, forecast: ArrayLike) -> tuple[FloatArray, FloatArray]:
    y = np.asarray(actual, dtype=np.float64)
    f = np.asarray(forecast, dtype=np.float64)
    if y.shape != f.shape:
        raise FrameValidationError(
            f"actuals have shape {y.shape} but forecasts {f.shape}; "
            "pass one forecast per actual, aligned by position"
        )
    if y.size == 0:
        raise FrameValidationError("no points to score; pass at least one actual and forecast")
    return y, f


def _smape_terms(y: FloatArray, f: FloatArray) -> FloatArray:
    absolute = np.abs(y - f)
    denominator = np.abs(y) + np.abs(f)
    terms = np.divide(absolute, denominator, out=np.zeros_like(absolute), where=denominator > 0)
    terms[np.isnan(absolute)] = np.nan  # 0/0 counts as 0, a missing value does not
    result: FloatArray = terms
    return result


def mae(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Mean absolute error, in the units of y."""
    y, f = _pair(actual, forecast)
    return float(np.mean(np.abs(y - f)))


def rmse(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Root mean squared error: like MAE but punishing large misses more."""
    y, f = _pair(actual, forecast)
    return float(np.sqrt(np.mean((y - f) ** 2)))


def mape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """Mean absolute percentage error over the points whose actual is not 0; NaN if none."""
    y, f = _pair(actual, forecast)
    usable = y != 0
    if not usable.any():
        return float("nan")
    with np.errstate(over="ignore"):  # a near-zero actual makes the error legitimately huge
        # percent per point, then the mean: the order ``evaluate`` uses, so both agree
        # even where a term overflows
        return float(np.mean(100.0 * np.abs((y[usable] - f[usable]) / y[usable])))


def smape(actual: ArrayLike, forecast: ArrayLike) -> float:
    """M4 sMAPE in percent, 0 to 200; points where actual and forecast are both 0 score 0."""
    y, f = _pair(actual, forecast)
    return float(200.0 * np.mean(_smape_terms(y, f)))


def _check_season_length(season_length: int) -> None:
    if season_length < 1:
        raise FrameValidationError(
            f"season_length is {season_length}; use 1 for no seasonality or the period "
            "length (such as 24 for hourly data with a daily cycle)",
            column="season_length",
        )


def seasonal_naive_scale(insample: ArrayLike, season_length: int = 1) -> float:
    """Mean absolute error of the in-sample seasonal naive forecast: MASE's denominator.

    NaN when the history has no more than ``season_length`` points.
    """
    _check_season_length(season_length)
    history = np.asarray(insample, dtype=np.float64)
    if history.size <= season_length:
        return float("nan")
    return float(np.mean(np.abs(history[season_length:] - history[:-season_length])))


def mase(
    actual: ArrayLike, forecast: ArrayLike, insample: ArrayLike, season_length: int = 1
) -> float:
    """MAE divided by the in-sample seasonal naive MAE; below 1 beats seasonal naive.

    NaN (never inf) when that scale is 0 or undefined: a constant or too-short history.
    """
    scale = seasonal_naive_scale(insample, season_length)
    if not np.isfinite(scale) or scale == 0:
        return float("nan")
    return mae(actual, forecast) / scale


METRIC_NAMES = ("mae", "rmse", "mape", "smape", "mase")


def _per_point_terms(actual: FloatArray, predicted: FloatArray) -> dict[str, FloatArray]:
    """Each metric as a mean of per-point terms (rmse before its square root)."""
    error = actual - predicted
    absolute = np.abs(error)
    with np.errstate(over="ignore"):
        ape = np.divide(
            absolute, np.abs(actual), out=np.full_like(absolute, np.nan), where=actual != 0
        )
        squared = error**2
        percent = 100.0 * ape
    return {
        "mae": absolute,
        "rmse": squared,
        "mape": percent,
        "smape": 200.0 * _smape_terms(actual, predicted),
        "mase": absolute,
    }


def _series_scales(insample: pd.DataFrame, season_length: int) -> pd.Series:
    absent = [column for column in ("unique_id", "ds", "y") if column not in insample.columns]
    if absent:
        raise FrameValidationError(
            f"insample lacks column(s) {', '.join(absent)}; pass the training frame in long format",
            column=absent[0],
        )
    history = insample.sort_values(["unique_id", "ds"], kind="stable")
    ids = history["unique_id"].astype(str)
    naive_errors = history["y"].astype("float64").groupby(ids, sort=False).diff(season_length)
    scales = naive_errors.abs().groupby(ids, sort=False).mean()
    return scales.where(scales > 0)


def evaluate(
    df: pd.DataFrame,
    models: Sequence[str],
    *,
    insample: pd.DataFrame | None = None,
    season_length: int = 1,
    metrics: Sequence[str] = METRIC_NAMES,
) -> pd.DataFrame:
    """Per-series scores: one row per (unique_id, metric), one column per model.

    The shape follows utilsforecast's ``evaluate`` so results can be compared with
    Nixtla tooling directly; rows are ordered by unique_id, then metric as requested.
    ``df`` holds ``unique_id``, ``y`` and one column per model; MASE needs ``insample``
    (the training history in long format, one scale per series from its own history).
    A missing forecast or actual makes that series' score NaN rather than quietly
    scoring the remaining points; MAPE alone skips points whose actual is 0.
    """
    unknown = [name for name in metrics if name not in METRIC_NAMES]
    if unknown:
        raise FrameValidationError(
            f"unknown metric(s) {', '.join(unknown)}; use {', '.join(METRIC_NAMES)}",
            column="metrics",
        )
    absent = [column for column in ("unique_id", "y", *models) if column not in df.columns]
    if absent:
        raise FrameValidationError(
            f"missing column(s) {', '.join(absent)}; found {', '.join(map(str, df.columns))}",
            column=absent[0],
        )
    if "mase" in metrics and insample is None:
        raise FrameValidationError(
            "MASE needs the in-sample history; pass insample or leave mase out of metrics",
            column="insample",
        )
    _check_season_length(season_length)
    ids = df["unique_id"].astype(str)
    actual = df["y"].to_numpy(dtype=np.float64)
    series = pd.Index(ids.unique()).sort_values()
    scales = (
        _series_scales(insample, season_length).reindex(series)
        if insample is not None and "mase" in metrics
        else pd.Series(np.nan, index=series)
    )
    columns: dict[str, pd.DataFrame] = {}
    for model in models:
        predicted = df[model].to_numpy(dtype=np.float64)
        terms = pd.DataFrame(_per_point_terms(actual, predicted), index=df.index)[list(metrics)]
        # groupby means skip NaN (which MAPE relies on for zero actuals), so a missing
        # forecast or actual has to blank its series explicitly
        scores = terms.groupby(ids, sort=True).mean().reindex(series)
        holes = pd.Series(np.isnan(actual - predicted), index=df.index)
        scores[holes.groupby(ids, sort=True).any().reindex(series).to_numpy()] = np.nan
        if "rmse" in metrics:
            scores["rmse"] = np.sqrt(scores["rmse"])
        if "mase" in metrics:
            scores["mase"] = scores["mase"] / scales
        columns[model] = scores
    if not models:
        index = pd.MultiIndex.from_product([series, list(metrics)], names=["unique_id", "metric"])
        return index.to_frame(index=False)
    stacked = pd.DataFrame(
        {model: scores.stack(future_stack=True) for model, scores in columns.items()}
    )
    stacked.index = stacked.index.set_names(["unique_id", "metric"])
    return stacked.reset_index()
