"""The stream pipeline: three stages on a transport, started and stopped with the app.

``system_metrics`` -> **store** (points as series, log events as counts; acknowledged
once committed) and **process** (rolling features) -> ``processed_metrics`` ->
**predict** (scores, explanations, time to failure; stored) -> ``anomaly_predictions``,
which alerting (``alerting/runtime.py``) judges against its rules.

Every stage is idempotent: the store stage records batch ids, the processor and the
predictor skip points they already handled, and stored predictions are keyed by point.
So a redelivered message costs a little work and changes nothing. A message that
cannot be parsed is logged and dropped rather than redelivered forever.

A batch stored while the broker cannot take it goes to the outbox (``stream_outbox``) and
is published from there, oldest first, as soon as the broker answers again; until the
outbox is empty new batches queue behind it, because the processor skips points older
than the newest it has handled and would never score the older batch. A process killed
between storing a batch and publishing it leaves that one batch unscored (its points
are stored): the outbox is written when a publish fails, not before every publish.

Limitation: a stage's outgoing message is published after its state moved on, so if
publishing fails the redelivered input is skipped as already handled and downstream
misses that batch (the stored points and predictions are complete either way).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import threading
import time
import uuid
from collections import deque
from datetime import datetime
from typing import Any, cast

import numpy as np
import pandas as pd
from pydantic import ValidationError

from opscast.anomaly.detectors import Detector, make_detector
from opscast.anomaly.features import FEATURE_NAMES
from opscast.anomaly.training import RETRAINABLE, TrainedDetectors
from opscast.config import Settings
from opscast.db import Database, utc_now
from opscast.event_wait import wake_or_timeout
from opscast.observability import INGESTED_POINTS, get_logger
from opscast.registry.store import ModelStore
from opscast.schema_types import naive_utc
from opscast.series.repository import SeriesRepository
from opscast.streaming import service
from opscast.streaming.detector_retraining import champion_model
from opscast.streaming.group_commit import GroupCommit
from opscast.streaming.messages import (
    AnomalyPredictions,
    Prediction,
    ProcessedMetrics,
    ProcessedSeries,
)
from opscast.streaming.processor import FeatureProcessor, Predictor, Scored
from opscast.streaming.repository import OutboxRepository
from opscast.streaming.schemas import MetricBatch, StoredBatch
from opscast.streaming.topics import ANOMALY_PREDICTIONS, PROCESSED_METRICS, SYSTEM_METRICS
from opscast.streaming.transport import (
    Message,
    Stage,
    Stages,
    Subscription,
    Transport,
    build_transport,
)

log = get_logger(__name__)

RECONNECT_SECONDS = 5.0
# outbox batches read per query while replaying
REPLAY_CHUNK = 50
STAGE_GROUPS = ("store", "process", "predict")
HANDOVER_TIMEOUT_SECONDS = 30.0

"""Pipelines started in this process. Jobs run in the runner's thread with no handle on
the app; this is how a pull job in the server process reaches the in-memory broker."""


def new_batch_id() -> str:
    return uuid.uuid4().hex


class StoredHere:
    """Ids of the batches this process stored lately, the last ``size`` of them.

    ``POST /collect`` stores a batch before it publishes it, so the store stage's copy of
    that message would only claim an id already claimed: a write transaction per batch
    that changes nothing. The stage skips the ids found here instead; a batch stored
    elsewhere (another process, a producer on the broker) is still claimed and stored.
    """

    def __init__(self, size: int = 4096) -> None:
        self._order: deque[str] = deque()
        self._ids: set[str] = set()
        self._size = size
        self._lock = threading.Lock()

    def add(self, batch_id: str) -> None:
        with self._lock:
            if len(self._order) >= self._size:
                self._ids.discard(self._order.popleft())
            self._order.append(batch_id)
            self._ids.add(batch_id)

    def take(self, batch_id: str) -> bool:
        """True, once, for an id added here."""
        with self._lock:
            if batch_id in self._ids:
                self._ids.remove(batch_id)
                return True
            return False


def _iso(stamps: pd.Series) -> list[str]:
    return [stamp.isoformat() for stamp in pd.to_datetime(stamps)]


class ServingDetectors:
    """The champion of a retrainable detector's registry task, followed as it moves.

    ``version`` is polled by the predictor on every batch (the store re-reads the alias
    at most every few seconds); before the first retrain, detectors learn per series.
    """

    def __init__(self, store: ModelStore, detector: str) -> None:
        self.store = store
        self.detector = detector
        self._model: TrainedDetectors | None = None
        self._version: int | None = None
        self._checked = -math.inf

    def version(self) -> int | None:
        # the store caches a champion, not its absence: ask at most once per refresh
        now = time.monotonic()
        if now - self._checked >= self.store.refresh_seconds:
            self._checked = now
            serving = champion_model(self.store, self.detector)
            self._model = None if serving is None else serving[1]
            self._version = None if serving is None else serving[0]
        return self._version

    def __call__(self, metric: str) -> Detector:
        if self._model is None:
            return make_detector(self.detector)
        return self._model.for_metric(metric)


class StreamPipeline:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        transport: Transport | None = None,
        store: ModelStore | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.transport = transport or build_transport(
            settings.broker_url,
            redelivery_seconds=settings.stream_redelivery_seconds,
            namespace=settings.stream_namespace,
        )
        self.features = FeatureProcessor(history=self._history)
        serving = (
            ServingDetectors(store, settings.stream_detector)
            if store is not None and settings.stream_detector in RETRAINABLE
            else None
        )
        self.predictor = Predictor(
            settings.stream_detector,
            history=self._history,
            count=self._count,
            detectors=serving,
            champion=None if serving is None else serving.version,
        )
        self.error: str | None = None
        self.connected = False
        self._reconnect: asyncio.Task[None] | None = None
        self._replayer: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # set while batches wait in the outbox; what an earlier run left there goes out with
        # the first replay, at start, without holding back the first new batches
        self._backlog = False
        self._replaying = asyncio.Lock()
        self._replay_now = asyncio.Event()
        self._stored_here = StoredHere()
        self._group_commit: GroupCommit[MetricBatch, StoredBatch] = GroupCommit(
            self._store_received, size=lambda batch: len(batch.points) + len(batch.logs)
        )
        keep, process, predict = STAGE_GROUPS
        self.subscribe(SYSTEM_METRICS, keep, self.store_stage, self.store_many)
        self.subscribe(SYSTEM_METRICS, process, self.process_stage, self.process_many)
        self.subscribe(PROCESSED_METRICS, predict, self.predict_stage, self.predict_many)

    @property
    def kind(self) -> str:
        return self.transport.kind

    def subscribe(self, topic: str, group: str, stage: Stage, many: Stages | None = None) -> None:
        """Add a consumer (before ``start``): dashboards, alerting, tests, benchmarks."""
        self.transport.subscribe(Subscription(topic, group, stage, many))

    async def start(self) -> None:
        """Connect; a broker that is down is retried in the background, never fatal."""
        self._loop = asyncio.get_running_loop()
        self._replayer = asyncio.create_task(self._replay_forever())
        try:
            await self.transport.start()
        except Exception as exc:  # any client error: keep serving, report it in /health
            self.error = f"{type(exc).__name__}: {exc}"
            log.error("stream.connect_failed", broker=self.kind, error=self.error)
            self._reconnect = asyncio.create_task(self._retry_start())
            return
        self.connected, self.error = True, None
        log.info("stream.started", broker=self.kind)

    async def _retry_start(self) -> None:
        while not self.connected:
            await asyncio.sleep(RECONNECT_SECONDS)
            with contextlib.suppress(Exception):
                await self.transport.stop()
            try:
                await self.transport.start()
            except Exception as exc:  # still down: try again later
                self.error = f"{type(exc).__name__}: {exc}"
                continue
            self.connected, self.error = True, None
            log.info("stream.started", broker=self.kind)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        return self._loop

    async def stop(self) -> None:
        for task in (self._reconnect, self._replayer):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        with contextlib.suppress(Exception):
            await self.transport.stop()
        self.connected = False

    async def ping(self) -> bool:
        if not self.connected:
            return False
        try:
            return await asyncio.wait_for(self.transport.ping(), timeout=2.0)
        except Exception:  # a broken connection is a failed ping, not an error of /health
            return False

    def _history(
        self, unique_id: str, before: datetime, limit: int
    ) -> tuple[list[datetime], list[float]]:
        """Stored points just before a batch, to warm up a series this process has not seen."""
        with self.database.session() as session:
            repository = SeriesRepository(session)
            series = repository.get(unique_id)
            if series is None:
                return [], []
            return repository.history_before(series, before, limit)

    def _count(self, unique_id: str, before: datetime) -> int:
        """How many points of a series are stored before ``before``."""
        with self.database.session() as session:
            repository = SeriesRepository(session)
            series = repository.get(unique_id)
            return 0 if series is None else repository.count_before(series, before)

    # -- entry points -------------------------------------------------------------

    async def store(self, batch: MetricBatch) -> StoredBatch:
        """Store a batch this process is about to publish (``POST /collect``), committed
        with the batches of other requests that arrive while a write runs."""
        return await self._group_commit.write(batch)

    def _store_received(self, batches: list[MetricBatch]) -> list[StoredBatch]:
        stored = store_batches(self.database, batches)
        for batch in batches:
            self._stored_here.add(batch.batch_id)
        return stored

    async def publish_batch(self, batch: MetricBatch) -> bool:
        """Hand a stored batch to the processor; False when it waits in the outbox instead.

        While older batches wait there, this one joins them: published ahead of them it
        would make the processor skip them as old.
        """
        payload = batch.model_dump(mode="json")
        if self._backlog:
            async with self._replaying:
                if self._backlog:
                    await asyncio.to_thread(self._keep, batch.batch_id, payload)
                    self._replay_now.set()
                    return False
        try:
            await self.transport.publish(SYSTEM_METRICS, payload)
        except Exception as exc:  # the points are stored; only their scoring is delayed
            log.error("stream.publish_failed", broker=self.kind, error=str(exc))
            await asyncio.to_thread(self._keep, batch.batch_id, payload)
            self._backlog = True
            return False
        return True

    def _keep(self, batch_id: str, payload: Message) -> None:
        with self.database.session() as session:
            OutboxRepository(session).keep(batch_id, SYSTEM_METRICS, json.dumps(payload), utc_now())

    async def replay(self) -> int:
        """Publish the outbox, oldest first, until it is empty or the broker refuses one.

        Returns how many batches went out. Each leaves the outbox only once the broker
        took it, so a crash in between publishes it twice, which the stages ignore.
        """
        published = 0
        async with self._replaying:
            while rows := await asyncio.to_thread(self._oldest):
                for batch_id, topic, payload in rows:
                    try:
                        await self.transport.publish(topic, json.loads(payload))
                    except Exception as exc:  # still down: the next attempt resumes here
                        self.error = f"{type(exc).__name__}: {exc}"
                        return published
                    await asyncio.to_thread(self._remove, batch_id)
                    published += 1
            self._backlog = False
        if published:
            log.info("stream.outbox_replayed", batches=published)
        return published

    def _oldest(self) -> list[tuple[str, str, str]]:
        with self.database.session() as session:
            rows = OutboxRepository(session).oldest(REPLAY_CHUNK)
            return [(row.batch_id, row.topic, row.payload) for row in rows]

    def _remove(self, batch_id: str) -> None:
        with self.database.session() as session:
            OutboxRepository(session).remove(batch_id)

    async def _replay_forever(self) -> None:
        """Replay at once when a batch joins the outbox, and every few seconds regardless
        (another worker process may have filled it)."""
        while True:
            self._replay_now.clear()
            try:
                await self.replay()
            except Exception as exc:  # the database is away: try again on the next round
                log.error("stream.outbox_replay_failed", error=str(exc)[:300])
            if self._backlog:  # the broker refused: give it a moment before the next try
                await asyncio.sleep(RECONNECT_SECONDS / 5)
            await wake_or_timeout(self._replay_now, RECONNECT_SECONDS)

    # -- stages -------------------------------------------------------------------

    @staticmethod
    def _parse(message: Message) -> MetricBatch | None:
        try:
            return MetricBatch.model_validate(message)
        except ValidationError as exc:
            log.error("stream.invalid_message", topic=SYSTEM_METRICS, error=str(exc)[:500])
            return None

    def _batches(self, messages: list[Message]) -> list[MetricBatch]:
        return [batch for message in messages if (batch := self._parse(message)) is not None]

    async def store_stage(self, message: Message) -> None:
        await self.store_many([message])

    async def store_many(self, messages: list[Message]) -> None:
        batches = [
            batch for batch in self._batches(messages) if not self._stored_here.take(batch.batch_id)
        ]
        if batches:
            await asyncio.to_thread(self.store_arrived, batches)

    def store_arrived(self, batches: list[MetricBatch]) -> list[StoredBatch]:
        """Store batches that came in on the stream, in one unit of work."""
        return store_batches(self.database, batches)

    async def process_stage(self, message: Message) -> None:
        await self.process_many([message])

    async def process_many(self, messages: list[Message]) -> None:
        """Rolling features of the new points of ``messages``, computed in one pass and
        published per message, as if each had come alone (a later message's value for
        a point wins, as in storage)."""
        batches = [batch for batch in self._batches(messages) if batch.points]
        if not batches:
            return
        frame = service.points_frame(
            [point for batch in batches for point in batch.points],
            message=[number for number, batch in enumerate(batches) for _ in batch.points],
            later_wins=True,
        )
        processed = await asyncio.to_thread(self.features.process, frame)
        if processed.empty:
            return
        try:
            parts = (
                [(0, processed)] if len(batches) == 1 else processed.groupby("message", sort=True)
            )
            for number, part in parts:
                batch = batches[cast(int, number)]
                outgoing = ProcessedMetrics(
                    batch_id=batch.batch_id, sent_at=batch.sent_at, series=processed_series(part)
                )
                await self.transport.publish(PROCESSED_METRICS, outgoing.model_dump())
        except Exception:
            self.features.forget(processed["unique_id"].unique())
            raise

    async def predict_stage(self, message: Message) -> None:
        await self.predict_many([message])

    async def predict_many(self, messages: list[Message]) -> None:
        """Scores of the processed points of each message, stored in one unit of work and
        published per message (time to failure is estimated per message, as ever)."""
        incoming: list[tuple[ProcessedMetrics, pd.DataFrame]] = []
        for message in messages:
            try:
                parsed = ProcessedMetrics.model_validate(message)
                frame = processed_frame(parsed)
            except (KeyError, TypeError, ValueError) as exc:  # ValidationError included
                log.error("stream.invalid_message", topic=PROCESSED_METRICS, error=str(exc)[:500])
                continue
            if not frame.empty:
                incoming.append((parsed, frame))
        if not incoming:
            return
        scored = await asyncio.to_thread(self._predict_and_store, [frame for _, frame in incoming])
        for (parsed, _), one in zip(incoming, scored, strict=True):
            if not one.points.empty:
                outgoing = self._predictions_message(parsed.batch_id, parsed.sent_at, one)
                await self.transport.publish(ANOMALY_PREDICTIONS, outgoing.model_dump())

    def _predict_and_store(self, frames: list[pd.DataFrame]) -> list[Scored]:
        scored = [self.predictor.predict(frame) for frame in frames]
        try:
            self._record(scored)
        except Exception:
            for frame in frames:
                self.predictor.forget(frame["unique_id"].unique())
            raise
        return scored

    def _record(self, scored: list[Scored]) -> None:
        with self.database.session() as session:
            for one in scored:
                service.record_scored(session, one, self.predictor.detector_name)

    def _predictions_message(
        self, batch_id: str | None, sent_at: float | None, scored: Scored
    ) -> AnomalyPredictions:
        points = scored.points
        return AnomalyPredictions(
            batch_id=batch_id,
            sent_at=sent_at,
            detector=self.predictor.detector_name,
            threshold=self.predictor.threshold,
            predictions=[
                Prediction(
                    host=host,
                    metric=metric,
                    timestamp=pd.Timestamp(ds).isoformat(),
                    value=float(y),
                    anomaly_score=float(score),
                    is_anomaly=bool(flag),
                    explanation=explanation,
                )
                for host, metric, ds, y, score, flag, explanation in zip(
                    points["host"],
                    points["metric"],
                    points["ds"],
                    points["y"],
                    points["score"],
                    points["is_anomaly"],
                    points["explanation"],
                    strict=True,
                )
            ],
            time_to_failure=[
                estimate.message() for estimate in scored.failures.values() if estimate is not None
            ],
            # series estimated in this batch with no failure in sight: their warnings clear
            time_to_failure_cleared=cleared_failures(scored),
        )


def processed_series(processed: pd.DataFrame) -> list[ProcessedSeries]:
    """The features of each series of a processed frame, as the message carries them,
    series in order of first appearance; sliced from whole columns at once."""
    codes, _ = pd.factorize(processed["unique_id"], sort=False)
    order = np.argsort(codes, kind="stable")
    cuts = np.flatnonzero(np.diff(codes[order])) + 1
    hosts, metrics, labels = (
        processed[name].to_numpy()[order] for name in ("host", "metric", "labels")
    )
    stamps = _iso(processed["ds"].iloc[order])
    values = processed["y"].to_numpy()[order].tolist()
    features = {name: processed[name].to_numpy()[order].tolist() for name in FEATURE_NAMES}
    series = []
    for start, end in zip([0, *cuts.tolist()], [*cuts.tolist(), len(order)], strict=True):
        if start == end:
            continue
        series.append(
            ProcessedSeries(
                host=hosts[start],
                metric=metrics[start],
                labels=labels[end - 1],
                ds=stamps[start:end],
                y=values[start:end],
                features={name: column[start:end] for name, column in features.items()},
            )
        )
    return series


def processed_frame(incoming: ProcessedMetrics) -> pd.DataFrame:
    """The points of a processed message as the predictor reads them."""
    columns: dict[str, list[Any]] = {
        name: [] for name in ("unique_id", "host", "metric", "labels", "ds", "y")
    }
    for entry in incoming.series:
        if len(entry.ds) != len(entry.y):
            raise ValueError(
                f"{entry.host}:{entry.metric} has {len(entry.ds)} times and {len(entry.y)} values"
            )
        count = len(entry.ds)
        columns["unique_id"] += [f"{entry.host}:{entry.metric}"] * count
        columns["host"] += [entry.host] * count
        columns["metric"] += [entry.metric] * count
        columns["labels"] += [entry.labels] * count
        columns["ds"] += entry.ds
        columns["y"] += entry.y
    # parsed one by one: pandas' parser costs more than a few points' worth of work
    stamps = np.array([naive_utc(stamp) for stamp in columns["ds"]], dtype="datetime64[ns]")
    return pd.DataFrame({**columns, "ds": stamps})


def cleared_failures(scored: Scored) -> list[dict[str, str]]:
    cleared = [key for key, estimate in scored.failures.items() if estimate is None]
    if not cleared:
        return []
    points = scored.points
    newest: dict[tuple[str, str], np.datetime64] = {}
    for host, metric, stamp in zip(
        points["host"], points["metric"], points["ds"].to_numpy(), strict=True
    ):
        if (host, metric) not in newest or stamp > newest[(host, metric)]:
            newest[(host, metric)] = stamp
    return [
        {"host": host, "metric": metric, "as_of": pd.Timestamp(newest[(host, metric)]).isoformat()}
        for host, metric in cleared
        if (host, metric) in newest
    ]


def store_batch(database: Database, batch: MetricBatch) -> StoredBatch:
    """Store a batch in its own unit of work, committed on return (then it may be acked)."""
    return store_batches(database, [batch])[0]


def store_batches(database: Database, batches: list[MetricBatch]) -> list[StoredBatch]:
    """Store batches in one unit of work: all of them or, if one fails, none."""
    with database.session() as session:
        stored = service.store_batches(session, batches)
    INGESTED_POINTS.inc(sum(one.points_written + one.log_events_counted for one in stored))
    return stored


def publish_from_worker(
    settings: Settings, batch: MetricBatch, pipeline: StreamPipeline | None = None
) -> bool:
    """Publish a stored batch from a job thread; False when nothing could take it.

    The pipeline of this process (the server's, handed over by the composition root) is
    used when it is connected; otherwise a configured broker is connected for this one
    message. A worker process without a broker URL has no stream to feed: the points are
    stored and scoring waits.
    """
    if pipeline is not None and pipeline.loop is not None and pipeline.connected:
        future = asyncio.run_coroutine_threadsafe(pipeline.publish_batch(batch), pipeline.loop)
        return future.result(timeout=HANDOVER_TIMEOUT_SECONDS)
    if not settings.broker_url:
        return False
    return asyncio.run(_publish_once(settings, batch))


async def _publish_once(settings: Settings, batch: MetricBatch) -> bool:
    transport = build_transport(
        settings.broker_url,
        redelivery_seconds=settings.stream_redelivery_seconds,
        namespace=settings.stream_namespace,
    )
    try:
        await transport.start()
        await transport.publish(SYSTEM_METRICS, batch.model_dump(mode="json"))
    except Exception as exc:  # reported in the job result; the points are stored
        log.error("stream.publish_failed", broker=transport.kind, error=str(exc))
        return False
    finally:
        with contextlib.suppress(Exception):
            await transport.stop()
    return True
