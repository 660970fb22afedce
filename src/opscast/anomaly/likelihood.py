"""Numenta's anomaly likelihood, vectorized.

A raw anomaly score (how surprising one point is) fires on every noisy point of a
noisy metric. The likelihood asks instead whether the *recent* average raw score is
unusual for this metric: it models the short moving average of raw scores over a long
trailing history as a normal distribution and reports the tail probability, then
maps the number of nines of that probability to [0, 1) (0.5 at one in ten billion, as
Numenta's log-likelihood), without the saturation at 1 that would make every strong
anomaly tie with every other (Ahmad et al. 2017, "Unsupervised
real-time anomaly detection for streaming data"). Both windows are trailing, so the
result stays causal; the long one also lets the model adapt when a new normal settles.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import log_ndtr

from opscast.anomaly.features import FloatArray

# Numenta's floor on the spread of averaged scores: a perfectly quiet history would
# otherwise make the smallest blip "infinitely" unlikely.
MIN_STD = 0.03
# -log10 of the tail probability that maps to 0.5: a one-in-ten-billion recent average
HALF_SCORE_DIGITS = 10.0


def likelihood(recent: FloatArray, mean: FloatArray, std: FloatArray) -> FloatArray:
    """Score in [0, 1) of each ``recent`` raw score against its history's mean and spread.

    A NaN ``mean`` (no history yet) scores 0.
    """
    # log of the upper tail, exact far into it where 1 - cdf would round to 0
    digits = -log_ndtr(-(recent - mean) / np.maximum(std, MIN_STD)) / np.log(10.0)
    digits = np.where(np.isnan(mean), 0.0, np.maximum(digits, 0.0))
    return np.asarray(digits / (digits + HALF_SCORE_DIGITS), dtype=np.float64)


def anomaly_likelihood(raw: FloatArray, *, short: int = 10, long: int = 2000) -> FloatArray:
    """Likelihood in [0, 1) that the last ``short`` raw scores are unusually high."""
    series = pd.Series(raw)
    recent = series.rolling(short, min_periods=1).mean()
    history = recent.shift(1).rolling(long, min_periods=short)
    return likelihood(recent.to_numpy(), history.mean().to_numpy(), history.std(ddof=0).to_numpy())
