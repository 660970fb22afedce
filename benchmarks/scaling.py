"""Cost and SLA of the reactive HPA, opscast's predictive policy and the oracle, per series.

Run: ``nice .venv/bin/python benchmarks/scaling.py [--quick]`` (reads
``../shared/data/web_traffic``, or ``OPSCAST_DATA_DIR``; ``--quick`` keeps one week of
each series). Series: the NASA 1995 web logs per minute (July and August as two series,
the hours without logs left out), the two Wikipedia daily page-view series (the data is
the log of the views; days missing are interpolated in log space) and two weeks of
simulated traffic with flagged bursts and events.

Every series gets the same settings: the HPA's defaults (15 s sync, 0.1 tolerance, 300 s
scale-down window, default rate policies), a 70 % target, replicas that start serving
120 s after they are asked for, and a capacity per replica sized so that the 99.9th
percentile of the load needs 20 replicas at the target. The named peer is the reactive
HPA of the same run; the predictive policy is compared with it at its own settings and
at equal SLA (the HPA rerun with lower targets until it is out of SLA no longer).
Writes the table to stdout and the chart to docs/images/scaling-benchmark.png.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from opscast.config import Settings
from opscast.scaling import Comparison, ScalingSettings, compare
from opscast.simulate import simulate_traffic

REPLICAS_AT_PEAK = 20
TARGET = 0.7
CHART = Path(__file__).resolve().parents[1] / "docs" / "images" / "scaling-benchmark.png"


@dataclass(frozen=True)
class Series:
    name: str
    load: np.ndarray  # requests per step
    step_seconds: float
    is_burst: np.ndarray | None = None
    is_event: np.ndarray | None = None


def nasa(data_dir: Path, quick: bool) -> list[Series]:
    path = data_dir / "web_traffic" / "nasa_http_requests_per_minute.csv"
    raw = pd.read_csv(path, usecols=["timestamp", "requests", "coverage"])
    stamps = pd.to_datetime(raw["timestamp"])
    logged = raw["coverage"] == "logged"
    found = []
    for name, start, end in (
        ("NASA Jul 1995 (1m)", "1995-07-01", "1995-07-28 13:33"),
        ("NASA Aug 1995 (1m)", "1995-08-03 04:36", "1995-09-01"),
    ):
        span = (stamps >= start) & (stamps < end)
        assert logged[span].all(), f"{name}: the span has unlogged minutes"
        values = raw.loc[span, "requests"].to_numpy(dtype=np.float64)
        found.append(Series(name, values[: 7 * 1440] if quick else values, 60.0))
    return found


def wikipedia(data_dir: Path, quick: bool) -> list[Series]:
    found = []
    for name, file in (
        ("Wikipedia Peyton Manning (1d)", "example_wp_log_peyton_manning.csv"),
        ("Wikipedia R (1d)", "example_wp_log_R.csv"),
    ):
        frame = pd.read_csv(data_dir / "web_traffic" / file, parse_dates=["ds"])
        daily = frame.set_index("ds")["y"].asfreq("D").interpolate()
        views = np.exp(daily.to_numpy(dtype=np.float64))
        found.append(Series(name, views[-56:] if quick else views, 86400.0))
    return found


def simulated(quick: bool) -> Series:
    frame = simulate_traffic(days=7 if quick else 14, freq="1min", seed=5)
    return Series(
        "simulated, bursts + events (1m)",
        frame["y"].to_numpy(dtype=np.float64),
        60.0,
        frame["is_burst"].to_numpy(),
        frame["is_event"].to_numpy(),
    )


def settings_for(series: Series) -> ScalingSettings:
    peak_rate = float(np.quantile(series.load, 0.999)) / series.step_seconds
    return ScalingSettings(
        capacity_per_replica=peak_rate / (TARGET * REPLICAS_AT_PEAK),
        target_utilization=TARGET,
        max_replicas=10 * REPLICAS_AT_PEAK,
    )


def timed(run: Callable[[], Comparison]) -> tuple[Comparison, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def fmt(value: float | None, pattern: str) -> str:
    if value is None:
        return "n/a"
    if pattern.endswith("%"):
        value = round(value, 2) + 0.0  # no "-0%" for a hair below zero
    return format(value, pattern)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one week (8 weeks if daily)")
    args = parser.parse_args()
    data_dir = Settings().data_dir
    series = [*nasa(data_dir, args.quick), *wikipedia(data_dir, args.quick), simulated(args.quick)]
    rows = []
    for item in series:
        settings = settings_for(item)
        result, wall, cpu = timed(
            lambda item=item, settings=settings: compare(
                item.load,
                item.step_seconds,
                settings,
                is_burst=item.is_burst,
                is_event=item.is_event,
            )
        )
        rows.append((item, result, wall, cpu))
        print(f"{item.name}: {wall:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    print()
    print(
        "| series | steps | reactive HPA cost | min out of SLA | predictive cost | min out of SLA "
        "| oracle cost | HPA at equal SLA: target, cost | predictive / HPA at equal SLA "
        "| SLA gap closed | cost gap closed | wall s (CPU s) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for item, result, wall, cpu in rows:
        o = result.outcomes
        matched = result.reactive_equal_sla
        ratio = o["predictive"].cost / matched.outcome.cost if matched else None
        print(
            f"| {item.name} | {len(item.load):,} "
            f"| {o['reactive'].cost:,.2f} | {o['reactive'].sla_violation_minutes:,.1f} "
            f"| {o['predictive'].cost:,.2f} | {o['predictive'].sla_violation_minutes:,.1f} "
            f"| {o['oracle'].cost:,.2f} "
            f"| {fmt(matched and matched.target_utilization, '.2f')}, "
            f"{fmt(matched and matched.outcome.cost, ',.2f')} "
            f"| {fmt(ratio, '.3f')} | {fmt(result.sla_gap_closed, '.0%')} "
            f"| {fmt(result.cost_gap_closed, '.0%')} | {wall:.1f} ({cpu:.1f}) |"
        )
    chart(rows)
    print(f"\nchart: {CHART}")


def chart(rows: list[tuple[Series, Comparison, float, float]]) -> None:
    import matplotlib as mpl

    mpl.use("Agg")
    import matplotlib.pyplot as plt

    names = [item.name for item, *_ in rows]
    positions = np.arange(len(rows))
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8))
    width = 0.2
    bars = {
        "reactive HPA": [r.outcomes["reactive"].cost for _, r, *_ in rows],
        "HPA at equal SLA": [
            r.reactive_equal_sla.outcome.cost if r.reactive_equal_sla else np.nan
            for _, r, *_ in rows
        ],
        "predictive": [r.outcomes["predictive"].cost for _, r, *_ in rows],
        "oracle": [r.outcomes["oracle"].cost for _, r, *_ in rows],
    }
    colors = ["#d62728", "#ff9896", "#1f77b4", "#2ca02c"]
    baseline = np.array(bars["reactive HPA"])
    for i, ((label, values), color) in enumerate(zip(bars.items(), colors, strict=True)):
        left.bar(
            positions + (i - 1.5) * width,
            np.array(values) / baseline,
            width,
            label=label,
            color=color,
        )
    left.set_title("cost relative to the reactive HPA")
    left.set_xticks(positions, names, rotation=20, ha="right", fontsize=8)
    left.legend(fontsize=8)
    sla = {
        "reactive HPA": [r.outcomes["reactive"].sla_violation_minutes for _, r, *_ in rows],
        "predictive": [r.outcomes["predictive"].sla_violation_minutes for _, r, *_ in rows],
    }
    for i, ((label, values), color) in enumerate(
        zip(sla.items(), ["#d62728", "#1f77b4"], strict=True)
    ):
        right.bar(positions + (i - 0.5) * 0.35, values, 0.35, label=label, color=color)
    right.set_title("minutes out of SLA (oracle: 0)")
    right.set_xticks(positions, names, rotation=20, ha="right", fontsize=8)
    right.set_yscale("symlog")
    right.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(CHART, dpi=110)
    plt.close(figure)


if __name__ == "__main__":
    main()
