"""Request and response bodies of the scaling endpoints (seed 5's comparison, in detail)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from opscast.scaling import PolicyType, PredictiveMode, SelectPolicy
from opscast.schema_types import RequestModel, UtcDateTime
from opscast.value_ranges import Timestamp

MAX_POINTS = 50_000
MAX_REQUESTS = 1e12  # requests in one step; far beyond any real site, small enough to sum


class ScalingTimeframe(StrEnum):
    one_minute = "1m"
    five_minutes = "5m"
    fifteen_minutes = "15m"
    one_hour = "1h"
    one_day = "1d"


STEP_SECONDS = {
    ScalingTimeframe.one_minute: 60,
    ScalingTimeframe.five_minutes: 300,
    ScalingTimeframe.fifteen_minutes: 900,
    ScalingTimeframe.one_hour: 3600,
    ScalingTimeframe.one_day: 86400,
}


class LoadPoint(RequestModel):
    model_config = ConfigDict(extra="ignore")

    ds: Timestamp = Field(examples=["1995-08-01 00:00:00"])
    y: float = Field(ge=0, le=MAX_REQUESTS, allow_inf_nan=False, description="requests in the step")
    is_burst: bool | None = Field(default=None, description="seed 5's flag: a short spike")
    is_event: bool | None = Field(default=None, description="seed 5's flag: a known event")


class RatePolicyModel(RequestModel):
    type: PolicyType
    value: int = Field(ge=1, le=100_000)
    period_seconds: int = Field(ge=1, le=1800)


class ScalingRulesModel(RequestModel):
    """An HPA ``behavior.scaleUp`` or ``behavior.scaleDown`` block."""

    stabilization_window_seconds: int = Field(ge=0, le=3600)
    policies: list[RatePolicyModel] = Field(min_length=1, max_length=10)
    select_policy: SelectPolicy = SelectPolicy.max


class PolicySettings(RequestModel):
    """The autoscaler, the predictive policy and the price; defaults in docs/scaling.md."""

    min_replicas: int = Field(default=1, ge=1, le=10_000)
    max_replicas: int = Field(default=50, ge=1, le=10_000)
    capacity_per_replica: float = Field(
        default=1.0, gt=0, allow_inf_nan=False, description="requests per second one replica serves"
    )
    target_utilization: float = Field(default=0.7, gt=0, le=1, allow_inf_nan=False)
    price_per_replica_hour: float = Field(default=0.10, ge=0, allow_inf_nan=False)
    provisioning_delay: float = Field(
        default=120.0, ge=0, le=3600, description="seconds before a new replica serves"
    )
    forecast_buffer: float = Field(
        default=60.0, ge=0, le=3600, description="lead seconds beyond the provisioning delay"
    )
    forecast_level: float = Field(default=0.9, gt=0, lt=1, description="upper bound's quantile")
    sync_period: float = Field(default=15.0, ge=1, le=300, description="HPA sync, seconds")
    tolerance: float = Field(default=0.1, ge=0, lt=1)
    scale_up: ScalingRulesModel | None = Field(default=None, description="HPA default if absent")
    scale_down: ScalingRulesModel | None = Field(default=None, description="HPA default if absent")


class SimulateRequest(PolicySettings):
    data: list[LoadPoint] = Field(min_length=2, max_length=MAX_POINTS)
    timeframe: ScalingTimeframe = Field(examples=["5m"])
    mode: PredictiveMode = Field(
        default=PredictiveMode.forecast_and_scale,
        description="forecast_only: the predictive policy only recommends; the HPA acts",
    )
    equal_sla: bool = Field(
        default=True, description="also find the reactive cost at the predictive SLA"
    )


class PolicyOutcome(BaseModel):
    replica_hours: float
    cost: float
    requests: float
    served: float
    unserved: float
    unserved_share: float
    sla_violation_minutes: float
    peak_replicas: int


class EqualSLAOutcome(BaseModel):
    target_utilization: float = Field(description="the HPA target that matched the SLA")
    outcome: PolicyOutcome


class Savings(BaseModel):
    cost: float = Field(description="reactive cost minus predictive cost (negative: dearer)")
    percent: float | None
    at_equal_sla: float | None = Field(
        description="the reactive cost at the predictive SLA minus the predictive cost"
    )
    at_equal_sla_percent: float | None


class GapClosed(BaseModel):
    sla: float | None = Field(description="share of reactive's SLA-violation minutes removed")
    cost: float | None = Field(
        description="share of the equal-SLA reactive cost's excess over the oracle removed"
    )


class Timeline(BaseModel):
    ds: list[UtcDateTime]
    load: list[float]
    forecast_upper: list[float] = Field(description="the lead window's upper bound per step")
    recommended: list[int] = Field(description="the predictive proposal per step")
    replicas: dict[str, list[int]]
    capacity: dict[str, list[float]] = Field(description="requests the ready replicas could serve")
    unserved: dict[str, list[float]]


class EpisodeOutcome(BaseModel):
    unserved: float
    sla_violation_minutes: float
    peak_replicas: int


class EpisodeReport(BaseModel):
    kind: str = Field(description="burst or event")
    source: str = Field(description="flagged in the data, or detected")
    start: UtcDateTime
    end: UtcDateTime = Field(description="start of the last step of the episode")
    peak_load: float
    policies: dict[str, EpisodeOutcome]


class SimulateResponse(BaseModel):
    success: bool = True
    timeframe: ScalingTimeframe
    points: int
    filled_points: int = Field(description="missing steps filled by interpolation")
    mode: PredictiveMode
    settings: PolicySettings
    policies: dict[str, PolicyOutcome]
    reactive_at_equal_sla: EqualSLAOutcome | None
    savings: Savings
    gap_closed: GapClosed
    episodes: list[EpisodeReport]
    timeline: Timeline


class ForecastPoint(RequestModel):
    ds: Timestamp
    y: float = Field(ge=0, le=MAX_REQUESTS, allow_inf_nan=False, description="expected requests")
    upper: float | None = Field(
        default=None, ge=0, le=MAX_REQUESTS, allow_inf_nan=False, description="upper bound"
    )


class RecommendRequest(PolicySettings):
    service: str = Field(default="default", min_length=1, max_length=100, pattern=r"^[\w.:-]+$")
    timeframe: ScalingTimeframe = Field(examples=["5m"])
    current_replicas: int = Field(ge=0, le=100_000)
    current_load: float | None = Field(
        default=None,
        ge=0,
        le=MAX_REQUESTS,
        allow_inf_nan=False,
        description="requests in the current step; by default the last posted point",
    )
    data: list[LoadPoint] | None = Field(
        default=None, min_length=1, max_length=MAX_POINTS, description="recent traffic"
    )
    forecast: list[ForecastPoint] | None = Field(
        default=None, min_length=1, max_length=1000, description="a forecast made elsewhere"
    )
    model_type: str = Field(default="xgboost", min_length=1, max_length=50)
    horizon: int = Field(default=12, ge=1, le=100, description="steps of the schedule")


class ScheduleStep(BaseModel):
    ds: UtcDateTime
    expected: float
    upper: float
    replicas: int


class ForecastSource(BaseModel):
    source: str = Field(description="client, or the traffic model that forecast")
    model_type: str | None = None
    version: int | None = None


class RecommendResponse(BaseModel):
    success: bool = True
    service: str
    timeframe: ScalingTimeframe
    current_replicas: int
    replicas: int = Field(description="recommended now: the larger of reactive and predictive")
    reactive_replicas: int = Field(description="the HPA's proposal from the current load")
    predictive_replicas: int = Field(description="for the forecast's lead window")
    decided_by: str = Field(description="reactive, predictive or both")
    lead_steps: int
    schedule: list[ScheduleStep]
    forecast: ForecastSource
    mode: str = "recommend_only"
