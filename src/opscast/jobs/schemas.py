"""Response and request bodies of the jobs API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from opscast.jobs.tables import JobStatus
from opscast.schema_types import RequestModel, UtcDateTime

SCHEDULE_NAME_PATTERN = r"^[A-Za-z0-9_.:\-]{1,100}$"


class JobLogOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: UtcDateTime
    level: str
    message: str


class JobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    task: str | None
    status: JobStatus
    params: dict[str, Any]
    result: dict[str, Any] | None
    progress: float
    step: str | None
    error: str | None
    attempts: int
    max_attempts: int
    requested_by: str
    worker: str | None
    created_at: UtcDateTime
    started_at: UtcDateTime | None
    finished_at: UtcDateTime | None
    heartbeat_at: UtcDateTime | None
    duration_seconds: float | None = None


class JobDetailOut(JobOut):
    logs: list[JobLogOut]


class ScheduleIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    kind: str = Field(min_length=1, max_length=60, examples=["retrain"])
    cron: str = Field(min_length=1, max_length=100, examples=["0 3 * * 1"])
    task: str | None = Field(default=None, max_length=200)
    params: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True


class ScheduleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    kind: str
    task: str | None
    params: dict[str, Any]
    cron: str
    enabled: bool
    next_run_at: UtcDateTime
    last_job_id: int | None
