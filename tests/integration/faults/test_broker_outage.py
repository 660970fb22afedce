"""Redis or NATS stopped during ingestion: stored points kept, a clear refusal, recovery.

The pipeline runs on a private broker and ingests the way ``POST /collect`` does: store
the batch in the database (that is the acknowledgement), then publish it for scoring.
While the broker is down, publishing must fail promptly and say so (``published: false``
in the answer), never hang a request and never lose a stored point; once the broker is
back, the same pipeline, without a restart, publishes again and the broker delivers the
new batches to its consumer groups (a sink group beside the pipeline's own stages). The
batch stored during the outage waited in the outbox: it is published first and scored
(its points come out of the predict stage), not skipped for being older than the rest.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import make_settings
from opscast.db import Database
from opscast.series.repository import SeriesRepository
from opscast.streaming.pipeline import StreamPipeline, new_batch_id
from opscast.streaming.repository import OutboxRepository
from opscast.streaming.schemas import MetricBatch
from opscast.streaming.topics import ANOMALY_PREDICTIONS, SYSTEM_METRICS
from opscast.streaming.transport import Message
from private_servers import private_broker

POINTS = 20
PUBLISH_SECONDS = 15.0
RECOVERY_SECONDS = 60.0


def batch(offset: int) -> MetricBatch:
    points = [
        {
            "host": "db-1",
            "metric": "cpu_pct",
            "timestamp": f"2026-03-01T{(offset + i) // 60:02d}:{(offset + i) % 60:02d}:00Z",
            "value": 40.0 + (i % 5),
        }
        for i in range(POINTS)
    ]
    return MetricBatch.model_validate(
        {"points": points, "batch_id": new_batch_id(), "sent_at": time.time()}
    )


async def until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} within {seconds:g} s")
        await asyncio.sleep(0.1)


def stored(database: Database) -> int:
    with database.session() as session:
        repository = SeriesRepository(session)
        series = repository.get("db-1:cpu_pct")
        return 0 if series is None else len(repository.points_frame(series))


async def ingest(pipeline: StreamPipeline, offset: int) -> tuple[MetricBatch, bool]:
    """What the endpoint does: store (the acknowledgement), then publish."""
    sent = batch(offset)
    await pipeline.store(sent)
    published = await asyncio.wait_for(pipeline.publish_batch(sent), timeout=PUBLISH_SECONDS)
    return sent, published


def waiting(database: Database) -> int:
    with database.session() as session:
        return OutboxRepository(session).count()


@pytest.mark.faults
@pytest.mark.parametrize("kind", ["redis", "nats"])
def test_broker_stopped_during_ingestion_loses_no_acknowledged_point(
    kind: str, var_dir: Path
) -> None:
    with private_broker(kind) as (broker, url):
        settings = make_settings(
            var_dir,
            broker_url=url,
            stream_namespace=f"f{uuid.uuid4().hex[:8]}",
            stream_redelivery_seconds=1.0,
        )
        database = Database(f"sqlite:///{var_dir / 'opscast.db'}")
        database.migrate()
        delivered: list[str] = []
        scored: dict[str, int] = {}

        async def sink(message: Message) -> None:
            delivered.append(message["batch_id"])

        async def scores(message: Message) -> None:
            batch_id = message["batch_id"]
            scored[batch_id] = scored.get(batch_id, 0) + len(message["predictions"])

        async def scenario() -> None:
            pipeline = StreamPipeline(settings, database)
            pipeline.subscribe(SYSTEM_METRICS, "sink", sink)
            pipeline.subscribe(ANOMALY_PREDICTIONS, "scores", scores)
            await pipeline.start()
            assert pipeline.connected, pipeline.error
            try:
                first, published = await ingest(pipeline, 0)
                assert published
                await until(
                    lambda: first.batch_id in delivered, 30, "the first batch was not delivered"
                )

                broker.stop()
                during, published = await ingest(pipeline, POINTS)
                assert not published, "a batch was reported published while the broker was down"
                assert stored(database) == 2 * POINTS, "a stored batch went missing"
                assert waiting(database) == 1, "the unpublished batch is not in the outbox"

                broker.start()
                offset = 2 * POINTS
                deadline = time.monotonic() + RECOVERY_SECONDS
                while True:
                    last, published = await ingest(pipeline, offset)
                    offset += POINTS
                    if published:
                        break
                    assert time.monotonic() < deadline, "publishing never recovered"
                    await asyncio.sleep(0.5)
                await until(
                    lambda: last.batch_id in delivered,
                    RECOVERY_SECONDS,
                    "no batch was delivered after the broker came back",
                )
                assert stored(database) == offset, "acknowledged points are missing"
                await until(
                    lambda: scored.get(during.batch_id, 0) == POINTS,
                    RECOVERY_SECONDS,
                    "the batch stored during the outage was not scored",
                )
                assert delivered.index(during.batch_id) < delivered.index(last.batch_id)
                assert waiting(database) == 0, "the outbox kept a published batch"
            finally:
                await pipeline.stop()

        try:
            asyncio.run(scenario())
        finally:
            database.dispose()
