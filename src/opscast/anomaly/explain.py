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

from opscast.anomaly.features import FEATURE_NAMES, FloatArray, rolling_features


def contributions(values: npt.ArrayLike, *, window: int = 30, baseline: int = 2000) -> FloatArray:
    """An (n, 5) matrix of feature shares in ``FEATURE_NAMES`` order; rows sum to 1 or 0."""
    features = pd.DataFrame(rolling_features(values, window))
    history = features.shift(1).rolling(baseline, min_periods=2)
    mean = history.mean().to_numpy()
    std = history.std(ddof=0).to_numpy()
    deviation = np.abs(features.to_numpy() - mean) / np.where(std > 0, std, np.inf)
    deviation = np.nan_to_num(deviation, nan=0.0)
    total = deviation.sum(axis=1, keepdims=True)
    shares: FloatArray = np.divide(deviation, total, out=np.zeros_like(deviation), where=total > 0)
    return shares


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
