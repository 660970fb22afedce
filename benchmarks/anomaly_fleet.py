"""Warning ahead of failures on simulated fleets: share warned, lead time, false alerts.

Run: ``.venv/bin/python benchmarks/anomaly_fleet.py [--seeds 3] [--hosts 20] [--days 3]``.
``simulate_fleet`` injects failure precursors (memory leak, disk filling, connection
pool saturation, CPU runaway) with recorded onset and failure times. Every metric of
every host is scored through ``score_frame`` (the path of ``opscast anomaly score``);
an alert is the first flagged point after 30 quiet minutes on that host. A failure in
the window is warned of when its host alerted between onset and failure; the lead time
runs from that first alert to the failure. Alerts outside every precursor (and the 30
minutes of restart after it) are false alerts.

``--ttf`` adds time-to-failure warnings on the capacity metrics (CPU, memory, disk at
100 %, connections at the host's pool size): every 15 minutes the last 120 points are
forecast, and a host is warned when a metric is due to reach its limit within 6 hours.
Besides share warned, lead and false warnings, it reports how often the interval of
the first warning contained the true failure time.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from opscast.anomaly.scoring import score_frame
from opscast.anomaly.time_to_failure import time_to_failure
from opscast.simulate.server_metrics import simulate_fleet

COOLDOWN = pd.Timedelta(minutes=30)
CAPACITY_METRICS = ("cpu_pct", "memory_pct", "disk_pct", "connections")
EVERY = 15
HORIZON = pd.Timedelta(hours=6)


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


def ttf_warnings(ds: pd.DatetimeIndex, values: np.ndarray, limit: float) -> list[tuple]:
    """(time, earliest, latest) of each new warning: due within the horizon, after a quiet spell."""
    found: list[tuple] = []
    last = None
    for end in range(120, len(values) + 1, EVERY):
        forecast = time_to_failure(ds[end - 120 : end], values[end - 120 : end], limit)
        if forecast is None or forecast.eta > HORIZON:
            continue
        if last is None or forecast.now - last > COOLDOWN:
            latest = None if forecast.latest is None else forecast.now + forecast.latest
            found.append((forecast.now, forecast.now + forecast.earliest, latest))
        last = forecast.now
    return found


def evaluate_ttf(seeds: int, hosts: int, days: int) -> list[str]:
    started = time.perf_counter()
    warned, failures, covered, leads, false_warnings = 0, 0, 0, [], 0
    for seed in range(seeds):
        fleet = simulate_fleet(hosts=hosts, days=days, seed=seed)
        pools = fleet.hosts.set_index("host")["pool_size"]
        end = fleet.metrics["ds"].max()
        for (host, metric), series in fleet.metrics.groupby(["host", "metric"]):
            if metric not in CAPACITY_METRICS:
                continue
            limit = float(pools[host]) if metric == "connections" else 100.0
            stamps = pd.DatetimeIndex(series["ds"])
            raised = ttf_warnings(stamps, series["y"].to_numpy(), limit)
            ours = fleet.failures[
                (fleet.failures["host"] == host) & (fleet.failures["metric"] == metric)
            ]
            explained = [False] * len(raised)
            for failure in ours.itertuples():
                hits = [
                    i
                    for i, (at, _, _) in enumerate(raised)
                    if failure.onset <= at <= failure.failure_at + COOLDOWN
                ]
                for i in hits:
                    explained[i] = True
                if failure.failure_at > end:
                    continue
                failures += 1
                ahead = [raised[i] for i in hits if raised[i][0] < failure.failure_at]
                if ahead:
                    warned += 1
                    at, earliest, latest = ahead[0]
                    leads.append((failure.failure_at - at) / pd.Timedelta(hours=1))
                    covered += earliest <= failure.failure_at and (
                        latest is None or failure.failure_at <= latest
                    )
            false_warnings += explained.count(False)
    seconds = time.perf_counter() - started
    return [
        "time to failure <= 6 h",
        f"{warned}/{failures} ({warned / max(failures, 1):.0%})",
        f"{np.median(leads):.1f} h" if leads else "-",
        f"{false_warnings / (seeds * hosts * days):.2f}",
        f"{seconds:.0f}",
        f"{covered}/{warned}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument(
        "--detector", action="append", help="repeat; default robust, ensemble, windowed_gaussian"
    )
    parser.add_argument("--ttf", action="store_true", help="also time-to-failure warnings")
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
    if args.ttf:
        print("\n| warning | failures warned | median lead | false warnings / host-day ", end="")
        print("| seconds | interval covered failure |")
        print("|---|---:|---:|---:|---:|---:|")
        print("| " + " | ".join(evaluate_ttf(args.seeds, args.hosts, args.days)) + " |")


if __name__ == "__main__":
    main()
