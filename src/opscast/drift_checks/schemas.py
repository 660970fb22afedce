"""Request and response bodies of the drift API."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from opscast.schema_types import RequestModel, UtcDateTime
from opscast.series.schemas import UNIQUE_ID_PATTERN
from opscast.value_ranges import Timestamp

DRIFT_MESSAGE = "Data drift detected. Consider retraining models."
NO_DRIFT_MESSAGE = "No significant data drift detected."
CONCEPT_DRIFT_MESSAGE = (
    "Concept drift detected: the model's error rose beyond its tolerance. "
    "Consider retraining models."
)
NO_CONCEPT_DRIFT_MESSAGE = "No significant concept drift detected."


class DriftGranularity(StrEnum):
    """The planning granularities incident categories are forecast at."""

    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"


class DriftMethod(StrEnum):
    """Which result decides ``drift_detected``; all of them are always reported."""

    mean_change = "mean_change"
    statistical = "statistical"
    any = "any"


class NewPoint(RequestModel):
    model_config = ConfigDict(extra="forbid")

    ds: Timestamp = Field(examples=["2024-01-01"], description="A date or a timestamp.")
    y: float = Field(allow_inf_nan=False, examples=[110.0])


class DetectDriftRequest(RequestModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(pattern=UNIQUE_ID_PATTERN, examples=["Hardware"])
    granularity: DriftGranularity = Field(examples=["quarterly"])
    new_data: list[NewPoint] = Field(
        min_length=1, description="at most OPSCAST_MAX_POSTED_POINTS (100,000 by default)"
    )
    threshold_factor: float = Field(
        default=0.1,
        ge=0,
        allow_inf_nan=False,
        description="Relative change of the mean beyond which the series counts as drifted.",
    )
    method: DriftMethod = Field(
        default=DriftMethod.mean_change,
        description="mean_change (the relative-mean rule), statistical (KS under 1,000 "
        "reference periods, normalized Wasserstein above) or any (either one).",
    )


class DetectDriftResponse(BaseModel):
    drift_detected: bool
    message: str
    method: DriftMethod
    category: str
    granularity: DriftGranularity
    reference_periods: int
    new_periods: int
    mean_change: dict[str, Any]
    statistical_test: dict[str, Any]
    report_id: int
    report_url: str
    retrain_job_id: int | None = Field(
        default=None, description="the retrain this drift queued, by the target's policy"
    )
    retrain: str | None = Field(
        default=None, description="what the retraining policy did about this check, and why"
    )


class ConceptDriftRequest(RequestModel):
    """A model's predictions next to the actuals that have arrived since, and its baseline."""

    model_config = ConfigDict(extra="forbid")

    task: str = Field(pattern=UNIQUE_ID_PATTERN, examples=["demand"])
    actual: list[float] = Field(min_length=1, max_length=1_000_000)
    predicted: list[float] = Field(min_length=1, max_length=1_000_000)
    baseline: float | None = Field(
        default=None,
        ge=0,
        allow_inf_nan=False,
        description="The model's error when it was trained, in the metric's units "
        "(percent for mape and smape); by default the backtest error the model registry "
        "stored with the task's serving version.",
    )
    metric: Literal["mae", "rmse", "mape", "smape"] = "mape"
    tolerance: float = Field(
        default=0.2,
        ge=0,
        allow_inf_nan=False,
        description="Relative rise of the error over the baseline that counts as drift.",
    )
    detector: Literal["adwin", "page_hinkley"] = "adwin"


class ConceptDriftResponse(BaseModel):
    concept_drift: bool
    message: str
    task: str
    performance: dict[str, Any]
    detector: str
    change_points: list[int]
    report_id: int
    report_url: str


class DriftReportOut(BaseModel):
    id: int
    created_at: UtcDateTime
    kind: str
    subject: str
    source: str
    drift_detected: bool
    share_drifted: float | None
    html_url: str


class DriftReportDetail(DriftReportOut):
    summary: dict[str, Any]


class DriftReportPage(BaseModel):
    items: list[DriftReportOut]
    total: int
    limit: int
    offset: int
