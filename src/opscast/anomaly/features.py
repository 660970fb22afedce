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
    if not len(x):
        return np.zeros((0, len(FEATURE_NAMES)))
    features: FloatArray = rolling_features_rows(x[None, :], window)[0]
    return features


def rolling_features_rows(rows: FloatArray, window: int = 30) -> FloatArray:
    """``rolling_features`` of each row of a (k, n) matrix at once: a (k, n, 5) array."""
    k, n = rows.shape
    rolling = pd.DataFrame(rows.T).rolling(window, min_periods=1)
    mean = rolling.mean().to_numpy().T
    std = rolling.std(ddof=0).to_numpy().T
    previous_mean = np.concatenate((rows[:, :1], mean[:, :-1]), axis=1)
    previous_std = np.concatenate((np.zeros((k, 1)), std[:, :-1]), axis=1)
    scale = np.maximum(previous_std, 1e-9 + 1e-6 * np.abs(previous_mean))
    zscore = (rows - previous_mean) / scale
    change = np.diff(rows, axis=1, prepend=rows[:, :1])
    slope = np.zeros((k, n))
    if 2 <= window <= n:
        windows = np.lib.stride_tricks.sliding_window_view(rows, window, axis=1)
        slope[:, window - 1 :] = windows @ slope_weights(window)
    features: FloatArray = np.stack((mean, std, slope, zscore, change), axis=2)
    return features
