"""Topic names, the ones the original monitoring platform used, so its consumers keep working."""

from __future__ import annotations

SYSTEM_METRICS = "system_metrics"
PROCESSED_METRICS = "processed_metrics"
ANOMALY_PREDICTIONS = "anomaly_predictions"
ALERTS = "alerts"

ALL_TOPICS = (SYSTEM_METRICS, PROCESSED_METRICS, ANOMALY_PREDICTIONS, ALERTS)
