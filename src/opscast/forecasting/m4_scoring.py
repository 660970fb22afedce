"""The M4 competition's scoring: Naive2, sMAPE, MASE and OWA, exactly as M4 computed them.

Written out here because no maintained Python library reproduces M4's R benchmark code:
the seasonality test is R's 90 % autocorrelation test (``SeasonalityTest`` in M4's
"Benchmarks and Evaluation.R"), the seasonal indices come from R's classical
``decompose(type = "multiplicative")``, and OWA averages sMAPE and MASE over all series
before dividing by Naive2's. Matching those details is what makes an OWA here comparable
with the published table.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.timeseries.metrics import seasonal_naive_scale, smape

FloatArray = npt.NDArray[np.float64]
Z_90 = 1.645


def autocorrelation(x: FloatArray, max_lag: int) -> FloatArray:
    """R's ``acf``: lags 1..max_lag, each over the full-sample mean and variance."""
    centred = x - x.mean()
    denominator = float(np.sum(centred**2))
    return np.array(
        [np.sum(centred[lag:] * centred[:-lag]) / denominator for lag in range(1, max_lag + 1)]
    )


def is_seasonal(x: FloatArray, period: int) -> bool:
    """M4's test: |acf(period)| above the 90 % limit of Bartlett's standard error."""
    if period <= 1 or len(x) < 3 * period:
        return False
    acf = autocorrelation(x, period)
    limit = Z_90 / np.sqrt(len(x)) * np.sqrt(1 + 2 * np.sum(acf[: period - 1] ** 2))
    return bool(abs(acf[period - 1]) > limit)


def seasonal_indices(x: FloatArray, period: int) -> FloatArray:
    """Classical multiplicative decomposition's seasonal figure, one index per position."""
    if period % 2 == 0:
        weights = np.r_[0.5, np.ones(period - 1), 0.5] / period
    else:
        weights = np.ones(period) / period
    half = len(weights) // 2
    trend = np.full(len(x), np.nan)
    trend[half : len(x) - half] = np.convolve(x, weights, mode="valid")
    ratio = x / trend
    figure = np.array([np.nanmean(ratio[i::period]) for i in range(period)])
    result: FloatArray = figure / figure.mean()
    return result


def naive2(x: FloatArray, h: int, period: int) -> FloatArray:
    """The last seasonally adjusted value, re-seasonalised over the horizon."""
    if not is_seasonal(x, period):
        return np.full(h, x[-1])
    figure = seasonal_indices(x, period)
    positions = np.arange(len(x) + h) % period
    adjusted_last = x[-1] / figure[positions[len(x) - 1]]
    future: FloatArray = adjusted_last * figure[positions[len(x) :]]
    return future


def m4_scores(
    forecasts: pd.DataFrame, insample: pd.DataFrame, models: list[str], period: int
) -> pd.DataFrame:
    """Mean sMAPE and MASE per model over all series, and OWA against ``naive2``.

    ``forecasts`` holds ``unique_id``, ``y`` and one column per model including
    ``naive2``; ``insample`` is the training history (MASE's scale per series).
    """
    histories = {
        uid: group["y"].to_numpy(dtype=np.float64)
        for uid, group in insample.sort_values(["unique_id", "ds"]).groupby("unique_id")
    }
    rows = []
    for uid, group in forecasts.groupby("unique_id"):
        actual = group["y"].to_numpy(dtype=np.float64)
        scale = seasonal_naive_scale(histories[uid], period)
        for model in models:
            predicted = group[model].to_numpy(dtype=np.float64)
            rows.append(
                {
                    "model": model,
                    "smape": smape(actual, predicted),
                    "mase": float(np.mean(np.abs(actual - predicted))) / scale,
                }
            )
    means = pd.DataFrame(rows).groupby("model", sort=False).mean()
    base = means.loc["naive2"]
    means["owa"] = 0.5 * (means["smape"] / base["smape"] + means["mase"] / base["mase"])
    return means.reset_index()


def msis(
    actual: FloatArray, lower: FloatArray, upper: FloatArray, scale: float, level: float = 95
) -> float:
    """M4's mean scaled interval score of one series: width plus 2/alpha times each miss.

    ``scale`` is MASE's (the in-sample seasonal naive error), so an MSIS compares across
    series as MASE does; lower is better, and a narrow interval pays for every miss.
    """
    alpha = 1 - level / 100
    below = np.clip(lower - actual, 0, None)
    above = np.clip(actual - upper, 0, None)
    score = (upper - lower) + 2 / alpha * (below + above)
    return float(np.mean(score)) / scale


def interval_scores(
    forecasts: pd.DataFrame, insample: pd.DataFrame, models: list[str], period: int, level: float
) -> pd.DataFrame:
    """Mean MSIS and coverage (share of actuals inside) per model over all series.

    ``forecasts`` holds ``unique_id``, ``y`` and ``<model>-lo-<level>`` /
    ``<model>-hi-<level>`` for every model named.
    """
    histories = {
        uid: group["y"].to_numpy(dtype=np.float64)
        for uid, group in insample.sort_values(["unique_id", "ds"]).groupby("unique_id")
    }
    rows = []
    label = f"{level:g}"
    for uid, group in forecasts.groupby("unique_id"):
        actual = group["y"].to_numpy(dtype=np.float64)
        scale = seasonal_naive_scale(histories[uid], period)
        for model in models:
            lower = group[f"{model}-lo-{label}"].to_numpy(dtype=np.float64)
            upper = group[f"{model}-hi-{label}"].to_numpy(dtype=np.float64)
            rows.append(
                {
                    "model": model,
                    "msis": msis(actual, lower, upper, scale, level),
                    "coverage": float(np.mean((actual >= lower) & (actual <= upper))),
                }
            )
    return pd.DataFrame(rows).groupby("model", sort=False).mean().reset_index()
