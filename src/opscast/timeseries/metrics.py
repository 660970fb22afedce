"""Forecast error metrics, as the M4 competition defined them.

sMAPE is M4's ``200/h * sum(|y - f| / (|y| + |f|))`` (percent, 0 to 200) with 0/0
terms counted as 0, so a perfect forecast of zeros scores 0 instead of NaN. MAPE skips
points where the actual is 0, since the ratio is undefined there; MASE scales by the
in-sample seasonal naive error, so a value below 1 beats that naive forecast. Where a
denominator vanishes (all actuals 0 for MAPE, a constant history for MASE) the result
is NaN: reporting infinity or zero would rank a model on a meaningless number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
        raise FrameValidationError(f"actuals have shape {y.shape}, forecasts {f.shape}")
    if y.size == 0:
        raise FrameValidationError("no points to score")
    return y, f


def mae(actual: ArrayLike, forecast: ArrayLike) -> float:
    y, f = _pair(actual, forecast)
    return float(np.mean(np.abs(y - f)))


def rmse(actual: ArrayLike, forecast: ArrayLike) -> float:
    y, f = _pair(actual, forecast)
    return float(np.sqrt(np.mean((y - f) ** 2)))


def mape(actual: ArrayLike, forecast: ArrayLike) -> float:
    y, f = _pair(actual, forecast)
    usable = y != 0
    if not usable.any():
        return float("nan")
    with np.errstate(over="ignore"):  # a near-zero actual makes the error legitimately huge
        return float(100.0 * np.mean(np.abs((y[usable] - f[usable]) / y[usable])))


def smape(actual: ArrayLike, forecast: ArrayLike) -> float:
    y, f = _pair(actual, forecast)
    denominator = np.abs(y) + np.abs(f)
    terms = np.divide(np.abs(y - f), denominator, out=np.zeros_like(y), where=denominator > 0)
    return float(200.0 * np.mean(terms))


def seasonal_naive_scale(insample: ArrayLike, season_length: int = 1) -> float:
    """Mean absolute error of the in-sample seasonal naive forecast: MASE's denominator."""
    history = np.asarray(insample, dtype=np.float64)
    if season_length < 1:
        raise FrameValidationError("season_length must be at least 1", column="season_length")
    if history.size <= season_length:
        return float("nan")
    return float(np.mean(np.abs(history[season_length:] - history[:-season_length])))


def mase(
    actual: ArrayLike, forecast: ArrayLike, insample: ArrayLike, season_length: int = 1
) -> float:
    scale = seasonal_naive_scale(insample, season_length)
    if not np.isfinite(scale) or scale == 0:
        return float("nan")
    return mae(actual, forecast) / scale


PointMetric = Callable[[ArrayLike, ArrayLike], float]
POINT_METRICS: dict[str, PointMetric] = {
    "mae": mae,
    "rmse": rmse,
    "mape": mape,
    "smape": smape,
}
METRIC_NAMES = (*POINT_METRICS, "mase")


def evaluate(
    df: pd.DataFrame,
    models: Sequence[str],
    *,
    insample: pd.DataFrame | None = None,
    season_length: int = 1,
    metrics: Sequence[str] = METRIC_NAMES,
) -> pd.DataFrame:
    """Per-series scores, one row per (unique_id, metric) and one column per model.

    The shape follows utilsforecast's ``evaluate`` so results can be compared with
    Nixtla tooling directly. ``df`` holds ``unique_id``, ``y`` and one column per model;
    MASE needs ``insample`` (the training history, long format).
    """
    unknown = [name for name in metrics if name not in METRIC_NAMES]
    if unknown:
        raise FrameValidationError(
            f"unknown metric(s) {', '.join(unknown)}; use {', '.join(METRIC_NAMES)}",
            column="metrics",
        )
    absent = [model for model in ("unique_id", "y", *models) if model not in df.columns]
    if absent:
        raise FrameValidationError(f"missing column(s) {', '.join(absent)}", column=absent[0])
    if "mase" in metrics and insample is None:
        raise FrameValidationError("MASE needs the in-sample history", column="insample")
    scales: dict[str, float] = {}
    if insample is not None and "mase" in metrics:
        for uid, history in insample.sort_values("ds").groupby("unique_id", sort=False)["y"]:
            scales[str(uid)] = seasonal_naive_scale(history.to_numpy(), season_length)
    rows: list[dict[str, object]] = []
    for uid, group in df.groupby("unique_id", sort=True):
        actual = group["y"].to_numpy(dtype=np.float64)
        for name in metrics:
            row: dict[str, object] = {"unique_id": uid, "metric": name}
            for model in models:
                predicted = group[model].to_numpy(dtype=np.float64)
                if name == "mase":
                    scale = scales.get(str(uid), float("nan"))
                    ok = np.isfinite(scale) and scale > 0
                    row[model] = mae(actual, predicted) / scale if ok else float("nan")
                else:
                    row[model] = POINT_METRICS[name](actual, predicted)
            rows.append(row)
    return pd.DataFrame(rows, columns=["unique_id", "metric", *models])
