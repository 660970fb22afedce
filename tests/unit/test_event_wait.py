"""A background loop's wait ends with its stop, however the stop and a wake-up interleave."""

from __future__ import annotations

import asyncio
import time

from opscast.event_wait import wake_or_timeout


async def cancel_as_the_event_is_set() -> asyncio.Task[None]:
    """The interleaving that made ``asyncio.wait_for`` on 3.11 return instead of raising:
    the event is set and the waiting task cancelled before either runs again."""
    event = asyncio.Event()
    waiting = asyncio.create_task(wake_or_timeout(event, 60))
    await asyncio.sleep(0)  # the task is now waiting on the event
    event.set()
    waiting.cancel()
    await asyncio.wait([waiting], timeout=5)
    return waiting


def test_a_cancellation_that_arrives_with_the_wake_up_is_not_lost() -> None:
    waiting = asyncio.run(cancel_as_the_event_is_set())
    assert waiting.done()
    assert waiting.cancelled()


def test_the_wait_ends_on_the_event_or_after_the_timeout() -> None:
    async def woken() -> float:
        event = asyncio.Event()
        asyncio.get_running_loop().call_later(0.05, event.set)
        started = time.monotonic()
        await wake_or_timeout(event, 30)
        return time.monotonic() - started

    async def timed_out() -> float:
        started = time.monotonic()
        await wake_or_timeout(asyncio.Event(), 0.05)
        return time.monotonic() - started

    assert asyncio.run(woken()) < 5
    assert 0.04 <= asyncio.run(timed_out()) < 5
