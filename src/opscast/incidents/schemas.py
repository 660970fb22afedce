"""Request and response bodies of incident forecasting (the seed-1 ``POST /forecast`` shape)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from opscast.incidents.service import CategoryForecast
from opscast.incidents.training import PLANS
from opscast.schema_types import RequestModel
from opscast.timeseries import Granularity


class IncidentGranularity(StrEnum):
    daily = "daily"
    weekly = "weekly"
    monthly = "monthly"
    quarterly = "quarterly"


MAX_PERIODS = {
    level.value: PLANS[Granularity(level.value)].max_periods for level in IncidentGranularity
}


class ForecastRequest(RequestModel):
    category: str = Field(min_length=1, max_length=200, examples=["Software"])
    granularity: IncidentGranularity = Field(examples=["quarterly"])
    future_periods: int = Field(
        ge=1,
        examples=[4],
        description="how many periods ahead: at most "
        + ", ".join(f"{count} {name}" for name, count in MAX_PERIODS.items()),
    )
    level: float | None = Field(
        default=None,
        gt=0,
        lt=100,
        examples=[95],
        description="interval level in percent: adds lower and upper to each point",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"category": "Software", "granularity": "quarterly", "future_periods": 4}]
        }
    )

    @field_validator("future_periods")
    @classmethod
    def _within_horizon(cls, value: int, info: ValidationInfo) -> int:
        granularity = info.data.get("granularity")
        if granularity is not None and value > MAX_PERIODS[granularity.value]:
            raise ValueError(
                f"at most {MAX_PERIODS[granularity.value]} {granularity.value} periods can be "
                "forecast"
            )
        return value


class ForecastPoint(BaseModel):
    date: dt.date = Field(description="start of the period (weeks start on Monday)")
    predicted_value: float
    lower: float | None = Field(default=None, description="interval bound, with level only")
    upper: float | None = Field(default=None, description="interval bound, with level only")


class ForecastResponse(BaseModel):
    category: str
    granularity: IncidentGranularity
    forecast: list[ForecastPoint]
    task: str = Field(description="registry task that served the forecast")
    model: str
    version: int
    reconciled: bool = Field(
        default=True, description="the granularities of a category add up to each other"
    )

    @classmethod
    def of(cls, result: CategoryForecast) -> ForecastResponse:
        missing: list[float | None] = [None] * len(result.values)
        return cls(
            category=result.category,
            granularity=IncidentGranularity(result.granularity.value),
            forecast=[
                ForecastPoint(date=day, predicted_value=value, lower=low, upper=high)
                for day, value, low, high in zip(
                    result.dates,
                    result.values,
                    result.lower or missing,
                    result.upper or missing,
                    strict=True,
                )
            ],
            task=result.task,
            model=result.model,
            version=result.version,
        )
