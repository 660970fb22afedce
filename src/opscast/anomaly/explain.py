"""Why a point scored high: the share of each rolling feature in its deviation.

Each feature of ``features.py`` is compared with its own trailing history (mean and
standard deviation over ``baseline`` points before t); the absolute z-deviations,
normalized to sum to 1, say whether a spike (z-score, rate of change), a trend
(slope) or a change of noise (rolling std) drove the alert. This is detector-agnostic
and causal, so the explanation stored with a prediction never uses later data.
"""

from __future__ import annotations

import json

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.anomaly.features import (
    FEATURE_NAMES,
    FloatArray,
    rolling_features,
    rolling_features_rows,
)


def contributions(values: npt.ArrayLike, *, window: int = 30, baseline: int = 2000) -> FloatArray:
    """An (n, 5) matrix of feature shares in ``FEATURE_NAMES`` order; rows sum to 1 or 0."""
    features = pd.DataFrame(rolling_features(values, window))
    history = features.shift(1).rolling(baseline, min_periods=2)
    mean = history.mean().to_numpy()
    std = history.std(ddof=0).to_numpy()
    return _shares(np.abs(features.to_numpy() - mean) / np.where(std > 0, std, np.inf))


def latest_contributions(rows: FloatArray, *, window: int = 30, baseline: int = 2000) -> FloatArray:
    """``contributions(row)[-1]`` of each row of a (k, n) matrix at once: a (k, 5) matrix.

    The stream explains the newest point of many series per tick; only the last
    ``baseline`` feature rows are needed for it, not a rolling baseline at every point.
    """
    features = rolling_features_rows(rows, window)
    history = features[:, -baseline - 1 : -1]
    if history.shape[1] < 2:
        return np.zeros((len(rows), len(FEATURE_NAMES)))
    mean = history.mean(axis=1)
    std = history.std(axis=1)
    return _shares(np.abs(features[:, -1] - mean) / np.where(std > 0, std, np.inf))


def _shares(deviation: FloatArray) -> FloatArray:
    deviation = np.nan_to_num(deviation, nan=0.0)
    total = deviation.sum(axis=1, keepdims=True)
    shares: FloatArray = np.divide(deviation, total, out=np.zeros_like(deviation), where=total > 0)
    return shares


MISSED_CYCLE = "missed_daily_cycle"
"""The explanation of an alarm raised because a daily rhythm broke (``novelty``'s missed
cycles): no rolling feature shows a peak that did not come, the earlier days do."""


def missed_cycle() -> str:
    return json.dumps({MISSED_CYCLE: 1.0}, separators=(",", ":"))


def describe(shares: FloatArray, *, top: int = 3) -> list[str]:
    """One JSON object per row: the ``top`` features and their shares, largest first."""
    order = np.argsort(-shares, axis=1)[:, :top]
    return [
        json.dumps(
            {FEATURE_NAMES[j]: round(float(row[j]), 3) for j in picks if row[j] > 0},
            separators=(",", ":"),
        )
        for row, picks in zip(shares, order, strict=True)
    ]
