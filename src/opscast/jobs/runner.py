"""The job runner: claims queued jobs from the database and runs them one at a time.

One runner lives in the server process by default; more can run as ``opscast worker``
processes against the same database. Liveness is a heartbeat, not process identity: a
running job whose heartbeat is older than ``stale_after`` was cut off (killed server,
crashed worker) and goes back to the queue until it has used ``max_attempts``. So a
restart never leaves a job "running" forever, and a second worker never steals a job
that is still alive.

Handlers run in the runner's thread. Each writes progress and log lines through the
``JobContext``, which uses short sessions of its own so that progress is visible to
``GET /jobs/{id}`` while the job runs, whatever the handler's own unit of work does.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from opscast.db import Database, utc_now
from opscast.jobs.cron import next_run
from opscast.jobs.repository import JobRepository
from opscast.jobs.retryable import is_retryable
from opscast.jobs.service import submit_job
from opscast.jobs.tables import JobStatus
from opscast.observability import JOB_DURATION, JOBS, get_logger

log = get_logger(__name__)

DEFAULT_STALE_AFTER = timedelta(seconds=60)
# A locked database or a lost connection is retried in place, after 1, 2 and 4 s (times
# ``retry_backoff``), before the job counts as failed.
TRANSIENT_RETRIES = 3


class JobContext:
    """What a handler sees of its job: its parameters, and a way to report progress."""

    def __init__(
        self,
        database: Database,
        *,
        job_id: int,
        kind: str,
        task: str | None,
        params: Mapping[str, Any],
        attempt: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.database = database
        self.job_id = job_id
        self.kind = kind
        self.task = task
        self.params = params
        self.attempt = attempt
        self._clock = clock

    def progress(self, fraction: float, step: str | None = None) -> None:
        """Record how far the job is (0..1) and what it is doing now."""
        bounded = min(1.0, max(0.0, fraction))
        with self.database.session() as session:
            JobRepository(session).touch(self.job_id, self._clock(), progress=bounded, step=step)
        if step:
            self.log(step)

    def log(self, message: str, level: str = "info") -> None:
        with self.database.session() as session:
            JobRepository(session).append_log(self.job_id, level, message, self._clock())
        log.info("job.log", job_id=self.job_id, kind=self.kind, message=message)


Handler = Callable[[JobContext], Mapping[str, Any] | None]


class JobRunner:
    def __init__(
        self,
        database: Database,
        handlers: Mapping[str, Handler],
        *,
        worker: str | None = None,
        poll_seconds: float = 1.0,
        stale_after: timedelta = DEFAULT_STALE_AFTER,
        clock: Callable[[], datetime] = utc_now,
        retry_backoff: float = 1.0,
    ) -> None:
        self.database = database
        self.retry_backoff = retry_backoff
        self.handlers = dict(handlers)
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.poll_seconds = poll_seconds
        self.stale_after = stale_after
        self.clock = clock
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def kinds(self) -> list[str]:
        return sorted(self.handlers)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def recover_interrupted(self) -> list[int]:
        """Requeue (or fail, after the last attempt) running jobs whose heartbeat stopped."""
        now = self.clock()
        cutoff = now - self.stale_after
        recovered = []
        with self.database.session() as session:
            repository = JobRepository(session)
            for job in repository.stale_running(cutoff):
                since = job.heartbeat_at.isoformat() if job.heartbeat_at else "never"
                worker, attempts = job.worker, job.attempts  # read before the UPDATE syncs them
                if attempts >= job.max_attempts:
                    repository.finish(
                        job.id,
                        JobStatus.failed,
                        now,
                        error=f"interrupted on attempt {attempts} of {job.max_attempts}",
                    )
                    repository.append_log(
                        job.id, "error", f"interrupted (last heartbeat {since}); giving up", now
                    )
                    JOBS.labels(kind=job.kind, status=JobStatus.failed.value).inc()
                elif repository.requeue(job.id, cutoff):
                    repository.append_log(
                        job.id,
                        "warning",
                        f"interrupted (last heartbeat {since} on {worker}); "
                        f"retrying, attempt {attempts + 1} of {job.max_attempts}",
                        now,
                    )
                recovered.append(job.id)
        return recovered

    def fire_due_schedules(self) -> list[int]:
        """Queue one job per schedule that is due; a tick missed while down fires once."""
        now = self.clock()
        queued = []
        with self.database.session() as session:
            repository = JobRepository(session)
            for schedule in repository.due_schedules(now):
                if schedule.kind not in self.handlers:
                    continue
                following = next_run(schedule.cron, now)
                if not repository.advance_schedule(schedule.id, schedule.next_run_at, following):
                    continue
                submitted = submit_job(
                    session,
                    kind=schedule.kind,
                    task=schedule.task,
                    params=dict(schedule.params),
                    requested_by=f"schedule:{schedule.name}",
                )
                repository.set_last_job(schedule.id, submitted.job.id)
                queued.append(submitted.job.id)
        return queued

    def run_next(self) -> int | None:
        """Claim the oldest queued job this runner can handle and run it; its id, or None."""
        with self.database.session() as session:
            repository = JobRepository(session)
            job_id = repository.claim_next(self.worker, self.clock())
            if job_id is None:
                return None
            job = repository.get(job_id)
            assert job is not None
            context = JobContext(
                self.database,
                job_id=job.id,
                kind=job.kind,
                task=job.task,
                params=dict(job.params),
                attempt=job.attempts,
                clock=self.clock,
            )
            repository.append_log(
                job.id, "info", f"started on {self.worker}, attempt {job.attempts}", self.clock()
            )
        self._run(context)
        return job_id

    def _run(self, context: JobContext) -> None:
        handler = self.handlers.get(context.kind)
        started = time.perf_counter()
        status, result, error = JobStatus.failed, None, None
        if handler is None:
            error = f"no handler for job kind {context.kind!r}; known: {', '.join(self.kinds)}"
        else:
            for retry in range(TRANSIENT_RETRIES + 1):
                try:
                    with self._heartbeat(context.job_id):
                        result = dict(handler(context) or {})
                    status = JobStatus.succeeded
                except Exception as exc:  # a failing job must not kill the runner
                    if retry < TRANSIENT_RETRIES and is_retryable(exc):
                        delay = self.retry_backoff * 2**retry
                        context.log(
                            f"{type(exc).__name__}: {exc}; a passing fault, "
                            f"trying again in {delay:.1f} s ({retry + 1} of {TRANSIENT_RETRIES})",
                            level="warning",
                        )
                        time.sleep(delay)
                        continue
                    error = f"{type(exc).__name__}: {exc}"
                    context.log(traceback.format_exc(limit=5), level="error")
                break
        elapsed = time.perf_counter() - started
        with self.database.session() as session:
            repository = JobRepository(session)
            now = self.clock()
            repository.finish(context.job_id, status, now, result=result, error=error)
            repository.append_log(
                context.job_id,
                "info" if status is JobStatus.succeeded else "error",
                f"{status.value} in {elapsed:.1f} s" + (f": {error}" if error else ""),
                now,
            )
        JOBS.labels(kind=context.kind, status=status.value).inc()
        JOB_DURATION.labels(kind=context.kind).observe(elapsed)
        log.info("job.finished", job_id=context.job_id, kind=context.kind, status=status.value)

    @contextmanager
    def _heartbeat(self, job_id: int) -> Iterator[None]:
        """Keep the job's heartbeat fresh while a handler computes without reporting."""
        done = threading.Event()
        interval = max(0.05, self.stale_after.total_seconds() / 4)

        def beat() -> None:
            while not done.wait(interval):
                with self.database.session() as session:
                    JobRepository(session).touch(job_id, self.clock())

        thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def run_once(self) -> int | None:
        self.recover_interrupted()
        self.fire_due_schedules()
        return self.run_next()

    def run_until_idle(self) -> list[int]:
        """Run queued jobs until none is left (the CLI's one-shot mode and tests)."""
        ran = []
        while (job_id := self.run_once()) is not None:
            ran.append(job_id)
        return ran

    def wake(self) -> None:
        """Check the queue now instead of at the next poll (after a submit)."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ran = self.run_once()
            except Exception:  # the database may be briefly unreachable; keep polling
                log.exception("job.runner_error")
                ran = None
            if ran is None:
                self._wake.wait(self.poll_seconds)
                self._wake.clear()

    def start(self) -> None:
        if self.alive:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="opscast-jobs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop polling; a job in progress finishes first (or is recovered after a kill)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
