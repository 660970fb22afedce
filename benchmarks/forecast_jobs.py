"""Whole-process wall time of ``opscast forecast`` against statsforecast with ``n_jobs=-1``.

Run: ``nice .venv/bin/python benchmarks/forecast_jobs.py [--series 100] [--repeats 3]``.
Both sides are separate processes started from the shell's point of view, imports
included: ``opscast forecast --model theta`` on a CSV of daily demand series (horizon 28,
season 7) and a script that reads the same CSV, runs statsforecast's ``AutoTheta`` with
``n_jobs=-1`` and writes its forecasts. ``opscast --jobs 1`` shows what one core costs.
The runs alternate and the median of the repeats is reported, wall time with the CPU
time of the process and its children beside it; the forecasts are checked to agree.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

H = 28
SEASON = 7
PEER = """
import sys
import pandas as pd
from statsforecast import StatsForecast
from statsforecast.models import AutoTheta
df = pd.read_csv(sys.argv[1], parse_dates=["ds"])
result = StatsForecast(models=[AutoTheta(season_length={season})], freq="D", n_jobs=-1).forecast(
    df=df, h={h}
)
result.to_csv(sys.argv[2], index=False)
"""


def timed(command: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (the process and everything it waited for) of one command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=Path("var/benchmarks/forecast_jobs.json"))
    args = parser.parse_args()
    from opscast.simulate import simulate_demand

    frame = simulate_demand(stores=10, items=max(1, args.series // 10), days=365, seed=1)
    binary = str(Path(sys.executable).parent / "opscast")
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        csv = tmp / "daily.csv"
        frame[["unique_id", "ds", "y"]].to_csv(csv, index=False)
        script = tmp / "peer.py"
        script.write_text(PEER.format(season=SEASON, h=H))
        commands = {
            "opscast forecast --model theta": [
                binary, "forecast", "--input", str(csv), "--horizon", str(H),
                "--season-length", str(SEASON), "--model", "theta",
                "--output", str(tmp / "opscast.csv"),
            ],
            "opscast forecast --model theta --jobs 1": [
                binary, "forecast", "--input", str(csv), "--horizon", str(H),
                "--season-length", str(SEASON), "--model", "theta", "--jobs", "1",
                "--output", str(tmp / "opscast1.csv"),
            ],
            "statsforecast AutoTheta n_jobs=-1": [
                sys.executable, str(script), str(csv), str(tmp / "peer.csv")
            ],
        }  # fmt: skip
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.repeats):
            for name, command in commands.items():
                runs[name].append(timed(command))
                print(name, *(f"{v:.1f}" for v in runs[name][-1]), flush=True)
        ours = pd.read_csv(tmp / "opscast.csv", parse_dates=["ds"])
        peer = pd.read_csv(tmp / "peer.csv", parse_dates=["ds"])
        joined = ours.merge(peer, on=["unique_id", "ds"])
        same = bool(np.allclose(joined["theta"], joined["AutoTheta"], rtol=1e-6))
    medians = {
        name: (statistics.median(w for w, _ in rows), statistics.median(c for _, c in rows))
        for name, rows in runs.items()
    }
    peer_wall = medians["statsforecast AutoTheta n_jobs=-1"][0]
    print(
        f"\n{args.series} daily series, h={H}, {args.repeats} runs each, median; identical: {same}"
    )
    print("\n| command | wall s | CPU s | wall / statsforecast |")
    print("| --- | ---: | ---: | ---: |")
    for name, (wall, cpu) in medians.items():
        print(f"| {name} | {wall:.1f} | {cpu:.1f} | {wall / peer_wall:.2f} |")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"runs": runs, "identical": same}, indent=2))


if __name__ == "__main__":
    main()
