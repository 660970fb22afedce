"""Bodies of ``POST /collect`` and of the ``system_metrics`` messages it becomes.

Host and metric names exclude ``:`` because a stored series is named ``host:metric``:
the name must split back into the two without guessing.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from opscast.schema_types import RequestModel
from opscast.value_ranges import Timestamp

NAME_PATTERN = r"^[A-Za-z0-9_.\-]{1,99}$"
MAX_LABELS = 20


class LogLevel(StrEnum):
    debug = "debug"
    info = "info"
    warning = "warning"
    error = "error"
    critical = "critical"


class MetricPoint(RequestModel):
    """One observation of a system, application or business metric."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(pattern=NAME_PATTERN, examples=["db-01"])
    metric: str = Field(pattern=NAME_PATTERN, examples=["connections"])
    timestamp: Timestamp = Field(examples=["2026-11-23T08:00:00Z"])
    value: float = Field(allow_inf_nan=False, examples=[182.0])
    labels: dict[str, str] = Field(
        default_factory=dict,
        max_length=MAX_LABELS,
        description="Free labels; `limit` (a number) marks a capacity metric for time to failure.",
        examples=[{"limit": "200", "role": "db"}],
    )


class LogEvent(RequestModel):
    """One log line; only its service, level and minute are kept, as a count."""

    model_config = ConfigDict(extra="forbid")

    service: str = Field(pattern=NAME_PATTERN, examples=["checkout"])
    level: LogLevel = Field(examples=["error"])
    timestamp: Timestamp = Field(examples=["2026-11-23T08:00:12Z"])
    message: str = Field(default="", max_length=10_000)


class CollectIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(default="collect", pattern=NAME_PATTERN)
    points: list[MetricPoint] = Field(default_factory=list)
    logs: list[LogEvent] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> CollectIn:
        if not self.points and not self.logs:
            raise ValueError("send at least one item in 'points' or 'logs'")
        return self


class CollectOut(BaseModel):
    batch_id: str
    points_written: int
    log_events_counted: int
    series_created: int
    published: bool = Field(
        description="False when the points are stored but the broker could not take them."
    )


class StoredBatch(BaseModel):
    """What storing one ``system_metrics`` message did; zero writes for a repeated batch."""

    batch_id: str
    duplicate: bool
    points_written: int
    log_events_counted: int
    series_created: int


class MetricBatch(CollectIn):
    """A ``system_metrics`` message: a collect body with the id that makes redelivery harmless."""

    model_config = ConfigDict(extra="ignore")

    batch_id: str = Field(min_length=1, max_length=64)
    sent_at: float | None = Field(
        default=None, description="Unix time the batch entered opscast (for latency)."
    )
