"""Walk-forward upper bounds of traffic over a lead window, cheap enough for every step.

A simulation needs, at every step, what a forecaster would have said *then* about the
next minutes. Refitting or even calling a trained model at each of tens of thousands of
steps costs minutes, so this uses the baseline of the hybrid traffic model: the mean of
the same step one, two and three seasons earlier, scaled by how the last hour compares
with that profile. The bound above it is split-conformal: the ``level`` quantile of the
one-step errors over the last season (at least 56 steps), so it widens
when the profile has recently been wrong. Errors are taken on the square-root scale,
which makes count noise about equally wide at any level. Only values observed before a
step are used.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]

PROFILE_SEASONS = 3
# the level may move the profile by at most this factor either way: one odd hour must
# not multiply tomorrow's plan by ten
LEVEL_BOUNDS = (0.25, 4.0)
# one-step errors the bound is calibrated on, at least: a week of daily data is too few
MIN_CALIBRATION = 56


def seasonal_profile(y: FloatArray, season_length: int) -> FloatArray:
    """Median of the same step in the previous seasons that exist (NaN in the first season).

    The median, not the mean: with three seasons, yesterday's burst is outvoted by the
    two days without one instead of being planned for again today.
    """
    n = len(y)
    donors = np.full((PROFILE_SEASONS, n), np.nan)
    for k in range(1, PROFILE_SEASONS + 1):
        lag = k * season_length
        if lag < n:
            donors[k - 1, lag:] = y[:-lag]
    profile = np.full(n, np.nan)
    known = np.isfinite(donors).any(axis=0)
    profile[known] = np.nanmedian(donors[:, known], axis=0)
    # per-minute counts are noisy: average neighbouring minutes of the profile (all
    # observed, since the lead window is far shorter than a season)
    width = 2 * (season_length // 480) + 1
    if width > 1:
        smooth = pd.Series(profile).rolling(width, center=True, min_periods=1).mean()
        profile = np.where(np.isfinite(profile), smooth.to_numpy(), np.nan)
    return profile


def lead_window_forecast(
    y: FloatArray, season_length: int, lead_steps: int, level: float = 0.9
) -> tuple[FloatArray, FloatArray]:
    """For each step ``s``: the forecast of the largest load in steps ``s .. s+lead_steps``
    and its upper bound at ``level``, both from the values before ``s``.

    ``lead_steps`` must be shorter than a season, so every profile donor is already observed.
    """
    if not 0 <= lead_steps < season_length:
        raise ValueError("lead_steps must be at least 0 and shorter than a season")
    n = len(y)
    profile = seasonal_profile(y, season_length)
    window = max(3, season_length // 24)  # about an hour for intraday data
    observed = pd.Series(y).rolling(window).sum().to_numpy()
    expected = pd.Series(profile).rolling(window).sum().to_numpy()
    # +1: night-time counts are small and a zero profile must not divide
    ratio = np.clip((observed + 1.0) / (expected + 1.0), *LEVEL_BOUNDS)
    ratio = np.where(np.isfinite(ratio), ratio, 1.0)
    # the one-step forecast of step t, made at t-1 (naive where no season is known yet)
    previous = np.concatenate([[0.0], y[:-1]])  # nothing is known before the first step
    ratio_before = np.concatenate([[1.0], ratio[:-1]])
    one_step = np.where(np.isfinite(profile), profile * ratio_before, previous)
    # errors on the square-root scale, where count noise has about the same spread at
    # night and at noon and a zero forecast does not blow up a ratio
    errors = pd.Series(np.sqrt(y) - np.sqrt(np.maximum(one_step, 0.0)))
    calibration = max(season_length, MIN_CALIBRATION)
    margin = errors.rolling(calibration, min_periods=1).quantile(level).to_numpy()
    margin_before = np.concatenate([[0.0], np.maximum(margin[:-1], 0.0)])
    # the profile of the lead window, and the level known before each step
    padded = np.concatenate([profile, np.full(lead_steps, np.nan)])
    ahead = np.lib.stride_tricks.sliding_window_view(padded, lead_steps + 1)[:n]
    with np.errstate(all="ignore"):
        peak = np.nanmax(np.where(np.isfinite(ahead), ahead, -np.inf), axis=1)
    peak = np.maximum(np.where(np.isfinite(peak), peak * ratio_before, previous), 0.0)
    return peak, (np.sqrt(peak) + margin_before) ** 2
