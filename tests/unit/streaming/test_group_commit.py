"""Group commit: what arrives during a write goes in the next one, each answer its own."""

from __future__ import annotations

import asyncio
import threading

import pytest

from opscast.streaming.group_commit import GroupCommit


class Ledger:
    """A blocking write that commits all of a list or none: it refuses negative items.

    ``hold`` keeps the first write running until released, so others queue behind it.
    """

    def __init__(self, hold: bool = False) -> None:
        self.groups: list[list[int]] = []
        self.committed: list[int] = []
        self.started = threading.Event()
        self.release = threading.Event()
        if not hold:
            self.release.set()

    def write(self, items: list[int]) -> list[int]:
        self.groups.append(list(items))
        self.started.set()
        self.release.wait(5)
        if any(item < 0 for item in items):
            raise ValueError(f"negative item among {items}")
        self.committed.extend(items)
        return [item * 10 for item in items]


async def started(ledger: Ledger) -> None:
    await asyncio.to_thread(ledger.started.wait, 5)


def test_a_lone_write_goes_at_once_and_answers_for_itself() -> None:
    ledger = Ledger()

    async def scenario() -> int:
        return await GroupCommit(ledger.write).write(4)

    assert asyncio.run(scenario()) == 40
    assert ledger.groups == [[4]]


def test_writes_arriving_during_a_write_go_together_in_order() -> None:
    ledger = Ledger(hold=True)

    async def scenario() -> list[int]:
        commit: GroupCommit[int, int] = GroupCommit(ledger.write)
        first = asyncio.create_task(commit.write(0))
        await started(ledger)
        rest = [asyncio.create_task(commit.write(item)) for item in range(1, 9)]
        await asyncio.sleep(0.01)
        ledger.release.set()
        return await asyncio.gather(first, *rest)

    assert asyncio.run(scenario()) == [item * 10 for item in range(9)]
    assert ledger.groups == [[0], list(range(1, 9))]


def test_a_group_is_cut_at_its_size_limit() -> None:
    ledger = Ledger(hold=True)

    async def scenario() -> None:
        commit: GroupCommit[int, int] = GroupCommit(ledger.write, size=lambda _: 2, max_size=6)
        first = asyncio.create_task(commit.write(0))
        await started(ledger)
        rest = [asyncio.create_task(commit.write(item)) for item in range(1, 8)]
        await asyncio.sleep(0.01)
        ledger.release.set()
        await asyncio.gather(first, *rest)

    asyncio.run(scenario())
    assert ledger.groups == [[0], [1, 2, 3], [4, 5, 6], [7]]


def test_a_failing_group_is_written_again_one_by_one_and_fails_only_its_bad_item() -> None:
    ledger = Ledger(hold=True)

    async def scenario() -> tuple[list[int], BaseException | int]:
        commit: GroupCommit[int, int] = GroupCommit(ledger.write)
        first = asyncio.create_task(commit.write(0))
        await started(ledger)
        good = [asyncio.create_task(commit.write(item)) for item in (1, 2)]
        bad = asyncio.create_task(commit.write(-3))
        late = asyncio.create_task(commit.write(4))
        await asyncio.sleep(0.01)
        ledger.release.set()
        answers = await asyncio.gather(first, *good, late)
        failed = (await asyncio.gather(bad, return_exceptions=True))[0]
        return answers, failed

    answers, failed = asyncio.run(scenario())
    assert answers == [0, 10, 20, 40]
    assert isinstance(failed, ValueError)
    assert ledger.groups == [[0], [1, 2, -3, 4], [1], [2], [-3], [4]]
    assert sorted(ledger.committed) == [0, 1, 2, 4]


def test_a_lone_failing_write_is_not_tried_twice() -> None:
    ledger = Ledger()

    async def scenario() -> None:
        await GroupCommit(ledger.write).write(-1)

    with pytest.raises(ValueError, match="negative"):
        asyncio.run(scenario())
    assert ledger.groups == [[-1]]


def test_a_cancelled_caller_still_has_its_item_written() -> None:
    ledger = Ledger(hold=True)

    async def scenario() -> None:
        commit: GroupCommit[int, int] = GroupCommit(ledger.write)
        first = asyncio.create_task(commit.write(0))
        await started(ledger)
        impatient = asyncio.create_task(commit.write(7))
        await asyncio.sleep(0.01)
        impatient.cancel()
        ledger.release.set()
        await first
        while len(ledger.groups) < 2:
            await asyncio.sleep(0.01)

    asyncio.run(scenario())
    assert ledger.committed == [0, 7]
