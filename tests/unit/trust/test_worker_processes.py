"""Fits run in a worker process, so the server's own GIL stays free for requests."""

from __future__ import annotations

import os

import pytest

from opscast.incidents.training import InsufficientHistoryError
from opscast.worker_processes import ENABLED_VARIABLE, fit_in_worker


def process_id() -> int:
    return os.getpid()


def refuse(message: str) -> None:
    raise InsufficientHistoryError(message)


def test_a_fit_runs_in_another_process() -> None:
    assert fit_in_worker(process_id) != os.getpid()


def test_the_fit_error_reaches_the_caller_with_its_type() -> None:
    with pytest.raises(InsufficientHistoryError, match="3 complete weeks"):
        fit_in_worker(refuse, "3 complete weeks")


def test_switched_off_the_fit_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENABLED_VARIABLE, "false")
    assert fit_in_worker(process_id) == os.getpid()
