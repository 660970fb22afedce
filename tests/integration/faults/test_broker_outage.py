"""Redis or NATS stopped during ingestion: stored points kept, a clear refusal, recovery.

The pipeline runs on a private broker and ingests the way ``POST /collect`` does: store
the batch in the database (that is the acknowledgement), then publish it for scoring.
While the broker is down, publishing must fail promptly and say so (``published: false``
in the answer), never hang a request and never lose a stored point; once the broker is
back, the same pipeline, without a restart, publishes again and the broker delivers the
new batches to its consumer groups (a sink group beside the pipeline's own stages).
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
from opscast.streaming.schemas import MetricBatch
from opscast.streaming.topics import SYSTEM_METRICS
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

        async def sink(message: Message) -> None:
            delivered.append(message["batch_id"])

        async def ingest(pipeline: StreamPipeline, offset: int) -> tuple[MetricBatch, bool]:
            """What the endpoint does: store (the acknowledgement), then publish."""
            sent = batch(offset)
            await asyncio.to_thread(pipeline.store, sent)
            published = await asyncio.wait_for(
                pipeline.publish_batch(sent), timeout=PUBLISH_SECONDS
            )
            return sent, published

        async def scenario() -> None:
            pipeline = StreamPipeline(settings, database)
            pipeline.subscribe(SYSTEM_METRICS, "sink", sink)
            await pipeline.start()
            assert pipeline.connected, pipeline.error
            try:
                first, published = await ingest(pipeline, 0)
                assert published
                await until(
                    lambda: first.batch_id in delivered, 30, "the first batch was not delivered"
                )

                broker.stop()
                _, published = await ingest(pipeline, POINTS)
                assert not published, "a batch was reported published while the broker was down"
                assert stored(database) == 2 * POINTS, "a stored batch went missing"

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
            finally:
                await pipeline.stop()

        try:
            asyncio.run(scenario())
        finally:
            database.dispose()
