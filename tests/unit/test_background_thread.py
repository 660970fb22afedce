"""The start-up training threads' shared handling: finish, crash to a one-line error, stop."""

from __future__ import annotations

import threading

from opscast.background_thread import BackgroundThread


class Steps(BackgroundThread):
    """Counts steps until told to stop, or fails at a given step."""

    def __init__(self, steps: int, fail_at: int | None = None) -> None:
        super().__init__()
        self.steps, self.fail_at, self.done = steps, fail_at, 0
        self.started_step = threading.Event()
        self.go_on = threading.Event()

    def work(self) -> None:
        for step in range(self.steps):
            self.checkpoint()
            if step == self.fail_at:
                raise RuntimeError("disk full\nsecond line")
            self.done += 1
            self.started_step.set()
            self.go_on.wait(5)


def test_work_that_ends_is_finished_without_error() -> None:
    thread = Steps(3)
    thread.go_on.set()
    thread.start()
    assert thread.wait(10) is True
    assert (thread.done, thread.error) == (3, None)


def test_a_crash_is_finished_with_its_first_line_as_the_error() -> None:
    thread = Steps(3, fail_at=1)
    thread.go_on.set()
    thread.start()
    assert thread.wait(10) is True
    assert (thread.done, thread.error) == (1, "disk full")


def test_a_stop_leaves_at_the_next_checkpoint_unfinished() -> None:
    thread = Steps(1_000)
    thread.start()
    assert thread.started_step.wait(10)
    thread.stop(timeout=0)  # asked while the work is inside its first step
    thread.go_on.set()
    assert thread.wait(10) is False
    assert (thread.done, thread.error) == (1, None)
