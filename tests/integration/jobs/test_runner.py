"""The job runner against SQLite and the real PostgreSQL server, with real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pytest

from opscast.db import Database
from opscast.errors import InvalidInputError
from opscast.jobs import service
from opscast.jobs.runner import JobContext, JobRunner
from opscast.jobs.tables import JobStatus


def submit(database: Database, kind: str, task: str | None = None, **params: Any) -> int:
    with database.session() as session:
        return service.submit_job(session, kind=kind, task=task, params=params).job.id


def read(database: Database, job_id: int) -> tuple[Any, list[str]]:
    with database.session() as session:
        job, logs = service.get_job(session, job_id)
        return job, [line.message for line in logs]


def add_numbers(context: JobContext) -> Mapping[str, Any]:
    context.progress(0.5, "adding")
    return {"sum": sum(context.params["numbers"])}


def broken(_context: JobContext) -> None:
    raise RuntimeError("model store unreachable")


def test_a_job_runs_once_and_records_progress_result_and_log(database: Database) -> None:
    job_id = submit(database, "add", numbers=[1, 2, 3])
    runner = JobRunner(database, {"add": add_numbers})
    assert runner.run_next() == job_id
    assert runner.run_next() is None
    job, logs = read(database, job_id)
    assert job.status == JobStatus.succeeded
    assert job.result == {"sum": 6}
    assert job.progress == 1.0
    assert job.attempts == 1
    assert job.started_at <= job.finished_at
    assert logs[0] == "queued by api"
    assert "adding" in logs
    assert logs[-1].startswith("succeeded in")


def test_a_failing_job_is_marked_and_the_runner_goes_on(database: Database) -> None:
    failing = submit(database, "broken")
    unknown = submit(database, "nobody-handles-this")
    fine = submit(database, "add", numbers=[2, 2])
    runner = JobRunner(database, {"add": add_numbers, "broken": broken})
    assert runner.run_until_idle() == [failing, unknown, fine]
    job, logs = read(database, failing)
    assert job.status == JobStatus.failed
    assert job.error == "RuntimeError: model store unreachable"
    assert any("Traceback" in line for line in logs)
    job, _ = read(database, unknown)
    assert job.status == JobStatus.failed
    assert "no handler for job kind 'nobody-handles-this'" in (job.error or "")
    assert read(database, fine)[0].result == {"sum": 4}


def test_submitting_twice_while_active_returns_the_same_job(database: Database) -> None:
    first = submit(database, "retrain", task="incidents")
    assert submit(database, "retrain", task="incidents") == first
    other_task = submit(database, "retrain", task="traffic")
    assert other_task != first
    JobRunner(database, {"retrain": lambda _context: None}).run_until_idle()
    assert submit(database, "retrain", task="incidents") not in {first, other_task}


def test_two_runners_never_run_the_same_job(database: Database) -> None:
    job_ids = [submit(database, "count", task=str(i)) for i in range(12)]
    ran: Counter[int] = Counter()
    lock = threading.Lock()

    def count(context: JobContext) -> None:
        with lock:
            ran[context.job_id] += 1

    runners = [JobRunner(database, {"count": count}, worker=f"w{i}") for i in range(2)]
    threads = [threading.Thread(target=runner.run_until_idle) for runner in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(ran) == job_ids
    assert set(ran.values()) == {1}


WORKER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from opscast.db import Database
    from opscast.jobs.runner import JobRunner

    def slow(context):
        context.progress(0.1, "started the slow part")
        time.sleep(120)

    database = Database(sys.argv[1])
    JobRunner(database, {"slow": slow}, worker="doomed").run_next()
    """
)


def wait_for(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.1)


def test_a_killed_worker_leaves_its_job_to_be_retried(database: Database) -> None:
    """SIGKILL mid-job: no cleanup runs, so only the stale heartbeat can tell."""
    job_id = submit(database, "slow")
    process = subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT, database.url])
    try:
        wait_for(lambda: read(database, job_id)[0].step == "started the slow part")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(30)
    finally:
        if process.poll() is None:
            process.kill()
    assert read(database, job_id)[0].status == JobStatus.running

    survivor = JobRunner(
        database, {"slow": lambda _context: {"done": True}}, stale_after=timedelta(seconds=1)
    )
    assert survivor.recover_interrupted() == []  # the heartbeat is still fresh
    time.sleep(1.2)
    assert survivor.recover_interrupted() == [job_id]
    assert survivor.run_next() == job_id
    job, logs = read(database, job_id)
    assert job.status == JobStatus.succeeded
    assert job.attempts == 2
    assert job.worker == survivor.worker
    assert any(line.startswith("interrupted") and "on doomed" in line for line in logs)


def test_a_job_interrupted_on_its_last_attempt_fails(database: Database) -> None:
    with database.session() as session:
        job_id = service.submit_job(session, kind="slow", max_attempts=1).job.id
    past = datetime(2026, 1, 1, 12, 0)
    JobRunner(database, {}, clock=lambda: past).run_next()  # claims, fails fast: no handler
    with database.session() as session:
        job, _ = service.get_job(session, job_id)
        job.status = JobStatus.running.value  # as if the process died mid-job
        job.finished_at = None
    runner = JobRunner(database, {}, clock=lambda: past + timedelta(minutes=5))
    assert runner.recover_interrupted() == [job_id]
    job, logs = read(database, job_id)
    assert job.status == JobStatus.failed
    assert job.error == "interrupted on attempt 1 of 1"
    assert logs[-1].endswith("giving up")


def test_a_due_schedule_queues_one_job_per_tick(database: Database) -> None:
    with database.session() as session:
        schedule = service.set_schedule(
            session,
            name="weekly",
            kind="add",
            cron="0 3 * * 1",
            known_kinds=["add"],
            params={"numbers": [5]},
        )
        due = schedule.next_run_at
    assert due.weekday() == 0
    assert (due.hour, due.minute) == (3, 0)
    late = due + timedelta(hours=2)
    first = JobRunner(database, {"add": add_numbers}, clock=lambda: late)
    second = JobRunner(database, {"add": add_numbers}, clock=lambda: late)
    queued = first.fire_due_schedules() + second.fire_due_schedules()
    assert len(queued) == 1
    assert first.run_next() == queued[0]
    job, _ = read(database, queued[0])
    assert (job.requested_by, job.result) == ("schedule:weekly", {"sum": 5})
    with database.session() as session:
        (stored,) = service.list_schedules(session)
        assert stored.next_run_at == due + timedelta(days=7)
        assert stored.last_job_id == queued[0]


@pytest.mark.parametrize("cron", ["", "every monday", "* * *", "61 * * * *", "0 3 * * 1 2027"])
def test_bad_cron_is_refused(database: Database, cron: str) -> None:
    with database.session() as session, pytest.raises(InvalidInputError, match="cron"):
        service.set_schedule(session, name="x", kind="add", cron=cron, known_kinds=["add"])
    with database.session() as session:
        assert service.list_schedules(session) == []


def test_the_background_thread_picks_up_work_when_woken(database: Database) -> None:
    runner = JobRunner(database, {"add": add_numbers}, poll_seconds=30)
    runner.start()
    try:
        job_id = submit(database, "add", numbers=[1])
        runner.wake()
        wait_for(lambda: read(database, job_id)[0].status == JobStatus.succeeded, timeout=20)
    finally:
        runner.stop()
    assert not runner.alive
