"""MLflow-backed model registry and the in-memory cache of serving models."""

from opscast.registry.fingerprint import data_fingerprint
from opscast.registry.store import (
    CHAMPION,
    REQUIRED_METRICS,
    Champion,
    ModelStore,
    ModelVersion,
    Task,
)

__all__ = [
    "CHAMPION",
    "REQUIRED_METRICS",
    "Champion",
    "ModelStore",
    "ModelVersion",
    "Task",
    "data_fingerprint",
]
