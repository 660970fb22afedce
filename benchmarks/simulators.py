"""Time to simulate about a million points, next to the floor of building such a frame.

Run: ``.venv/bin/python benchmarks/simulators.py [--repeat 5]``. The peer is the least
any simulator must do: draw a million normal numbers with numpy and put them in a
long-format pandas frame. The ratio says what the realism (seasonality, bursts,
failure precursors) costs on top of that.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from opscast.simulate import simulate_demand, simulate_fleet, simulate_incidents, simulate_traffic


def bare_frame(points: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    per_series = points // 100
    return pd.DataFrame(
        {
            "unique_id": np.repeat(np.array([f"s{i}" for i in range(100)]), per_series),
            "ds": np.tile(pd.date_range("2024-01-01", periods=per_series, freq="min"), 100),
            "y": rng.normal(size=per_series * 100),
        }
    )


CASES: list[tuple[str, Callable[[], pd.DataFrame]]] = [
    (
        "incidents: 100 categories x 10,000 days",
        lambda: simulate_incidents(categories=[f"c{i}" for i in range(100)], days=10_000, seed=0),
    ),
    (
        "traffic: 50 services x 14 days per minute",
        lambda: simulate_traffic(services=[f"s{i}" for i in range(50)], days=14, seed=0),
    ),
    (
        "demand: 10 stores x 55 items x 5 years",
        lambda: simulate_demand(stores=10, items=55, days=5 * 365, seed=0),
    ),
    (
        "server metrics: 14 hosts x 5 metrics x 10 days per minute",
        lambda: simulate_fleet(hosts=14, days=10, seed=0).metrics,
    ),
]


def median_seconds(build: Callable[[], pd.DataFrame], repeat: int) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        size = len(build())
        times.append(time.perf_counter() - started)
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print("| simulator | points | median s | bare frame s | ratio |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, build in CASES:
        seconds, size = median_seconds(build, args.repeat)
        floor, _ = median_seconds(lambda size=size: bare_frame(size), args.repeat)
        print(f"| {name} | {size:,} | {seconds:.2f} | {floor:.2f} | {seconds / floor:.1f} |")


if __name__ == "__main__":
    main()
