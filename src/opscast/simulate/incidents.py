"""Daily incident counts per category, shaped like an ITSM export.

Counts are negative-binomial (over-dispersed, as real ticket counts are) around a
level made of weekly, yearly and trend factors; holidays are quiet, and outages add a
burst that decays over a few days, which is what makes incident forecasting hard.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from opscast.simulate.calendar import is_holiday, time_axis, weekly_factor, yearly_factor

DEFAULT_CATEGORIES = ("Software", "Hardware", "Network", "Database", "Access", "Security")
DISPERSION = 8.0
BURST_DECAY_DAYS = 1.5


def simulate_incidents(
    *,
    start: str = "2021-01-01",
    days: int = 3 * 365,
    categories: Sequence[str] = DEFAULT_CATEGORIES,
    seed: int = 0,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = time_axis(start, days, "D")
    holiday = is_holiday(ds)
    frames = []
    for category in categories:
        base = rng.uniform(4.0, 40.0)
        # exponential so that a declining category fades but never goes negative
        trend = np.exp(rng.uniform(-0.15, 0.3) * np.arange(days) / 365.0)
        level = (
            base
            * trend
            * weekly_factor(ds, weekend=rng.uniform(0.35, 0.6))
            * yearly_factor(ds, amplitude=rng.uniform(0.05, 0.2), phase=rng.uniform(0, 1))
            * np.where(holiday, 0.45, 1.0)
        )
        burst_starts = rng.random(days) < 1.0 / 60.0
        impulse = burst_starts * rng.uniform(1.5, 4.0, days) * base
        kernel = np.exp(-np.arange(10) / BURST_DECAY_DAYS)
        burst = np.convolve(impulse, kernel)[:days]
        mean = level + burst
        counts = rng.negative_binomial(DISPERSION, DISPERSION / (DISPERSION + mean))
        frames.append(
            pd.DataFrame(
                {
                    "unique_id": category,
                    "ds": ds,
                    "y": counts.astype(np.float64),
                    "is_holiday": holiday,
                    "is_burst": burst > 0.5 * base,
                }
            )
        )
    return pd.concat(frames, ignore_index=True).sort_values(["unique_id", "ds"], ignore_index=True)
