"""Requests per minute of web services, with bursts and flagged events.

Traffic is simulated once at one-minute resolution and coarser views are sums of it,
so the 5- and 15-minute series are exactly what a metrics pipeline would report for
the same requests. Bursts are short (minutes) and unannounced; events (a release, a
campaign) raise traffic for hours and are flagged, as an events calendar would.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from opscast.simulate.calendar import daily_cycle, time_axis, weekly_factor

MINUTES_PER_DAY = 1440


def _service_minutes(ds: pd.DatetimeIndex, rng: np.random.Generator) -> pd.DataFrame:
    minutes = len(ds)
    base = rng.uniform(150.0, 600.0)
    growth = 1.0 + rng.uniform(0.0, 0.1) * np.arange(minutes) / (MINUTES_PER_DAY * 7)
    level = base * growth * daily_cycle(ds, trough=0.15) * weekly_factor(ds, weekend=0.65)

    is_burst = np.zeros(minutes, dtype=bool)
    for begin in np.flatnonzero(rng.random(minutes) < 1.0 / (MINUTES_PER_DAY / 3)):
        is_burst[begin : begin + rng.integers(3, 15)] = True
    is_event = np.zeros(minutes, dtype=bool)
    for begin in np.flatnonzero(rng.random(minutes) < 1.0 / (MINUTES_PER_DAY * 4)):
        is_event[begin : begin + rng.integers(120, 360)] = True
    level = level * np.where(is_event, rng.uniform(1.6, 2.4), 1.0)
    level = level * np.where(is_burst, rng.uniform(2.5, 5.0, minutes), 1.0)
    counts = rng.poisson(level * rng.lognormal(0.0, 0.05, minutes))
    return pd.DataFrame(
        {"ds": ds, "y": counts.astype(np.float64), "is_burst": is_burst, "is_event": is_event}
    )


def simulate_traffic(
    *,
    start: str = "2024-01-01",
    days: int = 14,
    freq: str = "1min",
    services: Sequence[str] = ("web",),
    seed: int = 0,
) -> pd.DataFrame:
    step = pd.Timedelta(freq)
    if step < pd.Timedelta(minutes=1) or step % pd.Timedelta(minutes=1):
        raise ValueError(f"freq {freq!r} must be a whole number of minutes, such as 1min or 5min")
    rng = np.random.default_rng(seed)
    ds = time_axis(start, days, "1min")
    frames = []
    for service in services:
        minutes = _service_minutes(ds, rng)
        if step > pd.Timedelta(minutes=1):
            minutes = (
                minutes.resample(step, on="ds")
                .agg({"y": "sum", "is_burst": "any", "is_event": "any"})
                .reset_index()
            )
        minutes.insert(0, "unique_id", service)
        frames.append(minutes)
    frame = pd.concat(frames, ignore_index=True)
    return frame.sort_values(["unique_id", "ds"], ignore_index=True)
