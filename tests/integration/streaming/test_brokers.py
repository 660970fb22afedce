"""The pipeline on the real brokers of this machine: Redis Streams, NATS JetStream, RabbitMQ.

Each test uses a namespace of its own (topic prefix, consumer groups, JetStream stream,
exchange), so runs never see each other's messages. Outside CI an absent broker skips
with the reason; with CI=true it fails.
"""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pytest

from conftest import make_settings, require_service
from opscast.db import Database
from opscast.series.repository import SeriesRepository
from opscast.streaming.pipeline import STAGE_GROUPS, StreamPipeline, new_batch_id
from opscast.streaming.schemas import MetricBatch
from opscast.streaming.topics import ANOMALY_PREDICTIONS, SYSTEM_METRICS
from opscast.streaming.transport import (
    FastStreamTransport,
    Message,
    Subscription,
    remove_namespace,
)

BROKERS = {
    "redis": "redis://127.0.0.1:6379",
    "nats": "nats://127.0.0.1:4222",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672/",
}
START = np.datetime64("2026-03-01T00:00:00")


def reachable(url: str) -> str | None:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 1.0):
            return None
    except OSError as exc:
        return str(exc)


@pytest.fixture(params=list(BROKERS))
def broker_url(request: pytest.FixtureRequest) -> str:
    url = BROKERS[request.param]
    problem = reachable(url)
    if problem:
        require_service(request.param, f"{url}: {problem}")
    return url


def batch(
    host: str, values: list[float], *, offset: int = 0, metric: str = "disk_pct"
) -> MetricBatch:
    points = [
        {
            "host": host,
            "metric": metric,
            "timestamp": f"{START + np.timedelta64(offset + i, 'm')}Z",
            "value": value,
        }
        for i, value in enumerate(values)
    ]
    return MetricBatch.model_validate(
        {"points": points, "batch_id": new_batch_id(), "sent_at": time.time()}
    )


@asynccontextmanager
async def running(
    url: str, var_dir: Path, sinks: dict[str, list[Message]], **overrides: Any
) -> AsyncIterator[StreamPipeline]:
    namespace = f"t{uuid.uuid4().hex[:10]}"
    settings = make_settings(
        var_dir,
        broker_url=url,
        stream_namespace=namespace,
        stream_redelivery_seconds=1.0,
        **overrides,
    )
    database = Database(f"sqlite:///{var_dir / 'opscast.db'}")
    database.migrate()
    pipeline = StreamPipeline(settings, database)
    for topic, received in sinks.items():

        async def sink(message: Message, received: list[Message] = received) -> None:
            received.append(message)

        pipeline.subscribe(topic, "sink", sink)
    await pipeline.start()
    assert pipeline.connected, pipeline.error
    try:
        yield pipeline
    finally:
        await pipeline.stop()
        database.dispose()
        await remove_namespace(url, namespace, groups=(*STAGE_GROUPS, "sink"))


async def until(condition: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {seconds} s")
        await asyncio.sleep(0.05)


def stored_points(pipeline: StreamPipeline, unique_id: str) -> int:
    with pipeline.database.session() as session:
        repository = SeriesRepository(session)
        series = repository.get(unique_id)
        return 0 if series is None else len(repository.points_frame(series))


def test_published_metrics_reach_anomaly_predictions(broker_url: str, var_dir: Path) -> None:
    """A producer publishes on system_metrics; predictions and TTF come out."""
    predictions: list[Message] = []

    async def scenario() -> None:
        async with running(broker_url, var_dir, {ANOMALY_PREDICTIONS: predictions}) as pipeline:
            # a disk filling 0.05 %/min from 60 %: full 800 minutes after the start
            disk = [60.0 + 0.05 * i for i in range(200)]
            noise = np.random.default_rng(2).normal(0, 0.5, 200)
            latency = [20.0 + n + (60.0 if i == 150 else 0.0) for i, n in enumerate(noise)]
            for start in range(0, 200, 50):
                part = batch("db-1", disk[start : start + 50], offset=start)
                slow = batch("db-1", latency[start : start + 50], offset=start, metric="latency_ms")
                part.points.extend(slow.points)
                await pipeline.transport.publish(SYSTEM_METRICS, part.model_dump(mode="json"))
            await until(lambda: sum(len(m["predictions"]) for m in predictions) >= 400)
            await until(lambda: stored_points(pipeline, "db-1:disk_pct") == 200)

    asyncio.run(scenario())
    scored = [p for message in predictions for p in message["predictions"]]
    disk = [p["timestamp"] for p in scored if p["metric"] == "disk_pct"]
    assert disk == sorted(disk), "a series is scored in time order"
    assert all(0.0 <= p["anomaly_score"] <= 1.0 for p in scored)
    spike = next(
        p for p in scored if p["metric"] == "latency_ms" and p["timestamp"].endswith("02:30:00")
    )
    assert spike["is_anomaly"], spike
    assert spike["explanation"], "a flagged point carries the features that drove it"
    ttf = predictions[-1]["time_to_failure"]
    assert len(ttf) == 1
    # level 69.95 % at minute 199, rising 3 %/h: 10 h to go
    assert ttf[0]["eta_hours"] == pytest.approx(10.0, rel=0.05)
    assert ttf[0]["sentence"].startswith("db-1 disk likely full in about")


def test_a_failed_store_is_redelivered_and_stored_once(broker_url: str, var_dir: Path) -> None:
    """The store stage fails on the first delivery: the broker redelivers after the
    redelivery timeout, the batch is stored, and a repeated batch id stores nothing."""
    predictions: list[Message] = []

    async def scenario() -> None:
        async with running(broker_url, var_dir, {ANOMALY_PREDICTIONS: predictions}) as pipeline:
            real_store = pipeline.store_arrived
            attempts: list[str] = []

            def flaky_store(batches: list[MetricBatch]) -> Any:
                attempts.extend(batch.batch_id for batch in batches)
                if len(attempts) == 1:
                    raise ConnectionError("database went away")
                return real_store(batches)

            pipeline.store_arrived = flaky_store  # type: ignore[method-assign]
            first = batch("cache-1", [1.0, 2.0, 3.0])
            await pipeline.transport.publish(SYSTEM_METRICS, first.model_dump(mode="json"))
            await until(lambda: stored_points(pipeline, "cache-1:disk_pct") == 3)
            assert attempts == [first.batch_id, first.batch_id]

            again = first.model_copy(update={"points": first.points[:1]})
            await pipeline.transport.publish(SYSTEM_METRICS, again.model_dump(mode="json"))
            await until(lambda: len(attempts) == 3)
            assert real_store([again])[0].duplicate

    asyncio.run(scenario())


def test_messages_fetched_together_reach_the_many_stage_in_order(broker_url: str) -> None:
    """Messages published before the consumer reads them come to ``many`` in one call
    on Redis (NATS and RabbitMQ deliver one at a time), in publishing order; a batch
    whose ``many`` fails goes through the one-message stage instead, nothing lost."""
    namespace = f"t{uuid.uuid4().hex[:10]}"
    calls: list[list[int]] = []
    singles: list[int] = []

    async def many(messages: list[Message]) -> None:
        calls.append([m["n"] for m in messages])
        if any(m["n"] == 45 for m in messages):
            raise RuntimeError("one bad message")

    async def stage(message: Message) -> None:
        singles.append(message["n"])

    async def scenario() -> None:
        publisher = FastStreamTransport(broker_url, namespace=namespace)
        consumer = FastStreamTransport(broker_url, namespace=namespace)
        consumer.subscribe(Subscription(SYSTEM_METRICS, "together", stage, many))
        try:
            await publisher.start()
            await consumer.start()  # declares the group, then is stopped while messages queue
            await consumer.stop()
            for n in range(60):
                await publisher.publish(SYSTEM_METRICS, {"n": n})
            consumer = FastStreamTransport(broker_url, namespace=namespace)
            consumer.subscribe(Subscription(SYSTEM_METRICS, "together", stage, many))
            await consumer.start()
            handled = lambda: sorted(  # noqa: E731
                {n for call in calls if 45 not in call for n in call} | set(singles)
            )
            await until(lambda: handled() == list(range(60)))
        finally:
            await consumer.stop()
            await publisher.stop()
            await remove_namespace(broker_url, namespace, groups=("together",))

    asyncio.run(scenario())
    seen = [n for call in calls for n in call]
    if urlsplit(broker_url).scheme != "redis":
        assert singles == list(range(60))
        assert not calls
        return
    assert max(len(call) for call in calls) > 1, calls
    assert seen == sorted(seen), "each fetch is handed over in publishing order"
    failed = next(call for call in calls if 45 in call)
    assert singles == failed, "the failed batch went through the one-message stage"


def test_health_reports_a_real_connection(broker_url: str, var_dir: Path) -> None:
    from fastapi.testclient import TestClient

    from opscast.api.app import create_app

    namespace = f"t{uuid.uuid4().hex[:10]}"
    settings = make_settings(var_dir, broker_url=broker_url, stream_namespace=namespace)
    with TestClient(create_app(settings)) as client:
        body = client.get("/health").json()
    asyncio.run(remove_namespace(broker_url, namespace, groups=STAGE_GROUPS))
    assert body["components"]["broker"]["status"] == "ok", body
    assert body["components"]["broker"]["kind"] == urlsplit(broker_url).scheme


def test_kafka_is_selected_by_url() -> None:
    """No Kafka server runs here: only the selection is checked, not the delivery."""
    transport = FastStreamTransport("kafka://127.0.0.1:9092")
    assert transport.kind == "kafka"
    assert type(transport.broker).__name__ == "KafkaBroker"
    with pytest.raises(ValueError, match="not supported"):
        FastStreamTransport("mqtt://127.0.0.1:1883")
