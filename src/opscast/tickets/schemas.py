"""Request and response bodies of the tickets API (seed-compatible field names)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from opscast.registry.service import GuardedOutcome
from opscast.registry.store import ModelVersion
from opscast.schema_types import RequestModel, UtcDateTime
from opscast.tickets.priority import PriorityLevel
from opscast.tickets.workflow import TicketStatus

# A ticket description is a message from a person or a monitor, not an upload: longer
# text is almost always a pasted log that belongs in an attachment. The limit in force is
# OPSCAST_TICKET_DESCRIPTION_MAX_CHARS (10,000 by default); this is the most it may allow.
MAX_DESCRIPTION_CHARS = 1_000_000
MAX_TITLE_CHARS = 200

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TITLE_CHARS)
]
Description = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_DESCRIPTION_CHARS)
]
Label = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=1, max_length=50, pattern=r"^[a-z0-9_\-]+$"
    ),
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Level = Annotated[int, Field(ge=1, le=3, description="1 high, 2 medium, 3 low (ITIL)")]


class TicketSource(StrEnum):
    user = "user"
    alert = "alert"
    server = "server"


class TicketCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    title: Title = Field(examples=["Server down"])
    description: Description = Field(examples=["All servers unreachable"])
    impact: Level | None = None
    urgency: Level | None = None
    classification: Label | None = Field(
        default=None,
        description="A person's label; skips the classifier and counts as a correction",
    )
    assignee: Name | None = None
    source: TicketSource = TicketSource.user
    alert_id: Name | None = None


class TicketUpdate(RequestModel):
    """Every field optional: only what is sent changes."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Description | None = None
    status: TicketStatus | None = None
    impact: Level | None = None
    urgency: Level | None = None
    classification: Label | None = None
    assignee: Name | None = None
    actor: Name | None = Field(
        default=None, description="Who makes the change, for the audit trail"
    )
    note: Annotated[str, StringConstraints(max_length=2000)] | None = None


class TicketOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str
    priority: PriorityLevel
    classification: str
    classification_confidence: float
    classification_method: str
    classification_corrected: bool
    status: TicketStatus
    itil_priority: int
    impact: int
    urgency: int
    assignee: str | None
    source: TicketSource
    alert_id: str | None
    server_id: int | None
    created_at: UtcDateTime
    updated_at: UtcDateTime
    started_at: UtcDateTime | None
    resolved_at: UtcDateTime | None
    closed_at: UtcDateTime | None


class TicketEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: UtcDateTime
    action: str
    actor: str | None
    changes: dict[str, Any]
    note: str | None


class DeletedOut(BaseModel):
    message: str


class AnalyzeIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    description: Description = Field(examples=["Server outage"])
    title: Title | None = None
    impact: Level | None = None
    urgency: Level | None = None


class AnalyzeOut(BaseModel):
    description: str
    predicted_classification: str
    predicted_priority: PriorityLevel
    confidence: float
    method: Literal["model", "rules"]
    model_classification: str | None
    model_confidence: float | None
    matched_keywords: list[str]
    itil_priority: int
    impact: int
    urgency: int
    estimated: list[str]
    priority_reasons: list[str]


def _classes(version: ModelVersion) -> list[str]:
    return [label for label in version.params.get("classes", "").split(",") if label]


class RetrainOut(BaseModel):
    message: str
    task: str = Field(description="the classifier's task in the model registry")
    version: int = Field(description="the version this training registered")
    promoted: bool = Field(description="whether it serves now (not worse on the same holdout)")
    reason: str = Field(description="why it was promoted or refused")
    trained_on: int = Field(description="tickets fitted on (the holdout is never fitted on)")
    corrections: int
    classes: list[str]
    holdout_accuracy: float
    holdout_macro_f1: float

    @classmethod
    def of(cls, outcome: GuardedOutcome) -> RetrainOut:
        version = outcome.version
        params = version.params
        verdict = "serves now" if outcome.promoted else "was refused and keeps the challenger alias"
        return cls(
            message=(
                f"classifier retrained on {params['trained_on']} tickets "
                f"({params['corrections']} corrections); version {version.version} {verdict}: "
                f"{outcome.decision.reason}"
            ),
            task=version.task,
            version=version.version,
            promoted=outcome.promoted,
            reason=outcome.decision.reason,
            trained_on=int(params["trained_on"]),
            corrections=int(params["corrections"]),
            classes=_classes(version),
            holdout_accuracy=round(version.metrics.get("accuracy") or 0.0, 4),
            holdout_macro_f1=round(version.metrics.get("macro_f1") or 0.0, 4),
        )


class ClassifierOut(BaseModel):
    task: str
    version: int
    trained_at: UtcDateTime
    trained_on: int
    corrections: int
    classes: list[str]
    metrics: dict[str, float | None] = Field(description="accuracy and macro_f1 on the holdout")
    store: str = Field(description="where the model lives: the MLflow model registry")
    confidence_threshold: float

    @classmethod
    def of(cls, version: ModelVersion, threshold: float) -> ClassifierOut:
        return cls(
            task=version.task,
            version=version.version,
            trained_at=version.created_at,
            trained_on=int(version.params.get("trained_on", 0)),
            corrections=int(version.params.get("corrections", 0)),
            classes=_classes(version),
            metrics=version.metrics,
            store="registry",
            confidence_threshold=threshold,
        )


class SummaryOut(BaseModel):
    total: int
    by_classification: dict[str, int]
    by_priority: dict[str, int]
    by_status: dict[str, int]
    by_source: dict[str, int]
    backlog: int
    mean_time_to_resolve_hours: float | None


class DailyCount(BaseModel):
    unique_id: str
    ds: str
    y: int
