"""Data-drift speed and agreement: opscast's kernel against Evidently's DataDriftPreset.

Run: ``.venv/bin/python benchmarks/drift.py [--quick]`` after installing the peer with
``uv pip install -e ".[bench]"`` (Evidently is never a runtime dependency). Both tools get
the same numeric frames: half of the columns are shifted (mean moves of 0.2 to 1 standard
deviations, or a wider spread), the others are drawn from the reference distribution or
moved by 0.02 standard deviations, well under the 0.1 threshold. Each tool runs in a fresh
interpreter on data it generates from the same seed, so imports, caches and allocations do
not leak from one to the other; time is wall time of the drift computation (opscast: the
tests plus the binned distributions its report draws; Evidently: ``Report.run``), peak
memory is how far the process's peak resident size rose above its resident size just before
the run (the data itself is not counted). Verdicts are compared
column by column; both choose the normalized Wasserstein distance above 1,000 rows and the
KS test below.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import time
from typing import Any

import numpy as np
import pandas as pd

SEED = 11
# Per column: (mean shift, spread factor); cycled over the columns.
PATTERN = [
    (0.0, 1.0),
    (0.5, 1.0),
    (0.02, 1.0),
    (0.2, 1.0),
    (0.0, 1.0),
    (1.0, 1.0),
    (0.0, 1.0),
    (0.0, 1.6),
    (0.02, 1.0),
    (0.3, 1.0),
]
FULL_CASES = [(1_000, 10), (100_000, 10), (1_000_000, 20)]
QUICK_CASES = [(1_000, 10), (100_000, 10)]


def frames(rows: int, columns: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(SEED)
    names = [f"f{i:02d}" for i in range(columns)]
    scale = rng.uniform(1, 100, columns)
    reference = rng.standard_normal((rows, columns)) * scale
    shift = np.array([PATTERN[i % len(PATTERN)][0] for i in range(columns)])
    spread = np.array([PATTERN[i % len(PATTERN)][1] for i in range(columns)])
    current = (rng.standard_normal((rows, columns)) * spread + shift) * scale
    return pd.DataFrame(reference, columns=names), pd.DataFrame(current, columns=names)


def status_mb(field: str) -> float:
    """A size from /proc/self/status (Linux), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak() -> None:
    """Forget the peak so far (data generation's temporaries), so VmHWM tracks the run alone."""
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")


def run_opscast(reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, Any]:
    from opscast.drift.check import check_data_drift

    check = check_data_drift(reference, current)
    return {
        c.column: {
            "test": c.test,
            "statistic": c.statistic,
            "p_value": c.p_value,
            "drifted": c.drifted,
        }
        for c in check.result.columns
    }


def run_evidently(reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, Any]:
    from evidently import Report
    from evidently.presets import DataDriftPreset

    snapshot = Report([DataDriftPreset()]).run(current, reference)
    columns: dict[str, Any] = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        if not config["type"].endswith("ValueDrift"):
            continue
        method, value, threshold = config["method"], float(metric["value"]), config["threshold"]
        is_p_value = "p_value" in method
        columns[config["column"]] = {
            "test": method,
            "statistic": None if is_p_value else value,
            "p_value": value if is_p_value else None,
            "drifted": value < threshold if is_p_value else value >= threshold,
        }
    return columns


def measure(tool: str, rows: int, columns: int) -> dict[str, Any]:
    """Runs in the child interpreter: generate, warm the imports, then time one check."""
    runner = run_opscast if tool == "opscast" else run_evidently
    reference, current = frames(rows, columns)
    small_ref, small_cur = frames(200, 2)
    runner(small_ref, small_cur)  # imports and first-call costs are not what is compared
    gc.collect()
    reset_peak()
    before = status_mb("VmRSS")
    started = time.perf_counter()
    result = runner(reference, current)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mb": status_mb("VmHWM") - before, "columns": result}


def in_child(tool: str, rows: int, columns: int) -> dict[str, Any] | str:
    env = {**os.environ, "DO_NOT_TRACK": "1", "EVIDENTLY_DISABLE_TELEMETRY": "1"}
    command = [sys.executable, __file__, "--child", tool, str(rows), str(columns)]
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return lines[-1] if lines else f"exit code {done.returncode}"
    outcome: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return outcome


def agreement(ours: dict[str, Any], theirs: dict[str, Any]) -> tuple[int, int, float]:
    """Matching verdicts, columns compared, and the largest relative gap between statistics."""
    same = sum(ours[name]["drifted"] == theirs[name]["drifted"] for name in theirs)
    gaps = []
    for name in theirs:
        a = ours[name]["statistic"] if ours[name]["p_value"] is None else ours[name]["p_value"]
        b = (
            theirs[name]["statistic"]
            if theirs[name]["p_value"] is None
            else theirs[name]["p_value"]
        )
        if b is not None and a is not None and max(abs(a), abs(b)) > 1e-12:
            gaps.append(abs(a - b) / max(abs(a), abs(b)))
    return same, len(theirs), max(gaps, default=0.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="Skip the 1M x 20 case.")
    parser.add_argument(
        "--child", nargs=3, metavar=("TOOL", "ROWS", "COLUMNS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        tool, rows, columns = args.child
        print(json.dumps(measure(tool, int(rows), int(columns))))
        return
    print(
        "| rows x columns | opscast s | Evidently s | speed-up | opscast peak MB "
        "| Evidently peak MB | same verdicts | max statistic gap | drifted columns |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |", flush=True)
    for rows, columns in QUICK_CASES if args.quick else FULL_CASES:
        ours = in_child("opscast", rows, columns)
        theirs = in_child("evidently", rows, columns)
        if isinstance(ours, str):
            raise SystemExit(f"opscast failed on {rows} x {columns}: {ours}")
        drifted = sum(c["drifted"] for c in ours["columns"].values())
        case = f"{rows:,} x {columns}"
        if isinstance(theirs, str):
            print(
                f"| {case} | {ours['seconds']:.2f} | failed: {theirs} | - "
                f"| {ours['peak_mb']:.0f} | - | - | - | {drifted} |",
                flush=True,
            )
            continue
        same, total, gap = agreement(ours["columns"], theirs["columns"])
        print(
            f"| {case} | {ours['seconds']:.2f} | {theirs['seconds']:.2f} | "
            f"{theirs['seconds'] / ours['seconds']:.0f}x | {ours['peak_mb']:.0f} | "
            f"{theirs['peak_mb']:.0f} | {same}/{total} | {gap:.1e} | {drifted} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
