"""Rolling features of one metric that never look ahead.

The feature vector of point t (rolling mean, standard deviation, trend slope,
z-score, rate of change) is built from t and the ``window`` points before it, so a
detector trained on these features scores each point as it arrives, the way the stream
processor sees it. The z-score compares t with the *previous* window: including t in
its own baseline would damp exactly the spikes it should reveal. Pandas' rolling
kernels (compiled, online) and one convolution keep the whole thing vectorized.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]

FEATURE_NAMES = ("rolling_mean", "rolling_std", "slope", "zscore", "rate_of_change")


def as_values(values: npt.ArrayLike) -> FloatArray:
    """A float64 copy-free view where possible; missing points carry the last value forward.

    A gap is not evidence of an anomaly, and carrying forward keeps every score causal.
    """
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError("a detector scores one series at a time: pass a 1-d array")
    if np.isnan(array).any():
        array = np.asarray(pd.Series(array).ffill().fillna(0.0), dtype=np.float64)
    return array


def slope_weights(window: int) -> FloatArray:
    """Weights of ``window`` points, oldest first, whose sum is their least-squares slope."""
    offsets = np.arange(window, dtype=np.float64) - (window - 1) / 2.0
    return offsets / float(np.sum(offsets**2))


def trailing_slope(values: FloatArray, window: int) -> FloatArray:
    """Least-squares slope per step over the last ``window`` points (0 until that many exist)."""
    n = len(values)
    slope = np.zeros(n)
    if window < 2 or n < window:
        return slope
    kernel = slope_weights(window)
    # convolve flips the kernel: reverse it so the newest point meets the largest offset
    slope[window - 1 :] = np.convolve(values, kernel[::-1], mode="valid")
    return slope


def rolling_features(values: npt.ArrayLike, window: int = 30) -> FloatArray:
    """An (n, 5) matrix in ``FEATURE_NAMES`` order; row t uses points t-window .. t only."""
    x = as_values(values)
    series = pd.Series(x)
    rolling = series.rolling(window, min_periods=1)
    mean = rolling.mean().to_numpy()
    std = rolling.std(ddof=0).to_numpy()
    previous_mean = np.concatenate(([x[0] if len(x) else 0.0], mean[:-1]))
    previous_std = np.concatenate(([0.0], std[:-1]))
    scale = np.maximum(previous_std, 1e-9 + 1e-6 * np.abs(previous_mean))
    zscore = (x - previous_mean) / scale
    change = np.diff(x, prepend=x[:1]) if len(x) else x
    return np.column_stack((mean, std, trailing_slope(x, window), zscore, change))
