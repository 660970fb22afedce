"""Points scored per second: opscast's detectors next to scikit-learn and river alone.

Run: ``.venv/bin/python benchmarks/anomaly_throughput.py [--points 1000000]``. Batch
mode scores one long series in one call (feature computation included); per-event mode
feeds a ``StreamScorer`` small batches (the scores of batch mode), and ``RobustEvents``
single events (exactly the same scores). The peers, in the same run:
scikit-learn's ``IsolationForest.score_samples``
on a ready feature matrix (no features computed) and river's ``HalfSpaceTrees``
scoring and learning one point at a time, as streaming code calls it.

``--fleet 5000`` adds the stream of a fleet: that many series sending one point per
tick, scored by the stream processor's predict stage (``Predictor``: scores,
explanations of flagged points, time to failure) and by the detectors' array fleets
alone, with ``novelty`` (the default) and ``robust``; each warmed on 400 ticks, then
timed over 60.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from opscast.anomaly.detectors import (
    EnsembleDetector,
    HalfSpaceTreesDetector,
    IsolationForestDetector,
    RobustDetector,
)
from opscast.anomaly.features import rolling_features
from opscast.anomaly.novelty import NoveltyFleet
from opscast.anomaly.stream import RobustEvents, RobustFleet, StreamScorer
from opscast.streaming.processor import Predictor


def rate(points: int, work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return points / (time.perf_counter() - started)


def fleet_ticks(series: int, ticks: int, seed: int = 0) -> np.ndarray:
    """(ticks, series) values: noisy daily cycles at one-minute sampling, a few spikes."""
    rng = np.random.default_rng(seed)
    t = np.arange(ticks)[:, None]
    level = rng.uniform(10, 90, series)[None, :]
    values = level + 10 * np.sin(2 * np.pi * t / 1440) + rng.normal(0, 1, (ticks, series))
    values[rng.integers(0, ticks, 20), rng.integers(0, series, 20)] += 30
    return np.asarray(values, dtype=np.float64)


def tick_frame(values: np.ndarray, first: int) -> list[pd.DataFrame]:
    series = values.shape[1]
    ids = [f"h{i // 5}:m{i % 5}" for i in range(series)]
    start = pd.Timestamp("2026-01-01")
    return [
        pd.DataFrame(
            {
                "unique_id": ids,
                "host": [uid.split(":")[0] for uid in ids],
                "metric": [uid.split(":")[1] for uid in ids],
                "ds": start + pd.Timedelta(minutes=first + j),
                "y": row,
                "labels": [{}] * series,
            }
        )
        for j, row in enumerate(values)
    ]


def fleet_rows(series: int, warm: int = 400, timed: int = 60) -> list[tuple[str, float]]:
    values = fleet_ticks(series, warm + timed)
    rows: list[tuple[str, float]] = []
    for name, fleet in (("novelty", NoveltyFleet()), ("robust", RobustFleet())):
        ids = np.array([fleet.add(values[:warm, i]) for i in range(series)])

        def feed(fleet: NoveltyFleet | RobustFleet = fleet, ids: np.ndarray = ids) -> None:
            for row in values[warm:]:
                fleet.update(ids, row)

        rows.append(
            (
                f"{name} array fleet alone, {series:,} series, one tick per update",
                rate(series * timed, feed),
            )
        )
    frames = tick_frame(values, 0)
    for detector in ("novelty", "robust"):
        predictor = Predictor(detector)
        predictor.predict(pd.concat(frames[:warm]))
        rows.append(
            (
                f"opscast processor predict stage, {series:,} series, `{detector}`, 1 tick a batch",
                rate(series * timed, lambda p=predictor: [p.predict(f) for f in frames[warm:]]),
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000, help="points in per-event runs")
    parser.add_argument("--fleet", type=int, default=0, help="series in the fleet stream rows")
    parser.add_argument("--fleet-only", action="store_true", help="skip the single-series rows")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = 50 + 10 * np.sin(np.arange(args.points) / 300) + rng.normal(0, 1, args.points)
    history = x[:5000]
    rows: list[tuple[str, float]] = []
    forest = IsolationForestDetector().fit(history)
    features = rolling_features(x)
    if args.fleet_only:
        peer = rate(len(x), lambda: forest._model.score_samples(features))
        rows.append(("scikit-learn IsolationForest.score_samples alone (peer)", peer))
        rows.extend(fleet_rows(args.fleet or 5000))
        report(rows, peer)
        return
    rows.append(("opscast robust, batch", rate(len(x), lambda: RobustDetector().score(x))))
    rows.append(
        (
            "opscast isolation_forest (features + forest), batch",
            rate(len(x), lambda: forest.score(x)),
        )
    )
    rows.append(("opscast ensemble, batch", rate(len(x), lambda: EnsembleDetector().score(x))))
    rows.append(
        ("opscast rolling features alone, batch", rate(len(x), lambda: rolling_features(x)))
    )
    rows.append(
        (
            "scikit-learn IsolationForest.score_samples alone",
            rate(len(x), lambda: forest._model.score_samples(features)),
        )
    )

    events = x[: args.events]
    for size, count in ((1000, len(events)), (100, len(events)), (1, 300)):
        stream = StreamScorer(RobustDetector())
        stream.update(history)

        def feed(stream: StreamScorer = stream, size: int = size, count: int = count) -> None:
            for start in range(0, count, size):
                stream.update(events[start : start + size])

        rows.append((f"opscast robust, StreamScorer batches of {size}", rate(count, feed)))
    live = RobustEvents()
    for value in history.tolist():
        live.update(value)
    rows.append(
        (
            "opscast robust, RobustEvents one event at a time",
            rate(len(events), lambda: [live.update(value) for value in events.tolist()]),
        )
    )
    hst = HalfSpaceTreesDetector()
    rows.append(
        (
            "opscast half_space_trees (river inside), per event",
            rate(len(events), lambda: hst.score(events)),
        )
    )

    from river import anomaly

    model = anomaly.HalfSpaceTrees(seed=0)

    def river_alone() -> None:
        for value in events.tolist():
            point = {"value": (value - 20.0) / 60.0}
            model.score_one(point)
            model.learn_one(point)

    rows.append(
        ("river HalfSpaceTrees score_one + learn_one alone", rate(len(events), river_alone))
    )
    peer = next(value for name, value in rows if name.startswith("scikit-learn"))
    if args.fleet:
        rows.extend(fleet_rows(args.fleet))
    report(rows, peer)


def report(rows: list[tuple[str, float]], peer: float) -> None:
    print("| path | points/s | / scikit-learn score_samples |")
    print("|---|---:|---:|")
    for name, per_second in rows:
        print(f"| {name} | {per_second:,.0f} | {per_second / peer:.2f} |")


if __name__ == "__main__":
    main()
