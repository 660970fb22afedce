"""Server metrics of a fleet, with failure precursors and the failures they lead to.

Each host's normal behaviour stays clear of its limits (CPU, memory and disk below
95 %, connections below 90 % of the pool), so every limit crossing in the data is a
recorded failure: ground truth for time-to-failure and anomaly scoring. A precursor
is a ramp from normal to the limit (a leak, a filling disk, a saturating pool, a
runaway process), crossing it exactly at ``failure_at``; the host then restarts and
its metrics return to normal. Some precursors are set to fail after the simulated
window, as happens in live data: their ``failure_at`` lies past the last timestamp
and no point in the window crosses the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from opscast.simulate.calendar import FloatArray, daily_cycle, time_axis

METRICS = ("cpu_pct", "memory_pct", "disk_pct", "latency_ms", "connections")
ROLES = ("web", "api", "db", "cache")
POOL_SIZES = (100, 200, 500)
NORMAL_CEILING_PCT = 95.0
NORMAL_POOL_SHARE = 0.9

# failure kind -> (metric that crosses its limit, precursor duration range in hours)
FAILURE_KINDS: dict[str, tuple[str, tuple[float, float]]] = {
    "memory_leak": ("memory_pct", (12.0, 48.0)),
    "disk_filling": ("disk_pct", (24.0, 72.0)),
    "connection_pool_saturation": ("connections", (1.0, 6.0)),
    "cpu_runaway": ("cpu_pct", (0.5, 2.0)),
}


@dataclass(frozen=True, slots=True)
class Fleet:
    """``metrics`` in long format (plus ``host``, ``metric``); ``failures`` as ground truth.

    ``hosts`` lists each host with its role and connection-pool size, the limit of its
    ``connections`` metric (CPU, memory and disk are limited at 100 %).
    """

    metrics: pd.DataFrame
    failures: pd.DataFrame
    hosts: pd.DataFrame


def _normal_host(
    ds: pd.DatetimeIndex, rng: np.random.Generator, pool: int
) -> dict[str, FloatArray]:
    n = len(ds)
    load = np.clip(
        daily_cycle(ds, trough=0.25) * rng.uniform(0.45, 0.85) + rng.normal(0, 0.04, n), 0, 1
    )
    memory_base = rng.uniform(35.0, 60.0)
    disk_base = rng.uniform(25.0, 60.0)
    values = {
        "cpu_pct": 8.0 + 60.0 * load + rng.normal(0, 3.0, n),
        "memory_pct": memory_base + 12.0 * load + rng.normal(0, 1.0, n),
        "disk_pct": disk_base + np.linspace(0, rng.uniform(0.5, 3.0), n) + rng.normal(0, 0.2, n),
        "connections": pool * (0.15 + 0.45 * load) + rng.normal(0, pool * 0.02, n),
        "latency_ms": 18.0 + 40.0 * load**2 + rng.gamma(2.0, 2.0, n),
    }
    for name in ("cpu_pct", "memory_pct", "disk_pct"):
        values[name] = np.clip(values[name], 0.0, NORMAL_CEILING_PCT)
    values["connections"] = np.clip(np.round(values["connections"]), 0, pool * NORMAL_POOL_SHARE)
    return values


def _inject(
    values: dict[str, FloatArray],
    kind: str,
    onset: int,
    failure: int,
    limit: float,
    rng: np.random.Generator,
) -> None:
    """Ramp the kind's metric from its normal value at ``onset`` to ``limit`` at ``failure``."""
    metric, _ = FAILURE_KINDS[kind]
    series = values[metric]
    n = len(series)
    stop = min(failure, n)
    if stop <= onset:
        return
    start_value = float(series[onset])
    steps = failure - onset
    progress = (np.arange(onset, stop) - onset) / steps
    curve = progress**1.3 if kind != "cpu_runaway" else np.sqrt(progress)
    ramp = start_value + (limit - start_value) * curve
    noise = rng.normal(0, 0.004 * limit, stop - onset)
    series[onset:stop] = np.clip(ramp + noise, 0.0, np.nextafter(limit, 0.0))
    if failure < n:
        series[failure] = limit
    saturation = np.clip(curve, 0.0, 1.0)
    if kind in {"connection_pool_saturation", "cpu_runaway"}:
        values["latency_ms"][onset:stop] *= 1.0 + 6.0 * saturation**2
    if kind == "memory_leak":
        values["cpu_pct"][onset:stop] = np.minimum(
            values["cpu_pct"][onset:stop] * (1.0 + 0.2 * saturation), NORMAL_CEILING_PCT
        )


def simulate_fleet(
    *,
    hosts: int = 10,
    start: str = "2024-01-01",
    days: int = 7,
    freq: str = "1min",
    failure_share: float = 0.4,
    seed: int = 0,
) -> Fleet:
    if hosts < 1:
        raise ValueError("hosts must be at least 1")
    if not 0.0 <= failure_share <= 1.0:
        raise ValueError("failure_share must lie between 0 and 1")
    rng = np.random.default_rng(seed)
    ds = time_axis(start, days, freq)
    n = len(ds)
    step_hours = pd.Timedelta(freq) / pd.Timedelta(hours=1)
    frames: list[pd.DataFrame] = []
    failures: list[dict[str, object]] = []
    inventory: list[dict[str, object]] = []
    kinds = list(FAILURE_KINDS)
    for index in range(hosts):
        role = ROLES[index % len(ROLES)]
        host = f"{role}-{index // len(ROLES) + 1:02d}"
        pool = int(rng.choice(POOL_SIZES))
        inventory.append({"host": host, "role": role, "pool_size": pool})
        values = _normal_host(ds, rng, pool)
        if rng.random() < failure_share:
            kind = kinds[int(rng.integers(len(kinds)))]
            metric, (low, high) = FAILURE_KINDS[kind]
            duration = max(2, int(rng.uniform(low, high) / step_hours))
            # one in five precursors fails after the window ends
            failure = (
                int(rng.integers(n, n + duration))
                if rng.random() < 0.2
                else int(rng.integers(min(duration, n - 1), n))
            )
            onset = max(0, failure - duration)
            limit = float(pool) if metric == "connections" else 100.0
            _inject(values, kind, onset, failure, limit, rng)
            step = pd.Timedelta(freq)
            failures.append(
                {
                    "host": host,
                    "kind": kind,
                    "metric": metric,
                    "onset": ds[0] + step * onset,
                    "failure_at": ds[0] + step * failure,
                    "limit": limit,
                }
            )
        for metric in METRICS:
            frames.append(
                pd.DataFrame(
                    {
                        "unique_id": f"{host}:{metric}",
                        "ds": ds,
                        "y": values[metric].astype(np.float64),
                        "host": host,
                        "metric": metric,
                    }
                )
            )
    metrics = pd.concat(frames, ignore_index=True).sort_values(
        ["unique_id", "ds"], ignore_index=True
    )
    failure_frame = pd.DataFrame(
        failures, columns=["host", "kind", "metric", "onset", "failure_at", "limit"]
    )
    return Fleet(metrics=metrics, failures=failure_frame, hosts=pd.DataFrame(inventory))
