"""Topic names, the ones the original monitoring platform used, so its consumers keep working."""

from __future__ import annotations

SYSTEM_METRICS = "system_metrics"
PROCESSED_METRICS = "processed_metrics"
ANOMALY_PREDICTIONS = "anomaly_predictions"

# The original platform's ``alerts`` topic is gone: alerting judges ``anomaly_predictions``
# against its rules (``alerting/``) and reaches people through its channels.
ALL_TOPICS = (SYSTEM_METRICS, PROCESSED_METRICS, ANOMALY_PREDICTIONS)
