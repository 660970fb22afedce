"""Messages that queue up are handled together, with the same outcome as one at a time.

Under load ``POST /collect`` publishes faster than the stages run, so the in-process
transport hands what waits in a queue to a stage at once. These tests hold that this
changes the cost and nothing else: the same points stored, the same scores, the same
order, and a batch that fails falls back to one message at a time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from conftest import make_settings
from opscast.db import Database
from opscast.series.repository import SeriesRepository
from opscast.streaming.pipeline import StreamPipeline, new_batch_id
from opscast.streaming.processor import Scored
from opscast.streaming.schemas import MetricBatch, StoredBatch
from opscast.streaming.topics import ANOMALY_PREDICTIONS, SYSTEM_METRICS
from opscast.streaming.transport import InProcessTransport, Message, Subscription

START = np.datetime64("2026-03-01T00:00:00")
HOSTS = ("web-1", "web-2", "db-1")
MINUTES = 240


def one_minute(minute: int, rng: np.random.Generator) -> Message:
    """What a collector posts each minute: one point per host; db-1 climbs to its limit."""
    points = [
        {
            "host": host,
            "metric": "cpu_pct",
            "timestamp": f"{START + np.timedelta64(minute, 'm')}Z",
            "value": 40.0
            + 10 * np.sin(minute / 15 + number)
            + rng.normal(0, 1)
            + (0.2 * minute if host == "db-1" else 0.0),
            "labels": {"limit": "100"} if host == "db-1" else {},
        }
        for number, host in enumerate(HOSTS)
    ]
    batch = {"points": points, "batch_id": new_batch_id(), "sent_at": time.time()}
    return MetricBatch.model_validate(batch).model_dump(mode="json")


async def until(condition: Callable[[], bool], seconds: float = 60.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"condition not met within {seconds} s")
        await asyncio.sleep(0.01)


class CountingPipeline(StreamPipeline):
    """The real pipeline, counting the units of work that store predictions and noting
    the batches its store stage stored."""

    units_of_work = 0

    def _record(self, scored: list[Scored]) -> None:
        self.units_of_work += 1
        super()._record(scored)

    def store_arrived(self, batches: list[MetricBatch]) -> list[StoredBatch]:
        self.arrived = [*getattr(self, "arrived", []), *(batch.batch_id for batch in batches)]
        return super().store_arrived(batches)


async def run_pipeline(
    var_dir: Path, messages: list[Message], *, together: bool
) -> tuple[dict[tuple[str, str], float], list[tuple[str, Any]], int, int]:
    """Scores by (host, timestamp), the batch id and time to failure of each prediction
    message received,
    the units of work that stored predictions and the points stored.

    ``together``: every message is queued before the stages run; otherwise each waits
    for the predictions of the one before it.
    """
    var_dir.mkdir()
    database = Database(f"sqlite:///{var_dir / 'opscast.db'}")
    database.migrate()
    pipeline = CountingPipeline(make_settings(var_dir, broker_url=""), database)
    received: list[Message] = []

    async def sink(message: Message) -> None:
        received.append(message)

    pipeline.subscribe(ANOMALY_PREDICTIONS, "sink", sink)
    await pipeline.start()
    scored = lambda: sum(len(m["predictions"]) for m in received)  # noqa: E731
    try:
        for number, message in enumerate(messages):
            await pipeline.transport.publish(SYSTEM_METRICS, message)
            if not together:
                await until(lambda n=number: scored() >= (n + 1) * len(HOSTS))
        await until(lambda: scored() >= len(messages) * len(HOSTS))
    finally:
        await pipeline.stop()
    with database.session() as session:
        repository = SeriesRepository(session)
        stored = 0
        for host in HOSTS:
            series = repository.get(f"{host}:cpu_pct")
            assert series is not None
            stored += len(repository.points_frame(series))
    database.dispose()
    scores = {
        (p["host"], p["timestamp"]): p["anomaly_score"] for m in received for p in m["predictions"]
    }
    answers = [(m["batch_id"], m["time_to_failure"]) for m in received]
    return scores, answers, pipeline.units_of_work, stored


def test_queued_messages_score_as_they_would_one_at_a_time(var_dir: Path) -> None:
    rng = np.random.default_rng(7)
    messages = [one_minute(minute, rng) for minute in range(MINUTES)]

    alone, alone_ids, alone_units, alone_stored = asyncio.run(
        run_pipeline(var_dir / "alone", messages, together=False)
    )
    together, together_ids, together_units, together_stored = asyncio.run(
        run_pipeline(var_dir / "together", messages, together=True)
    )

    assert alone_units == MINUTES
    assert together_units < MINUTES / 10, "queued messages were handled together"
    # each message is still answered on its own, in order, with its time to failure
    assert together_ids == alone_ids
    assert [batch_id for batch_id, _ in alone_ids] == [m["batch_id"] for m in messages]
    assert sum(bool(failures) for _, failures in alone_ids) >= 10
    assert alone_stored == together_stored == MINUTES * len(HOSTS)
    assert len(together) == len(alone) == MINUTES * len(HOSTS)
    assert together == alone  # every point, bit for bit
    flagged = [key for key, score in together.items() if score >= 0.45]
    assert flagged, "some points are flagged, so equal scores are not all zeros"


async def wait_for(condition: Callable[[], bool]) -> None:
    await until(condition, seconds=10.0)


def test_a_batch_that_fails_is_delivered_one_message_at_a_time() -> None:
    async def scenario() -> tuple[list[list[int]], list[int]]:
        transport = InProcessTransport(retry_seconds=0.01)
        batches: list[list[int]] = []
        singles: list[int] = []

        async def many(messages: list[Message]) -> None:
            batches.append([m["n"] for m in messages])
            if any(m["n"] == 3 for m in messages):
                raise RuntimeError("one bad message")

        async def stage(message: Message) -> None:
            singles.append(message["n"])

        transport.subscribe(Subscription("topic", "group", stage, many))
        await transport.start()
        for n in range(6):  # all queued before the consumer runs
            await transport.publish("topic", {"n": n})
        await wait_for(lambda: len(singles) == 6)
        for n in range(6, 8):  # one at a time: a single message goes to ``stage``
            await transport.publish("topic", {"n": n})
            await wait_for(lambda n=n: singles[-1] == n)
        await transport.stop()
        return batches, singles

    batches, singles = asyncio.run(scenario())
    assert batches == [[0, 1, 2, 3, 4, 5]]
    assert singles == list(range(8))


def test_a_subscription_without_many_gets_every_message_alone() -> None:
    async def scenario() -> list[int]:
        transport = InProcessTransport()
        seen: list[int] = []

        async def stage(message: Message) -> None:
            seen.append(message["n"])

        transport.subscribe(Subscription("topic", "group", stage))
        await transport.start()
        for n in range(5):
            await transport.publish("topic", {"n": n})
        await wait_for(lambda: len(seen) == 5)
        await transport.stop()
        return seen

    assert asyncio.run(scenario()) == list(range(5))


def test_the_store_stage_skips_what_this_process_stored(var_dir: Path) -> None:
    """``POST /collect`` stores, then publishes: the store stage's copy claims nothing
    again; a batch that arrives only on the stream is still stored."""
    database = Database(f"sqlite:///{var_dir / 'opscast.db'}")
    database.migrate()
    rng = np.random.default_rng(1)
    here = [MetricBatch.model_validate(one_minute(minute, rng)) for minute in range(3)]
    arrived = MetricBatch.model_validate(one_minute(3, rng))

    async def scenario() -> list[str]:
        pipeline = CountingPipeline(make_settings(var_dir, broker_url=""), database)
        pipeline.arrived = []
        await pipeline.start()
        try:
            for batch in here:
                assert (await pipeline.store(batch)).points_written == len(HOSTS)
                assert await pipeline.publish_batch(batch)
            await pipeline.transport.publish(SYSTEM_METRICS, arrived.model_dump(mode="json"))
            await until(lambda: arrived.batch_id in pipeline.arrived)
            await asyncio.sleep(0.2)  # any late claim of the others would show by now
        finally:
            await pipeline.stop()
        return pipeline.arrived

    assert asyncio.run(scenario()) == [arrived.batch_id]
    with database.session() as session:
        series = SeriesRepository(session).get("db-1:cpu_pct")
        assert series is not None
        assert len(SeriesRepository(session).points_frame(series)) == 4
    database.dispose()


def test_a_steady_flow_waits_a_little_to_be_handled_together() -> None:
    """Messages a few milliseconds apart are gathered for ``linger_seconds``; messages
    further apart than that are each handled at once, alone."""

    async def scenario(gap: float, *, wait_for_each: bool) -> list[list[int]]:
        transport = InProcessTransport(linger_seconds=0.05)
        batches: list[list[int]] = []

        async def many(messages: list[Message]) -> None:
            batches.append([m["n"] for m in messages])

        async def stage(message: Message) -> None:
            batches.append([message["n"]])

        transport.subscribe(Subscription("topic", "group", stage, many))
        await transport.start()
        for n in range(20):
            await transport.publish("topic", {"n": n})
            if wait_for_each:
                await wait_for(lambda n=n: bool(batches) and batches[-1][-1] == n)
            await asyncio.sleep(gap)
        await wait_for(lambda: sum(map(len, batches)) == 20)
        await transport.stop()
        return batches

    steady = asyncio.run(scenario(0.005, wait_for_each=False))
    assert [n for batch in steady for n in batch] == list(range(20))
    assert max(map(len, steady)) > 1
    sparse = asyncio.run(scenario(0.1, wait_for_each=True))
    assert sparse == [[n] for n in range(20)]
