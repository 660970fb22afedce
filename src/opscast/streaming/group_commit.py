"""Group commit: writes that arrive while one unit of work is being written go together
in the next one.

Under many concurrent ``POST /collect`` requests, each batch in its own transaction
pays a session, a receipt, a lookup of its series and a commit, and the transactions
queue one behind another for the database's single writer anyway. Here the first
request starts a writer; requests that arrive while it writes wait for it, and it then
writes all of them in one unit of work. Nothing waits on a timer: a lone request is
written at once, and the group grows only as fast as requests pile up. Each request
still answers only once its own batch is committed.

If a group fails, each of its writes is tried again on its own, so one bad batch (a
point whose series has another kind, say) fails its own request and no other.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    """Writes items through ``write`` (a blocking call that commits all of a list or
    none of it, returning one result per item), grouped while a write runs.

    A group holds items until their ``size`` reaches ``max_size`` (at least one item),
    so one unit of work stays as short as a large request's own.
    """

    def __init__(
        self,
        write: Callable[[list[Item]], Sequence[Result]],
        *,
        size: Callable[[Item], int] = lambda _item: 1,
        max_size: int = 5000,
    ) -> None:
        self._write = write
        self._size = size
        self._max_size = max_size
        self._waiting: deque[tuple[Item, asyncio.Future[Result]]] = deque()
        self._writer: asyncio.Task[None] | None = None

    async def write(self, item: Item) -> Result:
        """The result of writing ``item``, once it is committed (or its error)."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting())
        # a cancelled request's item is written all the same: the writer owns it now
        return await future

    async def _write_waiting(self) -> None:
        while self._waiting:
            group = self._take()
            if len(group) == 1:
                await self._write_alone(*group[0])
                continue
            try:
                results = await asyncio.to_thread(self._write, [item for item, _ in group])
            except Exception:  # retried one by one below, each answering for itself
                for item, future in group:
                    await self._write_alone(item, future)
                continue
            for (_, future), result in zip(group, results, strict=True):
                if not future.done():
                    future.set_result(result)

    def _take(self) -> list[tuple[Item, asyncio.Future[Result]]]:
        group = [self._waiting.popleft()]
        total = self._size(group[0][0])
        while self._waiting:
            size = self._size(self._waiting[0][0])
            if total + size > self._max_size:
                break
            total += size
            group.append(self._waiting.popleft())
        return group

    async def _write_alone(self, item: Item, future: asyncio.Future[Result]) -> None:
        try:
            (result,) = await asyncio.to_thread(self._write, [item])
        except Exception as exc:  # the request's own error, raised where it awaits
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(result)
