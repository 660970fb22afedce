"""A job that meets a locked database is tried again; a job with a real error is not."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from opscast.db import Database
from opscast.jobs import service
from opscast.jobs.retryable import is_retryable
from opscast.jobs.runner import JobContext, JobRunner
from opscast.jobs.tables import JobStatus


def test_a_locked_database_is_retried_and_the_job_succeeds(var_dir: Path) -> None:
    path = var_dir / "opscast.db"
    database = Database(f"sqlite:///{path}")
    database.migrate()
    with database.session() as session:
        job_id = service.submit_job(session, kind="write", task=None, params={}).job.id
    impatient = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0.05})
    holder = sqlite3.connect(path, isolation_level=None)
    calls: list[int] = []

    def write(_context: JobContext) -> Mapping[str, Any]:
        calls.append(1)
        if len(calls) == 1:
            holder.execute("BEGIN EXCLUSIVE")  # another writer holds the database
        try:
            with impatient.begin() as connection:
                connection.execute(text("CREATE TABLE IF NOT EXISTS scratch (x INTEGER)"))
        finally:
            if holder.in_transaction:
                holder.execute("ROLLBACK")
        return {"calls": len(calls)}

    runner = JobRunner(database, {"write": write}, retry_backoff=0.01)
    assert runner.run_next() == job_id
    with database.session() as session:
        job, logs = service.get_job(session, job_id)
    assert job.status == JobStatus.succeeded
    assert job.result == {"calls": 2}
    assert any("database is locked" in line.message and "again" in line.message for line in logs)
    holder.close()
    impatient.dispose()
    database.dispose()


def test_only_passing_faults_count_as_retryable() -> None:
    from sqlalchemy.exc import OperationalError

    locked = OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))
    assert is_retryable(locked)
    assert is_retryable(ConnectionResetError("peer reset"))
    assert not is_retryable(ValueError("3 complete weeks of history; weekly needs 8"))
    assert not is_retryable(RuntimeError("model store unreachable"))
