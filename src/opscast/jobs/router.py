"""HTTP skin over jobs: what is queued, running, finished, and the cron schedules."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from opscast.dependencies import JobsDep, SessionDep
from opscast.jobs import service
from opscast.jobs.schemas import (
    SCHEDULE_NAME_PATTERN,
    JobDetailOut,
    JobLogOut,
    JobOut,
    ScheduleIn,
    ScheduleOut,
)
from opscast.jobs.tables import Job, JobStatus
from opscast.value_ranges import SQL_ID_MAX, SQL_INT_MAX

router = APIRouter(prefix="/jobs", tags=["jobs"])


def _job_out(job: Job) -> JobOut:
    out = JobOut.model_validate(job)
    if job.started_at and job.finished_at:
        out.duration_seconds = (job.finished_at - job.started_at).total_seconds()
    return out


@router.get("", response_model=list[JobOut], summary="Jobs, newest first")
def list_jobs(
    session: SessionDep,
    response: Response,
    status: JobStatus | None = None,
    kind: Annotated[str | None, Query(max_length=60)] = None,
    task: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=SQL_INT_MAX)] = 0,
) -> list[JobOut]:
    """The total number of matching jobs is in the ``X-Total-Count`` header."""
    jobs, total = service.list_jobs(
        session,
        status=status.value if status else None,
        kind=kind,
        task=task,
        limit=limit,
        offset=offset,
    )
    response.headers["X-Total-Count"] = str(total)
    return [_job_out(job) for job in jobs]


@router.get("/schedules", response_model=list[ScheduleOut], summary="Cron schedules")
def list_schedules(session: SessionDep) -> list[ScheduleOut]:
    return [ScheduleOut.model_validate(row) for row in service.list_schedules(session)]


@router.put("/schedules/{name}", response_model=ScheduleOut, summary="Create or replace one")
def put_schedule(
    name: Annotated[str, Path(pattern=SCHEDULE_NAME_PATTERN)],
    body: ScheduleIn,
    session: SessionDep,
    jobs: JobsDep,
) -> ScheduleOut:
    """Cron expressions have five fields and are read in UTC; ``enabled: false`` pauses."""
    schedule = service.set_schedule(
        session,
        name=name,
        kind=body.kind,
        cron=body.cron,
        known_kinds=list(jobs.kinds),
        task=body.task,
        params=body.params,
        enabled=body.enabled,
    )
    return ScheduleOut.model_validate(schedule)


@router.get("/{job_id}", response_model=JobDetailOut, summary="One job with its log")
def get_job(job_id: Annotated[int, Path(ge=1, le=SQL_ID_MAX)], session: SessionDep) -> JobDetailOut:
    job, logs = service.get_job(session, job_id)
    return JobDetailOut(
        **_job_out(job).model_dump(),
        logs=[JobLogOut.model_validate(line) for line in logs],
    )
