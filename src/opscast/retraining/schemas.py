"""Request and response bodies of the retraining API (``POST /retrain`` is seed 1's)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from opscast.retraining.service import DEFAULT_COOLDOWN_MINUTES, PolicyMode
from opscast.schema_types import RequestModel, UtcDateTime


class RetrainIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    file_path: str | None = Field(
        default=None,
        max_length=1000,
        description="an incident export inside the data directory to import first",
        examples=["itsm/incident_event_log.csv"],
    )
    target: str = Field(
        default="all", max_length=60, description="what to retrain: a target name or all"
    )


class RetrainOut(BaseModel):
    message: str
    job_id: int
    status: str
    target: str
    already_queued: bool = Field(description="true when an identical retrain was already queued")


class PolicyIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    mode: PolicyMode
    cron: str | None = Field(default=None, max_length=100, examples=["0 3 * * 1"])
    cooldown_minutes: int = Field(default=DEFAULT_COOLDOWN_MINUTES, ge=0, le=60 * 24 * 90)
    tolerance: float = Field(
        default=0.0, ge=0, le=1, description="a challenger may be this much worse and still win"
    )


class PolicyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    target: str
    mode: PolicyMode
    cron: str | None
    cooldown_minutes: int
    tolerance: float
    last_drift_retrain_at: UtcDateTime | None
