"""Waiting in a background loop for a wake-up or a timeout, in a way shutdown can stop.

Not ``asyncio.wait_for``: on Python 3.11 it returns the awaited result when a
cancellation arrives just as the awaited event is set, swallowing the cancellation. A
loop that waits with it then goes on forever, and the server's shutdown, which cancels
the loop and awaits it, waits with it (seen as a test run stuck in a teardown).
``asyncio.timeout`` uses no inner task and passes the cancellation on.
"""

from __future__ import annotations

import asyncio
import contextlib


async def wake_or_timeout(event: asyncio.Event, seconds: float) -> None:
    """Return when ``event`` is set or after ``seconds``, whichever comes first."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
