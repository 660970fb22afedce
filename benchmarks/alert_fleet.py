"""Capacity warnings on simulated fleets: false warnings per host-day, failures caught, volume.

Run: ``.venv/bin/python benchmarks/alert_fleet.py [--seeds 3] [--hosts 20] [--days 3]``.

Every capacity metric (CPU, memory, disk at 100 %, connections at the host's pool
size) of ``simulate_fleet`` is forecast every ``--stride`` minutes from its last 120
points, as the stream does. Three ways to warn are compared on the same estimates:

- *undamped*: a warning whenever a failure is due within 6 h (one per 30 quiet
  minutes), what opscast did before warnings were damped;
- *opscast rule*: the shipped ``capacity-exhaustion`` rule through the alerting
  lifecycle: the estimate must be confident (``time_to_failure.confident``), due
  within the rule's horizon, and stay so for the rule's ``for``; one notification per
  cooldown;
- *static threshold* (peer): what a Prometheus rule would say, ``value >= 90 % of the
  limit for 5m``, through the same lifecycle.

A warning is false when it starts outside every precursor (onset to failure plus 30
minutes); a failure inside the window is caught when its series warned between onset
and failure. ``--anomaly`` adds the volume of the shipped anomaly rule on the scores of
every metric by the stream's default detector, beside the robust detector.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from opscast.alerting.lifecycle import Episode, Event, Timing, step
from opscast.alerting.rules import default_rules
from opscast.anomaly.time_to_failure import confident, times_to_failure
from opscast.simulate.server_metrics import Fleet, simulate_fleet

CAPACITY_METRICS = ("cpu_pct", "memory_pct", "disk_pct", "connections")
LOOKBACK = 120
QUIET = pd.Timedelta(minutes=30)
HORIZON_HOURS = 6.0
STATIC_SHARE = 0.9
STATIC_TIMING = Timing(timedelta(minutes=5), timedelta(hours=4), timedelta(0))


@dataclass
class Tally:
    name: str
    false: int = 0
    caught: int = 0
    leads: list[float] = field(default_factory=list)
    alerts: int = 0
    notifications: int = 0
    seconds: float = 0.0
    cpu: float = 0.0


def rule_timing(name: str) -> tuple[Timing, float]:
    from opscast.alerting.schemas import seconds

    rule = next(rule for rule in default_rules() if rule.name == name)
    timing = Timing(
        timedelta(seconds=seconds(rule.for_)),
        timedelta(seconds=seconds(rule.cooldown)),
        timedelta(seconds=seconds(rule.resolve_after)),
    )
    return timing, rule.threshold


def lifecycle_starts(
    active: np.ndarray, stamps: pd.DatetimeIndex, timing: Timing
) -> tuple[list[pd.Timestamp], int]:
    """Times each alert fired, and how many notifications (firings and repeats) went out."""
    episode: Episode | None = None
    fired: list[pd.Timestamp] = []
    sent = 0
    for flag, stamp in zip(active.tolist(), stamps, strict=True):
        episode, event = step(episode, bool(flag), stamp.to_pydatetime(), timing)
        if event in (Event.firing, Event.repeat):
            sent += 1
        if event is Event.firing:
            fired.append(stamp)
    return fired, sent


def quiet_starts(active: np.ndarray, stamps: pd.DatetimeIndex) -> list[pd.Timestamp]:
    """The old way: a warning after 30 quiet minutes."""
    starts, last = [], None
    for flag, stamp in zip(active.tolist(), stamps, strict=True):
        if flag:
            if last is None or stamp - last > QUIET:
                starts.append(stamp)
            last = stamp
    return starts


def failures_of(fleet: Fleet, host: str, metric: str) -> pd.DataFrame:
    """The failures simulated on one host's metric: the truth its warnings are scored on."""
    failures = fleet.failures
    return failures[(failures["host"] == host) & (failures["metric"] == metric)]


def score(
    tally: Tally, starts: list[pd.Timestamp], failures: pd.DataFrame, end: pd.Timestamp
) -> None:
    explained = [False] * len(starts)
    for failure in failures.itertuples():
        hits = [
            i for i, at in enumerate(starts) if failure.onset <= at <= failure.failure_at + QUIET
        ]
        for i in hits:
            explained[i] = True
        if failure.failure_at > end:
            continue
        ahead = [starts[i] for i in hits if starts[i] < failure.failure_at]
        if ahead:
            tally.caught += 1
            tally.leads.append((failure.failure_at - ahead[0]) / pd.Timedelta(hours=1))
    tally.false += explained.count(False)
    tally.alerts += len(starts)


def evaluate(
    seeds: int, hosts: int, days: int, stride: int, share: float
) -> tuple[list[Tally], int]:
    timing, horizon = rule_timing("capacity-exhaustion")
    tallies = [
        Tally("undamped (before)"),
        Tally("opscast rule (after)"),
        Tally("static 90 % for 5m (peer)"),
    ]
    failures_in_window = 0
    for seed in range(seeds):
        fleet = simulate_fleet(hosts=hosts, days=days, seed=seed, failure_share=share)
        pools = fleet.hosts.set_index("host")["pool_size"]
        end = fleet.metrics["ds"].max()
        failures_in_window += int((fleet.failures["failure_at"] <= end).sum())
        for (host, metric), series in fleet.metrics.groupby(["host", "metric"]):
            if metric not in CAPACITY_METRICS:
                continue
            limit = float(pools[host]) if metric == "connections" else 100.0
            y = series["y"].to_numpy()
            stamps = pd.DatetimeIndex(series["ds"])
            truth = failures_of(fleet, host, metric)
            ends = np.arange(LOOKBACK, len(y) + 1, stride)
            at = stamps[ends - 1]

            started, cpu = time.perf_counter(), time.process_time()
            windows = sliding_window_view(y, LOOKBACK)[ends - LOOKBACK]
            hours = np.broadcast_to(np.arange(1 - LOOKBACK, 1) / 60.0, windows.shape)
            found = times_to_failure(hours, windows, np.full(len(ends), limit))
            due = found.found & (found.eta <= HORIZON_HOURS)
            score(tallies[0], quiet_starts(due, at), truth, end)
            tallies[0].notifications = tallies[0].alerts
            tallies[0].seconds += time.perf_counter() - started
            tallies[0].cpu += time.process_time() - cpu

            started, cpu = time.perf_counter(), time.process_time()
            sure = confident(found.earliest, found.latest, found.rate_per_hour)
            fired, sent = lifecycle_starts(found.found & sure & (found.eta <= horizon), at, timing)
            score(tallies[1], fired, truth, end)
            tallies[1].notifications += sent
            tallies[1].seconds += time.perf_counter() - started
            tallies[1].cpu += time.process_time() - cpu

            started, cpu = time.perf_counter(), time.process_time()
            fired, sent = lifecycle_starts(y >= STATIC_SHARE * limit, stamps, STATIC_TIMING)
            score(tallies[2], fired, truth, end)
            tallies[2].notifications += sent
            tallies[2].seconds += time.perf_counter() - started
            tallies[2].cpu += time.process_time() - cpu
    return tallies, failures_in_window


def anomaly_volume(seeds: int, hosts: int, days: int, share: float) -> list[Tally]:
    """The shipped anomaly rule on the stream's default detector's scores of every metric,
    beside the persistence rule (``for: 5m`` at 0.6) on both detectors, which is what the
    rule was before and what a user of the robust detector would write, and the robust
    detector with the shipped rule as it is."""
    from opscast.anomaly.scoring import score_frame
    from opscast.config import Settings

    shipped, threshold = rule_timing("anomalous-metric")
    persistent = Timing(timedelta(minutes=5), shipped.cooldown, shipped.resolve_after)
    default = Settings().stream_detector
    shipped_rule = f">= {threshold:g}, for {shipped.for_.total_seconds() / 60:g}m"
    cases = [
        (
            f"{default}, shipped rule ({shipped_rule})",
            default,
            shipped,
            threshold,
        ),
        ("robust, >= 0.6 for 5m", "robust", persistent, 0.6),
        (f"{default}, >= 0.6 for 5m (the rule before)", default, persistent, 0.6),
        (
            f"robust, shipped rule ({shipped_rule})",
            "robust",
            shipped,
            threshold,
        ),
    ]
    tallies = [Tally(name) for name, _, _, _ in cases]
    for seed in range(seeds):
        fleet = simulate_fleet(hosts=hosts, days=days, seed=seed, failure_share=share)
        end = fleet.metrics["ds"].max()
        where = fleet.metrics.groupby("unique_id")[["host", "metric"]].first()
        scores = {
            detector: score_frame(
                fleet.metrics[["unique_id", "ds", "y"]], detector=detector, explain=False
            )
            for detector in {default, "robust"}
        }
        for (_, detector, timing, bar), tally in zip(cases, tallies, strict=True):
            for uid, series in scores[detector].groupby("unique_id"):
                fired, sent = lifecycle_starts(
                    series["anomaly_score"].to_numpy() >= bar,
                    pd.DatetimeIndex(series["ds"]),
                    timing,
                )
                truth = failures_of(fleet, where.loc[uid, "host"], where.loc[uid, "metric"])
                score(tally, fired, truth, end)
                tally.notifications += sent
    return tallies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--stride", type=int, default=10, help="minutes between estimates")
    parser.add_argument(
        "--failure-share",
        type=float,
        default=0.4,
        help="share of hosts with a precursor (0: healthy)",
    )
    parser.add_argument("--anomaly", action="store_true", help="also the anomaly rule's volume")
    args = parser.parse_args()
    host_days = args.seeds * args.hosts * args.days
    tallies, failures = evaluate(args.seeds, args.hosts, args.days, args.stride, args.failure_share)
    print(f"{host_days} host-days, {failures} failures inside the window\n")
    print(
        "| warning | false warnings / host-day | failures caught | median lead | alerts | "
        "notifications | wall s | CPU s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for tally in tallies:
        lead = f"{np.median(tally.leads):.1f} h" if tally.leads else "-"
        print(
            f"| {tally.name} | {tally.false / host_days:.3f} | {tally.caught}/{failures} "
            f"| {lead} | {tally.alerts} | {tally.notifications} "
            f"| {tally.seconds:.1f} | {tally.cpu:.1f} |"
        )
    before, after, peer = tallies
    ratio = f"{after.false / before.false:.3f}" if before.false else "-"
    print(f"\nfalse warnings, after / before: {ratio}", end="")
    if after.leads and peer.leads:
        print(f"; median lead, after / peer: {np.median(after.leads) / np.median(peer.leads):.1f}")
    print()
    if args.anomaly:
        print(
            "\n| anomaly rule, all 5 metrics | alerts / host-day | outside every precursor "
            "/ host-day | failures caught | notifications |"
        )
        print("|---|---:|---:|---:|---:|")
        for tally in anomaly_volume(args.seeds, args.hosts, args.days, args.failure_share):
            print(
                f"| {tally.name} | {tally.alerts / host_days:.3f} | "
                f"{tally.false / host_days:.3f} | {tally.caught}/{failures} | "
                f"{tally.notifications} |"
            )


if __name__ == "__main__":
    main()
