"""Stream pipeline speed: points/s through the processor, ingest-to-prediction latency.

Run: ``.venv/bin/python benchmarks/streaming.py [--quick] [--brokers memory redis nats]``.

Workload: simulated fleets (``opscast.simulate.simulate_fleet``), every host sending
its five metrics once a minute; a *tick* is one minute of the whole fleet.

1. **Processor throughput** (no broker, no database): the rolling-feature processor
   and the predictor (the stream's default ``novelty`` detector and the ``robust`` one,
   explanations of flagged points, time to failure of capacity metrics) fed one tick
   at a time and 60 ticks at a time, on a small fleet (4 hosts) and a large one (1,000 hosts x 5
   metrics: 50 simulated hosts over a week, each repeated 20 times under other names,
   warmed up from a history callable as a restarted process is, then timed over six
   hours of ticks). Per event: ``RobustEvents``, the robust detector fed one value at a
   time. Peers, in the same run: scikit-learn's ``IsolationForest.score_samples`` alone
   on a ready feature matrix; river, the streaming ML library, as a per-event consumer
   uses it (``HalfSpaceTrees.score_one``/``learn_one`` per point, alone and with five
   rolling statistics from ``utils.Rolling``).
2. **Latency**: the whole pipeline as ``POST /collect`` drives it: store the tick
   (SQLite), publish on ``system_metrics``, store stage, feature stage,
   ``processed_metrics``, predict stage (scores stored), ``anomaly_predictions``
   received by a subscriber. Ticks are sent at a fixed rate after a warm-up, and the
   latency of each is the time from before its store to the arrival of its predictions.
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from opscast.anomaly.detectors import IsolationForestDetector
from opscast.anomaly.features import rolling_features
from opscast.anomaly.stream import RobustEvents
from opscast.config import LogFormat, Settings
from opscast.db import Database
from opscast.observability import configure_logging
from opscast.simulate.server_metrics import simulate_fleet
from opscast.streaming.pipeline import STAGE_GROUPS, StreamPipeline, new_batch_id
from opscast.streaming.processor import FeatureProcessor, Predictor
from opscast.streaming.schemas import MetricBatch
from opscast.streaming.topics import ANOMALY_PREDICTIONS
from opscast.streaming.transport import Message, remove_namespace

BROKER_URLS = {
    "memory": None,
    "redis": "redis://127.0.0.1:6379",
    "nats": "nats://127.0.0.1:4222",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672/",
}


def fleet_frame(hosts: int, days: int) -> pd.DataFrame:
    metrics = simulate_fleet(hosts=hosts, days=days, seed=1).metrics
    frame = metrics[["unique_id", "host", "metric", "ds", "y"]].copy()
    frame["unique_id"] = frame["host"] + ":" + frame["metric"]
    frame["labels"] = [{}] * len(frame)
    return frame.sort_values(["ds", "unique_id"], kind="stable").reset_index(drop=True)


def ticks(frame: pd.DataFrame, per_batch: int) -> list[pd.DataFrame]:
    minute = frame["ds"].rank(method="dense").astype(int) - 1
    return [group for _, group in frame.groupby(minute // per_batch, sort=True)]


class StoredFleet:
    """A large fleet's points as arrays, served to the processor as stored history."""

    def __init__(self, base_hosts: int, copies: int, days: int) -> None:
        metrics = simulate_fleet(hosts=base_hosts, days=days, seed=1).metrics
        self.ds = np.sort(metrics["ds"].unique()).astype("datetime64[ns]")
        wide = metrics.pivot_table(index="ds", columns="unique_id", values="y").sort_index()
        self.base = {str(uid): wide[uid].to_numpy(dtype=np.float64) for uid in wide.columns}
        self.series = [
            (f"{uid.split(':')[0]}-c{copy}", uid.split(":")[1], uid)
            for copy in range(copies)
            for uid in self.base
        ]

    def _base(self, unique_id: str) -> np.ndarray:
        host, _, metric = unique_id.partition(":")
        return self.base[f"{host.rsplit('-c', 1)[0]}:{metric}"]

    def history(self, unique_id: str, before: Any, limit: int) -> tuple[list[Any], list[float]]:
        end = int(np.searchsorted(self.ds, np.datetime64(before, "ns")))
        start = max(0, end - limit)
        return list(self.ds[start:end]), self._base(unique_id)[start:end].tolist()

    def count(self, unique_id: str, before: Any) -> int:
        return int(np.searchsorted(self.ds, np.datetime64(before, "ns")))

    def ticks(self, first: int, count: int, per_batch: int) -> list[pd.DataFrame]:
        out = []
        for start in range(first, first + count, per_batch):
            minutes = self.ds[start : start + per_batch]
            n = len(minutes)
            hosts = np.repeat([host for host, _, _ in self.series], n)
            frame = pd.DataFrame(
                {
                    "unique_id": np.repeat([f"{h}:{m}" for h, m, _ in self.series], n),
                    "host": hosts,
                    "metric": np.repeat([m for _, m, _ in self.series], n),
                    "ds": np.tile(minutes, len(self.series)),
                    "y": np.concatenate(
                        [self.base[uid][start : start + n] for _, _, uid in self.series]
                    ),
                }
            )
            frame["labels"] = [{}] * len(frame)
            out.append(frame)
        return out


def fleet_rate(fleet: StoredFleet, detector: str, per_batch: int, minutes: int) -> float:
    """Points/s of features + predictions over ``minutes`` ticks, after a warm-up tick."""
    features = FeatureProcessor(history=fleet.history)
    predictor = Predictor(detector, history=fleet.history, count=fleet.count)
    first = len(fleet.ds) - minutes - 1
    (warm,) = fleet.ticks(first, 1, 1)
    features.process(warm)
    predictor.predict(warm)
    measured = fleet.ticks(first + 1, minutes, per_batch)
    started = time.perf_counter()
    for batch in measured:
        features.process(batch)
        predictor.predict(batch)
    return sum(len(batch) for batch in measured) / (time.perf_counter() - started)


def events_rate(values: np.ndarray, warm: int) -> float:
    events = RobustEvents()
    for value in values[:warm].tolist():
        events.update(value)
    started = time.perf_counter()
    for value in values[warm:].tolist():
        events.update(value)
    return (len(values) - warm) / (time.perf_counter() - started)


def forest_rate(values: np.ndarray) -> float:
    forest = IsolationForestDetector().fit(values[:5000])
    features = rolling_features(values)
    started = time.perf_counter()
    forest._model.score_samples(features)
    return len(values) / (time.perf_counter() - started)


def river_alone_rate(values: np.ndarray) -> float:
    from river import anomaly

    model = anomaly.HalfSpaceTrees(seed=0)
    low, high = float(values.min()), float(values.max())
    started = time.perf_counter()
    for value in values.tolist():
        point = {"value": (value - low) / (high - low or 1.0)}
        model.score_one(point)
        model.learn_one(point)
    return len(values) / (time.perf_counter() - started)


def processor_rate(frame: pd.DataFrame, detector: str, per_batch: int, batches: int) -> float:
    """Points/s over ``batches`` batches after the first half of the frame warmed the state."""
    features, predictor = FeatureProcessor(), Predictor(detector)
    all_ticks = ticks(frame, 1)
    half = len(all_ticks) // 2
    warm = pd.concat(all_ticks[:half])
    features.process(warm)
    predictor.predict(warm)
    measured = ticks(pd.concat(all_ticks[half:]), per_batch)[:batches]
    started = time.perf_counter()
    for batch in measured:
        features.process(batch)
        predictor.predict(batch)
    return sum(len(batch) for batch in measured) / (time.perf_counter() - started)


def river_rate(frame: pd.DataFrame) -> float:
    from river import anomaly, stats, utils

    window = 30
    state: dict[str, tuple[Any, Any, Any, list[float]]] = {}
    started = time.perf_counter()
    for uid, y in zip(frame["unique_id"], frame["y"], strict=True):
        if uid not in state:
            state[uid] = (
                utils.Rolling(stats.Mean, window_size=window),
                utils.Rolling(stats.Var, window_size=window, ddof=0),
                anomaly.HalfSpaceTrees(seed=0),
                [float(y)],
            )
        mean, var, trees, last = state[uid]
        mean.update(y)
        var.update(y)
        features = {
            "mean": mean.get(),
            "std": var.get() ** 0.5,
            "change": y - last[0],
            "value": y,
        }
        last[0] = y
        trees.score_one(features)
        trees.learn_one(features)
    return len(frame) / (time.perf_counter() - started)


def to_batch(tick: pd.DataFrame) -> MetricBatch:
    points = [
        {"host": host, "metric": metric, "timestamp": f"{ds.isoformat()}Z", "value": float(y)}
        for host, metric, ds, y in zip(
            tick["host"], tick["metric"], tick["ds"], tick["y"], strict=True
        )
    ]
    return MetricBatch.model_validate({"points": points, "batch_id": new_batch_id()})


def reachable(url: str | None) -> bool:
    if url is None:
        return True
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 1.0):
            return True
    except OSError:
        return False


async def latencies(
    url: str | None, frame: pd.DataFrame, detector: str, warmup: int, measured: int, rate: float
) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            var_dir=Path(tmp),
            data_dir=Path(tmp) / "data",
            environment="test",
            log_level="ERROR",
            broker_url=url,
            stream_namespace=f"bench{uuid.uuid4().hex[:8]}",
            stream_detector=detector,
        )
        database = Database(settings.resolved_database_url)
        database.migrate()
        pipeline = StreamPipeline(settings, database)
        arrived: dict[str, float] = {}

        async def sink(message: Message) -> None:
            arrived[str(message["batch_id"])] = time.perf_counter()

        pipeline.subscribe(ANOMALY_PREDICTIONS, "bench", sink)
        await pipeline.start()
        sent: dict[str, float] = {}
        try:
            all_ticks = ticks(frame, 1)[: warmup + measured]
            for index, tick in enumerate(all_ticks):
                batch = to_batch(tick)
                started = time.perf_counter()
                if index >= warmup:
                    sent[batch.batch_id] = started
                await pipeline.store(batch)
                await pipeline.publish_batch(batch)
                await asyncio.sleep(max(0.0, 1.0 / rate - (time.perf_counter() - started)))
            deadline = time.perf_counter() + 120
            while not set(sent) <= set(arrived) and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
        finally:
            await pipeline.stop()
            database.dispose()
            if url is not None:
                await remove_namespace(url, settings.stream_namespace, (*STAGE_GROUPS, "bench"))
        return [arrived[key] - sent[key] for key in sent if key in arrived]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer series and ticks")
    parser.add_argument("--brokers", nargs="+", default=["memory", "redis", "nats"])
    parser.add_argument(
        "--detectors", nargs="+", default=["novelty", "robust", "windowed_gaussian"]
    )
    parser.add_argument("--rate", type=float, default=2.0, help="ticks sent per second")
    args = parser.parse_args()
    configure_logging("ERROR", LogFormat.console)
    hosts = 2 if args.quick else 4
    measured = 10 if args.quick else 40
    frame = fleet_frame(hosts, 2)
    series = frame["unique_id"].nunique()
    print(f"fleet: {hosts} hosts, {series} series at 1 min; state warmed on the first day")

    print("\n| path | points/s |")
    print("|---|---:|")
    rates: dict[str, float] = {}
    for detector in args.detectors:
        for per_batch in (1, 60):
            batches = measured if per_batch == 1 else max(2, measured // 10)
            rate = processor_rate(frame, detector, per_batch, batches)
            rates[f"{series} series, {detector}, {per_batch} tick(s)/batch"] = rate
            name = f"{series} series, {detector}, {per_batch} tick(s) per batch"
            print(f"| opscast processor, {name} | {rate:,.0f} |")
    large = StoredFleet(10 if args.quick else 50, 4 if args.quick else 20, 7)
    minutes = 120 if args.quick else 360
    for detector in args.detectors[:2]:  # novelty and robust by default: minutes each
        for per_batch in (1, 60):
            rate = fleet_rate(large, detector, per_batch, minutes)
            name = f"{len(large.series):,} series, {detector}, {per_batch} tick(s) per batch"
            rates[name] = rate
            print(f"| opscast processor, {name} | {rate:,.0f} |")
    one = next(iter(large.base.values()))
    rates["RobustEvents, per event"] = events_rate(one, 8600)
    print(
        f"| opscast RobustEvents, one event at a time | {rates['RobustEvents, per event']:,.0f} |"
    )
    forest = forest_rate(np.tile(one, 20))
    print(f"| scikit-learn IsolationForest.score_samples alone, batch (peer) | {forest:,.0f} |")
    alone = river_alone_rate(one[:20000])
    print(f"| river HalfSpaceTrees score_one + learn_one alone, per point (peer) | {alone:,.0f} |")
    second_day = pd.concat(ticks(frame, 1)[1440:])
    peer = river_rate(second_day)
    print(f"| river rolling stats + HalfSpaceTrees, per point (peer) | {peer:,.0f} |")
    print("\nratios to scikit-learn score_samples / river HalfSpaceTrees alone:")
    for name, rate in rates.items():
        print(f"- {name}: {rate / forest:.2f} / {rate / alone:.2f}")

    latency_frame = fleet_frame(hosts, 1)
    print(f"\nlatency: {series} points per tick, {args.rate:g} ticks/s, {measured} ticks measured")
    print("| broker | detector | p50 ms | p99 ms | max ms | received |")
    print("|---|---|---:|---:|---:|---:|")
    for name in args.brokers:
        url = BROKER_URLS[name]
        if not reachable(url):
            print(f"| {name} | not reachable: skipped | | | | |")
            continue
        for detector in args.detectors:
            seconds = asyncio.run(latencies(url, latency_frame, detector, 5, measured, args.rate))
            print(
                f"| {name} | {detector} | {1000 * statistics.median(seconds):.1f} | "
                f"{1000 * percentile(seconds, 99):.1f} | {1000 * max(seconds):.1f} | "
                f"{len(seconds)}/{measured} |"
            )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
