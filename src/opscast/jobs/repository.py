"""Every query on jobs, their logs and schedules.

Claiming a job and firing a schedule are single conditional UPDATEs (``... WHERE status =
'queued'``, ``... WHERE next_run_at = <the value read>``): when several worker processes
poll the same database, exactly one of them wins each job and each cron tick, on SQLite
and PostgreSQL alike, without table locks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from opscast.jobs.tables import Job, JobLog, JobSchedule, JobStatus

ACTIVE = (JobStatus.queued.value, JobStatus.running.value)


class JobRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        kind: str,
        task: str | None,
        params: dict[str, Any],
        requested_by: str,
        max_attempts: int,
        now: datetime,
    ) -> Job:
        job = Job(
            kind=kind,
            task=task,
            status=JobStatus.queued.value,
            params=params,
            progress=0.0,
            attempts=0,
            max_attempts=max_attempts,
            requested_by=requested_by,
            created_at=now,
        )
        self.session.add(job)
        self.session.flush()
        return job

    def get(self, job_id: int) -> Job | None:
        return self.session.get(Job, job_id)

    def active_for(self, kind: str, task: str | None) -> Job | None:
        """The queued or running job of the same kind and task, if any."""
        return self.session.scalar(
            select(Job)
            .where(Job.kind == kind, Job.task.is_(None) if task is None else Job.task == task)
            .where(Job.status.in_(ACTIVE))
            .order_by(Job.id)
            .limit(1)
        )

    def page(
        self,
        *,
        status: str | None,
        kind: str | None,
        task: str | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[Job], int]:
        query = select(Job)
        if status is not None:
            query = query.where(Job.status == status)
        if kind is not None:
            query = query.where(Job.kind == kind)
        if task is not None:
            query = query.where(Job.task == task)
        total = self.session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = self.session.scalars(query.order_by(Job.id.desc()).limit(limit).offset(offset))
        return rows.all(), total

    def count_by_status(self) -> dict[str, int]:
        rows = self.session.execute(select(Job.status, func.count()).group_by(Job.status))
        return {str(status): int(count) for status, count in rows.all()}

    def logs(self, job_id: int) -> Sequence[JobLog]:
        return self.session.scalars(
            select(JobLog).where(JobLog.job_id == job_id).order_by(JobLog.id)
        ).all()

    def append_log(self, job_id: int, level: str, message: str, now: datetime) -> None:
        self.session.add(JobLog(job_id=job_id, at=now, level=level, message=message))

    def claim_next(self, worker: str, now: datetime) -> int | None:
        """Move the oldest queued job to running for ``worker``; None when none is left."""
        while True:
            candidate = self.session.scalar(
                select(Job.id).where(Job.status == JobStatus.queued.value).order_by(Job.id).limit(1)
            )
            if candidate is None:
                return None
            claimed: CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
                update(Job)
                .where(Job.id == candidate, Job.status == JobStatus.queued.value)
                .values(
                    status=JobStatus.running.value,
                    worker=worker,
                    attempts=Job.attempts + 1,
                    started_at=now,
                    heartbeat_at=now,
                    finished_at=None,
                    error=None,
                    progress=0.0,
                )
            )
            if claimed.rowcount == 1:
                return candidate

    def touch(
        self,
        job_id: int,
        now: datetime,
        *,
        progress: float | None = None,
        step: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"heartbeat_at": now}
        if progress is not None:
            values["progress"] = progress
        if step is not None:
            values["step"] = step
        self.session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.running.value)
            .values(**values)
        )

    def finish(
        self,
        job_id: int,
        status: JobStatus,
        now: datetime,
        *,
        result: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        values: dict[str, Any] = {"status": status.value, "finished_at": now, "error": error}
        if status is JobStatus.succeeded:
            values.update(progress=1.0, result=result)
        self.session.execute(update(Job).where(Job.id == job_id).values(**values))

    def stale_running(self, heartbeat_before: datetime) -> Sequence[Job]:
        return self.session.scalars(
            select(Job)
            .where(Job.status == JobStatus.running.value)
            .where(Job.heartbeat_at < heartbeat_before)
            .order_by(Job.id)
        ).all()

    def requeue(self, job_id: int, heartbeat_before: datetime) -> bool:
        """Put an interrupted job back in the queue, unless someone else already did."""
        changed: CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.running.value)
            .where(Job.heartbeat_at < heartbeat_before)
            .values(status=JobStatus.queued.value, worker=None, step="interrupted; queued again")
        )
        return changed.rowcount == 1

    def schedule(self, name: str) -> JobSchedule | None:
        return self.session.scalar(select(JobSchedule).where(JobSchedule.name == name))

    def schedules(self) -> Sequence[JobSchedule]:
        return self.session.scalars(select(JobSchedule).order_by(JobSchedule.name)).all()

    def add_schedule(self, schedule: JobSchedule) -> JobSchedule:
        self.session.add(schedule)
        self.session.flush()
        return schedule

    def due_schedules(self, now: datetime) -> Sequence[JobSchedule]:
        return self.session.scalars(
            select(JobSchedule)
            .where(JobSchedule.enabled.is_(True), JobSchedule.next_run_at <= now)
            .order_by(JobSchedule.next_run_at)
        ).all()

    def advance_schedule(self, schedule_id: int, seen: datetime, following: datetime) -> bool:
        """Move a schedule to its next run; False when another worker fired this tick first."""
        changed: CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            update(JobSchedule)
            .where(JobSchedule.id == schedule_id, JobSchedule.next_run_at == seen)
            .values(next_run_at=following)
        )
        return changed.rowcount == 1

    def set_last_job(self, schedule_id: int, job_id: int) -> None:
        self.session.execute(
            update(JobSchedule).where(JobSchedule.id == schedule_id).values(last_job_id=job_id)
        )
