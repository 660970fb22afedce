"""Message transports: the in-process default and FastStream brokers chosen by URL.

The pipeline's stages are plain ``async def stage(message: dict) -> None`` functions
registered as :class:`Subscription`\\ s; a transport delivers each message of a topic to
every subscription (each ``group`` gets its own copy, members of one group share the
work) and acknowledges it only after the stage returned. A stage that raises leaves the
message unacknowledged, so the broker delivers it again: at-least-once, which the stages
make harmless by being idempotent.

- ``redis://``: Redis Streams with one consumer group per stage and an explicit XACK
  after the stage. A second subscriber per stage claims (XAUTOCLAIM) entries left
  pending longer than ``redelivery_seconds`` by a failed stage or a dead process.
- ``nats://``: a JetStream stream holding the topics and a durable pull consumer per
  stage; a failure nacks, and an unacknowledged message comes back after ``ack_wait``.
- ``amqp://``: RabbitMQ, a durable queue per stage bound to a topic exchange,
  persistent messages, nack-and-requeue on failure.
- ``kafka://``: Kafka with a consumer group per stage and offsets committed after the
  stage (no Kafka server here to test against).

A stage that can take several messages at once (``Subscription.many``) gets what a
Redis or Kafka consumer fetched in one read, up to ``MAX_BATCH``, as the in-process
transport hands over what waits in its queue; NATS and RabbitMQ deliver one message at
a time. A fetched batch is acknowledged as a whole once handled.

Why a hand-written in-process transport: FastStream's ``TestBroker`` is built to patch
a broker inside tests (it swaps the publisher for direct calls, so a failing stage
propagates into the publisher and nothing is redelivered), which is not the semantics
a running service needs. The in-process transport is ~50 lines of asyncio queues with
the same contract: one copy per group, retry of a failed message, ordered delivery.
It keeps messages in memory only; what it loses on a crash is never a stored point,
because ``POST /collect`` stores before it publishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from opscast.observability import get_logger
from opscast.streaming.topics import ALL_TOPICS

log = get_logger(__name__)

Message = dict[str, Any]
Stage = Callable[[Message], Awaitable[None]]
Stages = Callable[[list[Message]], Awaitable[None]]

# FastStream logs every message at INFO; opscast logs what matters itself
FASTSTREAM_LOG = logging.getLogger("opscast.faststream")
JETSTREAM_NAME = "opscast"
RABBIT_EXCHANGE = "opscast"
SUPPORTED_SCHEMES = ("redis", "rediss", "nats", "amqp", "amqps", "kafka")
MAX_BATCH = 256
"""Messages handed to a stage at once at most."""


@dataclass(frozen=True, slots=True)
class Subscription:
    topic: str
    group: str
    stage: Stage
    many: Stages | None = None
    """The same stage for several messages at once, in order: a transport that finds
    messages queued hands them over together, so the per-message cost of a stage (a unit
    of work, a frame, a judge) is paid once for all of them under load. If it raises,
    each message goes through ``stage`` on its own, with the usual retries."""


async def deliver_together(subscription: Subscription, messages: list[Message]) -> bool:
    """True when ``many`` handled every message; False leaves them to one at a time."""
    if subscription.many is None or len(messages) < 2:
        return False
    try:
        await subscription.many(messages)
    except Exception as exc:  # one at a time instead, each with its own retries
        log.warning(
            "stream.batch_failed",
            topic=subscription.topic,
            group=subscription.group,
            messages=len(messages),
            error=f"{type(exc).__name__}: {exc}",
        )
        return False
    return True


class Transport(Protocol):
    kind: str

    def subscribe(self, subscription: Subscription) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def publish(self, topic: str, message: Message) -> None: ...

    async def ping(self) -> bool: ...


class InProcessTransport:
    """Asyncio queues in this process: ordered per group, a failed message is retried.

    A consumer takes what waits in its queue, up to ``max_batch`` messages, and gives it
    to the subscription's ``many`` stage when it has one: under load the queue fills while
    a stage runs, and the next run takes care of everything that arrived meanwhile. When
    messages come faster than one per ``linger_seconds`` but the stage keeps up, it waits
    that long before taking them, so they are still handled together; at a slower pace
    nothing waits.
    """

    kind = "in-memory"

    def __init__(
        self,
        retry_seconds: float = 1.0,
        max_attempts: int = 5,
        max_batch: int = MAX_BATCH,
        linger_seconds: float = 0.05,
    ) -> None:
        self.retry_seconds = retry_seconds
        self.max_attempts = max_attempts
        self.max_batch = max_batch
        self.linger_seconds = linger_seconds
        self._subscriptions: list[Subscription] = []
        self._queues: dict[str, list[asyncio.Queue[Message]]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def subscribe(self, subscription: Subscription) -> None:
        self._subscriptions.append(subscription)

    async def start(self) -> None:
        for subscription in self._subscriptions:
            queue: asyncio.Queue[Message] = asyncio.Queue()
            self._queues.setdefault(subscription.topic, []).append(queue)
            self._tasks.append(asyncio.create_task(self._consume(subscription, queue)))

    async def _consume(self, subscription: Subscription, queue: asyncio.Queue[Message]) -> None:
        loop = asyncio.get_running_loop()
        previous = -math.inf
        while True:
            messages = [await queue.get()]
            arrived = loop.time()
            # the last batch began less than a linger ago: more will come, wait for them
            steady = arrived - previous < self.linger_seconds
            previous = arrived
            if steady and subscription.many is not None and queue.empty():
                await asyncio.sleep(self.linger_seconds)
            while len(messages) < self.max_batch and not queue.empty():
                messages.append(queue.get_nowait())
            if not await deliver_together(subscription, messages):
                for message in messages:
                    await self._deliver(subscription, message)
            for _ in messages:
                queue.task_done()

    async def _deliver(self, subscription: Subscription, message: Message) -> None:
        for attempt in range(1, self.max_attempts + 1):
            try:
                await subscription.stage(message)
                return
            except Exception as exc:  # the stage failed: deliver the message again
                log.warning(
                    "stream.retry",
                    topic=subscription.topic,
                    group=subscription.group,
                    attempt=attempt,
                    error=f"{type(exc).__name__}: {exc}",
                )
                if attempt == self.max_attempts:
                    log.error("stream.dropped", topic=subscription.topic, group=subscription.group)
                else:
                    await asyncio.sleep(self.retry_seconds * attempt)

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._queues.clear()

    async def publish(self, topic: str, message: Message) -> None:
        for queue in self._queues.get(topic, []):
            queue.put_nowait(message)

    async def ping(self) -> bool:
        return True


def _one_argument(stage: Stage) -> Stage:
    """FastStream reads a handler's signature to decode messages: give it exactly one dict."""

    async def handle(message: dict[str, Any]) -> None:
        await stage(message)

    return handle


def _fetched_together(subscription: Subscription) -> Stages:
    """A batch subscriber's handler: the fetched messages through ``many``, or one at a
    time when that fails. A message that fails alone fails the handler, and the broker
    delivers the whole batch again (the stages are idempotent)."""

    async def handle(messages: list[dict[str, Any]]) -> None:
        if await deliver_together(subscription, messages):
            return
        for message in messages:
            await subscription.stage(message)

    return handle


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class FastStreamTransport:
    """A FastStream broker; subscriber options differ per broker, the stages do not."""

    def __init__(self, url: str, *, redelivery_seconds: float = 30.0, namespace: str = "") -> None:
        self.url = url
        self.namespace = namespace
        self.kind = urlsplit(url).scheme
        if self.kind not in SUPPORTED_SCHEMES:
            raise ValueError(
                f"OPSCAST_BROKER_URL scheme {self.kind!r} is not supported; use one of "
                + ", ".join(f"{scheme}://" for scheme in SUPPORTED_SCHEMES)
            )
        self.redelivery_seconds = redelivery_seconds
        self.broker: Any = self._make_broker()
        self.started = False

    def _make_broker(self) -> Any:
        if self.kind in {"redis", "rediss"}:
            from faststream.redis import RedisBroker

            return RedisBroker(self.url, logger=FASTSTREAM_LOG)
        if self.kind == "nats":
            from faststream.nats import NatsBroker

            return NatsBroker(self.url, logger=FASTSTREAM_LOG)
        if self.kind in {"amqp", "amqps"}:
            from faststream.rabbit import RabbitBroker

            return RabbitBroker(self.url, logger=FASTSTREAM_LOG)
        from faststream.kafka import KafkaBroker

        return KafkaBroker(urlsplit(self.url).netloc, logger=FASTSTREAM_LOG)

    def _jetstream(self) -> Any:
        from faststream.nats import JStream

        return JStream(
            self.namespace or JETSTREAM_NAME,
            subjects=[self._topic(topic) for topic in ALL_TOPICS],
            declare=True,
        )

    def _topic(self, topic: str) -> str:
        """Topics keep the seed's names unless a namespace keeps deployments apart."""
        return f"{self.namespace}.{topic}" if self.namespace else topic

    def _exchange(self) -> Any:
        from faststream.rabbit import ExchangeType, RabbitExchange

        return RabbitExchange(
            self.namespace or RABBIT_EXCHANGE, type=ExchangeType.TOPIC, durable=True
        )

    def subscribe(self, subscription: Subscription) -> None:
        from faststream import AckPolicy

        ack = AckPolicy.NACK_ON_ERROR
        stage = _one_argument(subscription.stage)
        together = subscription.many is not None
        fresh = _fetched_together(subscription) if together else stage
        most = MAX_BATCH if together else None
        group = f"{self.namespace or 'opscast'}-{subscription.group}"
        topic = self._topic(subscription.topic)
        if self.kind in {"redis", "rediss"}:
            from faststream.redis import StreamSub

            name = consumer_name()
            self.broker.subscriber(
                stream=StreamSub(
                    topic, group=group, consumer=name, batch=together, max_records=most
                ),
                ack_policy=ack,
            )(fresh)
            # entries a failed stage or a dead process left pending come back after a while
            self.broker.subscriber(
                stream=StreamSub(
                    topic,
                    group=group,
                    consumer=f"{name}-reclaim",
                    min_idle_time=int(self.redelivery_seconds * 1000),
                ),
                ack_policy=ack,
            )(stage)
        elif self.kind == "nats":
            from faststream.nats import ConsumerConfig, PullSub

            # one message per fetch: a fetched batch is handled concurrently, out of order,
            # and with batch=True a fetch that found one message on an idle stream waits
            # for the rest of its batch until its timeout, which would be each message's
            # latency
            self.broker.subscriber(
                topic,
                stream=self._jetstream(),
                durable=f"{group}-{subscription.topic}",
                pull_sub=PullSub(batch_size=1, timeout=1.0),
                config=ConsumerConfig(ack_wait=self.redelivery_seconds),
                ack_policy=ack,
            )(stage)
        elif self.kind in {"amqp", "amqps"}:
            from faststream.rabbit import Channel, RabbitQueue

            # aio-pika runs each delivery as its own task: one unacked message per stage
            # keeps a series' batches in order, as the stateful stages need
            self.broker.subscriber(
                RabbitQueue(f"{group}.{topic}", durable=True, routing_key=topic),
                self._exchange(),
                channel=Channel(prefetch_count=1),
                ack_policy=ack,
            )(stage)
        else:
            self.broker.subscriber(
                topic,
                group_id=group,
                auto_offset_reset="earliest",
                ack_policy=AckPolicy.ACK,
                batch=together,
                max_records=most,
            )(fresh)

    async def start(self) -> None:
        await self.broker.start()
        self.started = True

    async def stop(self) -> None:
        self.started = False
        await self.broker.stop()

    async def publish(self, topic: str, message: Message) -> None:
        name = self._topic(topic)
        if self.kind in {"redis", "rediss"}:
            await self.broker.publish(message, stream=name)
        elif self.kind == "nats":
            await self.broker.publish(message, name, stream=self.namespace or JETSTREAM_NAME)
        elif self.kind in {"amqp", "amqps"}:
            await self.broker.publish(
                message, routing_key=name, exchange=self._exchange(), persist=True
            )
        else:
            await self.broker.publish(message, name)

    async def ping(self) -> bool:
        if not self.started:
            return False
        return bool(await self.broker.ping(timeout=1.0))


async def remove_namespace(url: str, namespace: str, groups: Sequence[str]) -> None:
    """Delete the streams, queues and exchange of one namespace on a broker.

    For retiring a deployment that shared a broker (and for tests and benchmarks, which
    run in namespaces of their own). Never call it on a namespace still in use.
    """
    if not namespace:
        raise ValueError("refusing to remove the default namespace")
    scheme = urlsplit(url).scheme
    if scheme in {"redis", "rediss"}:
        from redis.asyncio import Redis

        client = Redis.from_url(url)
        keys = [key async for key in client.scan_iter(f"{namespace}.*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
    elif scheme == "nats":
        import nats

        nats_client = await nats.connect(url)
        with contextlib.suppress(Exception):  # already gone
            await nats_client.jetstream().delete_stream(namespace)
        await nats_client.close()
    elif scheme in {"amqp", "amqps"}:
        import aio_pika

        connection = await aio_pika.connect(url)
        channel = await connection.channel()
        for topic in ALL_TOPICS:
            for group in groups:
                await channel.queue_delete(f"{namespace}-{group}.{namespace}.{topic}")
        await channel.exchange_delete(namespace)
        await connection.close()


def build_transport(
    broker_url: str | None, *, redelivery_seconds: float = 30.0, namespace: str = ""
) -> Transport:
    """In-process without a URL; otherwise the FastStream broker the URL's scheme names."""
    if not broker_url:
        return InProcessTransport()
    return FastStreamTransport(
        broker_url, redelivery_seconds=redelivery_seconds, namespace=namespace
    )
