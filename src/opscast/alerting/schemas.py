"""Request and response bodies of the alerting API, and the shape of a rule as data.

A rule is validated by the same model whether it comes from the shipped YAML file or
from ``POST /alerts/rules``, so a rule the API accepts is one the file could hold.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from opscast.schema_types import RequestModel, UtcDateTime

NAME = r"^[a-z0-9][a-z0-9_.\-]{0,99}$"
LABEL = r"^[A-Za-z_][A-Za-z0-9_]{0,49}$"
DURATION = re.compile(r"^(\d+(?:\.\d+)?)(s|m|h|d)$")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_LABELS = 20


class RuleKind(StrEnum):
    anomaly_score = "anomaly_score"
    time_to_failure = "time_to_failure"
    forecast_breach = "forecast_breach"
    drift = "drift"
    model_error = "model_error"
    retrain_failed = "retrain_failed"
    model_promoted = "model_promoted"


class Severity(StrEnum):
    critical = "critical"
    warning = "warning"
    info = "info"


class AlertState(StrEnum):
    pending = "pending"
    firing = "firing"
    resolved = "resolved"


class Verdict(StrEnum):
    confirm = "confirm"
    dismiss = "dismiss"


CHANNEL_NAMES = ("console", "webhook", "slack", "email", "pagerduty", "alertmanager")
Channel = Literal["all", "console", "webhook", "slack", "email", "pagerduty", "alertmanager"]
Op = Literal[">=", "<="]
ALL: tuple[Channel, ...] = ("all",)


LONGEST_SECONDS = 366 * 86400  # a year: longer waits and silences are a mistake, not a plan


def seconds(duration: str | float) -> float:
    """'90s', '10m', '4h', '1d' (or a number of seconds) as seconds, at most a year."""
    if isinstance(duration, int | float):
        value = float(duration)
    else:
        found = DURATION.match(duration.strip())
        if found is None:
            raise ValueError(f"{duration!r} is not a duration; write it like 90s, 10m, 4h or 1d")
        value = float(found.group(1)) * SECONDS[found.group(2)]
    if not 0 <= value <= LONGEST_SECONDS:
        raise ValueError("a duration must be between 0s and 366d")
    return value


Duration = Annotated[str | float, Field(examples=["10m"])]
Labels = Annotated[dict[str, str], Field(default_factory=dict, max_length=MAX_LABELS)]


class SeverityWhen(RequestModel):
    """``severity`` applies when every field of the evidence compares true (an empty
    ``when`` always applies)."""

    model_config = ConfigDict(extra="forbid")

    severity: Severity
    when: dict[str, tuple[Op, float]] = Field(default_factory=dict)


class RuleIn(RequestModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = Field(pattern=NAME, examples=["capacity-exhaustion"])
    kind: RuleKind
    description: str = Field(default="", max_length=2000)
    match: Labels
    labels: Labels
    op: Op = ">="
    threshold: float = Field(allow_inf_nan=False)
    threshold_min: float | None = Field(default=None, allow_inf_nan=False)
    threshold_max: float | None = Field(default=None, allow_inf_nan=False)
    for_: Duration = Field(default="0m", alias="for")
    cooldown: Duration = "1h"
    resolve_after: Duration = "0m"
    severity: list[SeverityWhen] = Field(default_factory=list, max_length=10)
    default_severity: Severity = Severity.warning
    channels: list[Channel] = Field(default_factory=lambda: list(ALL), max_length=10)
    group_by: list[Annotated[str, Field(pattern=LABEL)]] = Field(
        default_factory=list, max_length=10
    )
    action: str = Field(default="", max_length=2000)
    open_ticket: bool = False
    enabled: bool = True

    @field_validator("for_", "cooldown", "resolve_after")
    @classmethod
    def _duration(cls, value: str | float) -> str | float:
        seconds(value)
        return value

    @field_validator("match", "labels")
    @classmethod
    def _label_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not re.match(LABEL, name):
                raise ValueError(f"label name {name!r} must match {LABEL}")
        return value

    @field_validator("threshold_min")
    @classmethod
    def _at_most_threshold(cls, value: float | None, info: ValidationInfo) -> float | None:
        threshold = info.data.get("threshold")
        if value is not None and threshold is not None and value > threshold:
            raise ValueError(f"threshold_min {value} is above threshold {threshold}")
        return value

    @field_validator("threshold_max")
    @classmethod
    def _at_least_threshold(cls, value: float | None, info: ValidationInfo) -> float | None:
        threshold = info.data.get("threshold")
        if value is not None and threshold is not None and value < threshold:
            raise ValueError(f"threshold_max {value} is below threshold {threshold}")
        return value


class RuleOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str
    description: str
    match: dict[str, str]
    labels: dict[str, str]
    op: str
    threshold: float
    threshold_min: float
    threshold_max: float
    for_seconds: float
    cooldown_seconds: float
    resolve_after_seconds: float
    severity: list[dict[str, Any]]
    default_severity: str
    channels: list[str]
    group_by: list[str]
    action: str
    open_ticket: bool
    enabled: bool
    origin: str = Field(
        description=(
            "'file' for a rule as the rules file states it (refreshed from the file at "
            "start), 'api' for one added, edited or tuned by feedback through the API"
        )
    )
    confirmed: int
    dismissed: int
    precision: float | None = Field(
        description="confirmed / (confirmed + dismissed) from engineers' feedback; null before any"
    )


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    channel: str
    event: str
    status: str
    attempts: int
    next_attempt_at: UtcDateTime
    last_error: str | None
    delivered_at: UtcDateTime | None


class AlertOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    fingerprint: str
    rule: str
    state: str
    severity: str
    host: str | None
    labels: dict[str, str]
    summary: str
    action: str
    value: float
    silenced: bool
    started_at: UtcDateTime
    fired_at: UtcDateTime | None
    last_active_at: UtcDateTime
    resolved_at: UtcDateTime | None
    acknowledged_at: UtcDateTime | None
    acknowledged_by: str | None
    ticket_id: int | None
    verdict: str | None
    notifications: int


class AlertDetail(AlertOut):
    details: dict[str, Any]
    group_key: str
    deliveries: list[DeliveryOut]


Who = Annotated[str, Field(min_length=1, max_length=100)]


class AckIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    by: Who | None = None


class ResolveIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    by: Who | None = None
    reason: str = Field(default="", max_length=2000)


class FeedbackIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    verdict: Verdict
    reason: str = Field(default="", max_length=2000, examples=["a planned load test"])


class FeedbackOut(BaseModel):
    id: int
    verdict: str
    reason: str
    alert_id: int | None
    anomaly_id: int | None
    rule: RuleOut | None
    threshold_before: float | None
    threshold_after: float | None


class SilenceIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    matchers: dict[str, str] = Field(
        min_length=1, max_length=MAX_LABELS, examples=[{"host": "db-01"}]
    )
    duration: Duration = Field(examples=["2h"])
    comment: str = Field(default="", max_length=2000)
    created_by: Who | None = None

    @field_validator("duration")
    @classmethod
    def _positive(cls, value: str | float) -> str | float:
        if seconds(value) <= 0:
            raise ValueError("a silence must last longer than 0s")
        return value


class SilenceOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    matchers: dict[str, str]
    starts_at: UtcDateTime
    ends_at: UtcDateTime
    comment: str
    created_by: str | None
