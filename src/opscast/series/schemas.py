"""Request and response bodies of the stored-series API."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from opscast.schema_types import RequestModel, UtcDateTime
from opscast.value_ranges import Timestamp

UNIQUE_ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,200}$"


class SeriesKind(StrEnum):
    incidents = "incidents"
    traffic = "traffic"
    # 0/1 flags beside a traffic series: <traffic>:is_burst, <traffic>:is_event
    traffic_flags = "traffic_flags"
    demand = "demand"
    server_metrics = "server_metrics"
    custom = "custom"


class PointIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    unique_id: str = Field(pattern=UNIQUE_ID_PATTERN, examples=["Software"])
    ds: Timestamp = Field(examples=["2024-01-01T00:00:00"])
    y: float = Field(allow_inf_nan=False, examples=[42.0])


class PointsUpload(RequestModel):
    model_config = ConfigDict(extra="forbid")

    kind: SeriesKind = SeriesKind.custom
    source: str = Field(default="api", min_length=1, max_length=100)
    freq: str | None = Field(default=None, max_length=20, examples=["D"])
    labels: dict[str, str] = Field(default_factory=dict)
    points: list[PointIn] = Field(min_length=1)


class IngestResult(BaseModel):
    series_created: int
    points_written: int
    unique_ids: list[str]


class SeriesOut(BaseModel):
    unique_id: str
    kind: str
    source: str
    freq: str | None
    labels: dict[str, str]
    points: int
    first_ds: UtcDateTime | None
    last_ds: UtcDateTime | None


class PointOut(BaseModel):
    ds: UtcDateTime
    y: float | None


class SeriesPointsOut(BaseModel):
    unique_id: str
    granularity: str | None
    agg: str | None
    points: list[PointOut]


class DeletedOut(BaseModel):
    message: str
