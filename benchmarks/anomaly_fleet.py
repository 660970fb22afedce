"""Warning ahead of failures on simulated fleets: share warned, lead time, false alerts.

Run: ``.venv/bin/python benchmarks/anomaly_fleet.py [--seeds 3] [--hosts 20] [--days 3]``.
``simulate_fleet`` injects failure precursors (memory leak, disk filling, connection
pool saturation, CPU runaway) with recorded onset and failure times. Every metric of
every host is scored through ``score_frame`` (the path of ``opscast anomaly score``);
an alert is the first flagged point after 30 quiet minutes on that host. A failure in
the window is warned of when its host alerted between onset and failure; the lead time
runs from that first alert to the failure. Alerts outside every precursor (and the 30
minutes of restart after it) are false alerts.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from opscast.anomaly.scoring import score_frame
from opscast.simulate.server_metrics import simulate_fleet

COOLDOWN = pd.Timedelta(minutes=30)


def alerts(scored: pd.DataFrame) -> pd.DataFrame:
    flagged = scored[scored["is_anomaly"]].sort_values(["host", "ds"])
    gap = flagged.groupby("host")["ds"].diff()
    return flagged[gap.isna() | (gap > COOLDOWN)][["host", "ds"]]


def evaluate(detector: str, seeds: int, hosts: int, days: int) -> list[str]:
    started = time.perf_counter()
    warned, failures, leads, false_alerts, host_days = 0, 0, [], 0, 0.0
    for seed in range(seeds):
        fleet = simulate_fleet(hosts=hosts, days=days, seed=seed)
        frame = fleet.metrics[["unique_id", "ds", "y"]]
        scored = score_frame(frame, detector=detector, explain=False)
        scored["host"] = fleet.metrics["host"].to_numpy()
        raised = alerts(scored)
        end = fleet.metrics["ds"].max()
        host_days += hosts * days
        explained = np.zeros(len(raised), dtype=bool)
        for failure in fleet.failures.itertuples():
            during = (
                (raised["host"] == failure.host)
                & (raised["ds"] >= failure.onset)
                & (raised["ds"] <= failure.failure_at + COOLDOWN)
            ).to_numpy()
            explained |= during
            if failure.failure_at > end:
                continue
            failures += 1
            before = raised[during & (raised["ds"] < failure.failure_at).to_numpy()]
            if len(before):
                warned += 1
                leads.append((failure.failure_at - before["ds"].min()) / pd.Timedelta(hours=1))
        false_alerts += int((~explained).sum())
    seconds = time.perf_counter() - started
    median_lead = f"{np.median(leads):.1f} h" if leads else "-"
    return [
        detector,
        f"{warned}/{failures} ({warned / max(failures, 1):.0%})",
        median_lead,
        f"{false_alerts / host_days:.2f}",
        f"{seconds:.0f}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument(
        "--detector", action="append", help="repeat; default robust, ensemble, windowed_gaussian"
    )
    args = parser.parse_args()
    print("| detector | failures warned | median lead | false alerts / host-day | seconds |")
    print("|---|---:|---:|---:|---:|")
    for detector in args.detector or [
        "robust",
        "ensemble",
        "isolation_forest",
        "windowed_gaussian",
    ]:
        print(
            "| " + " | ".join(evaluate(detector, args.seeds, args.hosts, args.days)) + " |",
            flush=True,
        )


if __name__ == "__main__":
    main()
