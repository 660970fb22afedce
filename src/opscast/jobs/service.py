"""Use cases on jobs: submit (idempotently), read, list, and keep cron schedules.

Submitting only writes a queued row; a runner (in the server process or a separate
``opscast worker``) picks it up. That keeps the request fast and makes the queue survive
restarts. Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from opscast.db import utc_now
from opscast.errors import InvalidInputError, NotFoundError
from opscast.jobs.cron import check_cron, next_run
from opscast.jobs.repository import JobRepository
from opscast.jobs.tables import Job, JobLog, JobSchedule

DEFAULT_MAX_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class Submitted:
    job: Job
    created: bool


def submit_job(
    session: Session,
    *,
    kind: str,
    task: str | None = None,
    params: dict[str, Any] | None = None,
    requested_by: str = "api",
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    dedupe: bool = True,
) -> Submitted:
    """Queue a job; with ``dedupe`` an already queued or running twin is returned instead.

    A retrain asked for twice (a double click, a retrying client, two drift checks) is
    one retrain, not two that race each other into the registry.
    """
    repository = JobRepository(session)
    if dedupe:
        existing = repository.active_for(kind, task)
        if existing is not None:
            return Submitted(existing, created=False)
    job = repository.add(
        kind=kind,
        task=task,
        params=params or {},
        requested_by=requested_by,
        max_attempts=max_attempts,
        now=utc_now(),
    )
    repository.append_log(job.id, "info", f"queued by {requested_by}", job.created_at)
    return Submitted(job, created=True)


def get_job(session: Session, job_id: int) -> tuple[Job, Sequence[JobLog]]:
    repository = JobRepository(session)
    job = repository.get(job_id)
    if job is None:
        raise NotFoundError(f"no job {job_id}; GET /jobs lists them", field="job_id")
    return job, repository.logs(job_id)


def list_jobs(
    session: Session,
    *,
    status: str | None = None,
    kind: str | None = None,
    task: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Job], int]:
    return JobRepository(session).page(
        status=status, kind=kind, task=task, limit=limit, offset=offset
    )


def set_schedule(
    session: Session,
    *,
    name: str,
    kind: str,
    cron: str,
    known_kinds: Sequence[str],
    task: str | None = None,
    params: dict[str, Any] | None = None,
    enabled: bool = True,
) -> JobSchedule:
    """Create or replace a schedule; its next run is computed from now."""
    if kind not in known_kinds:
        raise InvalidInputError(
            f"no job kind {kind!r}; known kinds: {', '.join(sorted(known_kinds)) or 'none'}",
            field="kind",
        )
    expression = check_cron(cron)
    repository = JobRepository(session)
    following = next_run(expression, utc_now())
    schedule = repository.schedule(name)
    if schedule is None:
        return repository.add_schedule(
            JobSchedule(
                name=name,
                kind=kind,
                task=task,
                params=params or {},
                cron=expression,
                enabled=enabled,
                next_run_at=following,
            )
        )
    schedule.kind = kind
    schedule.task = task
    schedule.params = params or {}
    schedule.cron = expression
    schedule.enabled = enabled
    schedule.next_run_at = following
    return schedule


def list_schedules(session: Session) -> Sequence[JobSchedule]:
    return JobRepository(session).schedules()
