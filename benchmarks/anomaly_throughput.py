"""Points scored per second: opscast's detectors next to scikit-learn and river alone.

Run: ``.venv/bin/python benchmarks/anomaly_throughput.py [--points 1000000]``. Batch
mode scores one long series in one call (feature computation included); per-event mode
feeds a ``StreamScorer`` small batches (the scores of batch mode), and ``RobustEvents``
single events (exactly the same scores). The peers, in the same run:
scikit-learn's ``IsolationForest.score_samples``
on a ready feature matrix (no features computed) and river's ``HalfSpaceTrees``
scoring and learning one point at a time, as streaming code calls it.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from opscast.anomaly.detectors import (
    EnsembleDetector,
    HalfSpaceTreesDetector,
    IsolationForestDetector,
    RobustDetector,
)
from opscast.anomaly.features import rolling_features
from opscast.anomaly.stream import RobustEvents, StreamScorer


def rate(points: int, work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return points / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=20_000, help="points in per-event runs")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = 50 + 10 * np.sin(np.arange(args.points) / 300) + rng.normal(0, 1, args.points)
    history = x[:5000]
    rows: list[tuple[str, float]] = []

    rows.append(("opscast robust, batch", rate(len(x), lambda: RobustDetector().score(x))))
    forest = IsolationForestDetector().fit(history)
    rows.append(
        (
            "opscast isolation_forest (features + forest), batch",
            rate(len(x), lambda: forest.score(x)),
        )
    )
    rows.append(("opscast ensemble, batch", rate(len(x), lambda: EnsembleDetector().score(x))))
    features = rolling_features(x)
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
    print("| path | points/s |")
    print("|---|---:|")
    for name, per_second in rows:
        print(f"| {name} | {per_second:,.0f} |")


if __name__ == "__main__":
    main()
