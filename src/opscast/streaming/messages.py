"""The typed message of every topic after ``system_metrics`` (whose message is
``schemas.MetricBatch``): what the stages publish and what their consumers may rely on.

Published as ``model_dump()`` dicts, so the wire format is plain JSON objects with these
fields, in this order; a consumer in another language reads the same keys as before.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ProcessedSeries(BaseModel):
    """One series of a batch with its rolling features, oldest point first."""

    host: str
    metric: str
    labels: dict[str, str] = Field(default_factory=dict)
    ds: list[str]
    y: list[float]
    features: dict[str, list[float]] = Field(default_factory=dict)


class ProcessedMetrics(BaseModel):
    """A ``processed_metrics`` message: the features of one stored batch."""

    batch_id: str | None = None
    sent_at: float | None = None
    series: list[ProcessedSeries]


class Prediction(BaseModel):
    host: str
    metric: str
    timestamp: str
    value: float
    anomaly_score: float
    is_anomaly: bool
    explanation: Any


class AnomalyPredictions(BaseModel):
    """An ``anomaly_predictions`` message: every scored point of a batch and the failures
    forecast for its capacity metrics."""

    batch_id: str | None
    sent_at: float | None
    detector: str
    threshold: float
    predictions: list[Prediction]
    time_to_failure: list[dict[str, Any]]
    # series estimated in this batch with no failure in sight: their warnings clear
    time_to_failure_cleared: list[dict[str, str]] = Field(default_factory=list)
