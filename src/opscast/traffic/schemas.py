"""Request and response bodies of the traffic forecasting API (seed 5's shapes, plus detail)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from opscast.schema_types import RequestModel, UtcDateTime
from opscast.value_ranges import Timestamp

# the most the settings may allow (OPSCAST_MAX_POSTED_POINTS, OPSCAST_FORECAST_MAX_HORIZON);
# the limits in force are the settings', checked by the routes
MAX_POSTED_POINTS = 10_000_000
MAX_HORIZON = 10_000
MAX_STEP = 50
MAX_WINDOWS = 20
# requests in one step; far beyond any real site, low enough that sums stay finite
MAX_REQUESTS = 1e12


class Timeframe(StrEnum):
    one_minute = "1m"
    five_minutes = "5m"
    fifteen_minutes = "15m"


class TrafficPoint(RequestModel):
    model_config = ConfigDict(extra="ignore")

    ds: Timestamp = Field(examples=["1995-08-01 00:00:00"])
    y: float = Field(
        ge=0, le=MAX_REQUESTS, allow_inf_nan=False, examples=[245], description="requests per step"
    )


class ForecastParameters(RequestModel):
    horizon: int = Field(
        ge=1,
        le=MAX_HORIZON,
        examples=[12],
        description="steps to forecast; at most OPSCAST_FORECAST_MAX_HORIZON (100 by default)",
    )
    model_type: str = Field(
        min_length=1,
        max_length=50,
        examples=["xgboost"],
        description="hybrid, xgboost, lightgbm; hybrid_lstm with the neural extra",
    )
    timeframe: Timeframe = Field(examples=["5m"])


class PredictRequest(ForecastParameters):
    data: list[TrafficPoint] = Field(
        min_length=1, description="at most OPSCAST_MAX_POSTED_POINTS (100,000 by default)"
    )
    level: float | None = Field(
        default=None,
        examples=[95],
        description="interval level in percent, between 0 and 100 (exclusive): adds lower "
        "and upper to each prediction; outside that range the answer is 422",
        json_schema_extra={"exclusiveMinimum": 0, "exclusiveMaximum": 100},
    )


class BacktestRequest(PredictRequest):
    step: int = Field(default=1, ge=1, le=MAX_STEP, description="steps between backtest cutoffs")
    windows: int | None = Field(
        default=None,
        ge=1,
        le=MAX_WINDOWS,
        description="backtest cutoffs; by default as many as fit in the posted points",
    )


class Prediction(BaseModel):
    ds: UtcDateTime
    y: float = Field(description="forecast requests in the step starting at ds")
    lower: float | None = Field(default=None, description="interval bound, with level only")
    upper: float | None = Field(default=None, description="interval bound, with level only")


class ContextInfo(BaseModel):
    """Where the values the model forecast from came from."""

    history_source: str = Field(description="nasa-1995 or simulated")
    posted_points: int
    history_points: int = Field(description="points of stored history placed before the data")
    history_shift_weeks: int = Field(description="whole weeks the stored history was moved")
    filled_points: int = Field(description="steps missing from the data, filled seasonally")


class ModelInfo(BaseModel):
    task: str
    version: int


class PredictResponse(BaseModel):
    success: bool = True
    model_type: str
    timeframe: Timeframe
    horizon: int
    predictions: list[Prediction]
    model: ModelInfo
    context: ContextInfo


class BacktestPoint(BaseModel):
    ds: UtcDateTime
    actual: float
    predicted: float
    cutoff: UtcDateTime
    horizon: int


class BacktestResponse(BaseModel):
    success: bool = True
    model_type: str
    timeframe: Timeframe
    horizon: int
    step: int
    windows: int
    metrics: dict[str, float | None] = Field(description="mae, rmse, smape, mape, mase")
    points: list[BacktestPoint]
    model: ModelInfo
    context: ContextInfo


class MetricsResponse(BaseModel):
    success: bool = True
    model_type: str
    timeframe: Timeframe
    model: ModelInfo
    metrics: dict[str, float | None]
    params: dict[str, str]
