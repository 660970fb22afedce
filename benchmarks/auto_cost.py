"""What ``auto`` costs on weekly data, as a multiple of its cheap candidates run alone.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/auto_cost.py [--series 359]``.

``auto`` backtests its cheap candidates (seasonal naive and the global LightGBM) on every
series, then the expensive per-series models (MSTL, Theta, AutoETS, AutoARIMA) on the
hardest series until a budget of half the cheap stage's time is spent; its cost should
therefore be a known multiple of the cheap candidates' whatever the season length.
Season 52 is the case where it was not: per-series models fitted on a weekly season
took 18 minutes for 359 series on one core. ``../shared/data`` holds no weekly series,
so the set is simulated with M4 Weekly's shape: 359 series, 80 to 2,600 weeks long
(median about 930), horizon 13, a yearly cycle of 52 weeks, a trend and noise.

Every model runs through the command line as a whole process (``opscast forecast``),
as a user would run it, on every core; wall and CPU seconds (the process and its
workers) are printed with ``auto``'s multiple of the cheap candidates' sum.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

HORIZON = 13
SEASON = 52
CHEAP = ("seasonal_naive", "lightgbm")


def weekly_set(series: int, seed: int = 0) -> pd.DataFrame:
    """Series with M4 Weekly's count, lengths, horizon and yearly cycle."""
    rng = np.random.default_rng(seed)
    lengths = np.clip(np.exp(rng.normal(np.log(930), 0.6, series)).astype(int), 80, 2600)
    frames = []
    for index, length in enumerate(lengths):
        t = np.arange(length)
        level = rng.uniform(500, 20_000)
        cycle = rng.uniform(0.02, 0.3) * np.sin(2 * np.pi * (t / SEASON + rng.uniform()))
        trend = rng.normal(0, 0.002) * t
        walk = np.cumsum(rng.normal(0, 0.01, length))
        y = level * np.exp(cycle + trend + walk + rng.normal(0, 0.03, length))
        ds = pd.date_range("1990-01-07", periods=length, freq="W-SUN")
        frames.append(pd.DataFrame({"unique_id": f"W{index + 1}", "ds": ds, "y": y}))
    return pd.concat(frames, ignore_index=True)


def run_cli(model: str, data: Path, output: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one ``opscast forecast`` process (workers included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    command = [
        str(Path(sys.executable).with_name("opscast")),
        "forecast",
        "--input",
        str(data),
        "--horizon",
        str(HORIZON),
        "--season-length",
        str(SEASON),
        "--model",
        model,
        "--output",
        str(output),
    ]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=359)
    args = parser.parse_args()
    if args.series < 1:
        parser.error("--series must be at least 1")
    with tempfile.TemporaryDirectory() as scratch:
        data = Path(scratch) / "weekly.csv"
        frame = weekly_set(args.series)
        frame.to_csv(data, index=False)
        print(f"{args.series} weekly series, {len(frame):,} points, horizon {HORIZON}\n")
        costs = {model: run_cli(model, data, Path(scratch) / f"{model}.csv") for model in CHEAP}
        costs["auto"] = run_cli("auto", data, Path(scratch) / "auto.csv")
    cheap_wall = sum(costs[model][0] for model in CHEAP)
    cheap_cpu = sum(costs[model][1] for model in CHEAP)
    print("| model (CLI, every core) | wall s | CPU s | wall / cheap candidates' | CPU / theirs |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for model, (wall, cpu) in costs.items():
        ratios = f"{wall / cheap_wall:.2f} | {cpu / cheap_cpu:.2f}"
        print(f"| {model} | {wall:.1f} | {cpu:.1f} | {ratios} |")
    print(f"| cheap candidates together | {cheap_wall:.1f} | {cheap_cpu:.1f} | 1.00 | 1.00 |")


if __name__ == "__main__":
    main()
