"""Response bodies of the stored stream predictions."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from opscast.schema_types import UtcDateTime


class AnomalyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int = Field(description="For POST /anomalies/{id}/feedback.")
    host: str
    metric: str
    ds: UtcDateTime = Field(description="Time of the flagged point (UTC).")
    value: float
    score: float = Field(ge=0, le=1)
    detector: str
    explanation: dict[str, float] = Field(
        description=(
            "Share of each rolling feature in the deviation, largest first; "
            '{"missed_daily_cycle": 1.0} when a daily rhythm broke.'
        )
    )
    detected_at: UtcDateTime


class TimeToFailureOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    host: str
    metric: str
    as_of: UtcDateTime = Field(description="Time of the newest point the estimate used.")
    level: float
    limit: float
    rate_per_hour: float
    failure_at: UtcDateTime
    eta_hours: float
    earliest_hours: float
    latest_hours: float | None = Field(description="None when a flat trend is still plausible.")
    sentence: str = Field(examples=["db-01 connection pool likely exhausted in about 3 h"])
    recommended_action: str = Field(validation_alias="action")
