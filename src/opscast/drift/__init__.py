"""Drift kernel: data drift per column, the series mean-change rule, concept drift, reports.

Pure numpy/scipy (river for streaming detectors, imported on first use); see
``two_sample`` for why this is not built on Evidently or NannyML.
"""

from opscast.drift.concept_drift import (
    DETECTORS,
    ERROR_METRICS,
    ConceptDriftResult,
    Detector,
    ErrorMetric,
    PerformanceDrift,
    change_points,
    detect_concept_drift,
    model_error,
    performance_drift,
)
from opscast.drift.data_drift import (
    DEFAULT_DRIFT_SHARE,
    ColumnDrift,
    ColumnOverride,
    DataDriftResult,
    compare_column,
    default_test,
    detect_data_drift,
)
from opscast.drift.errors import DriftInputError
from opscast.drift.mean_change import DEFAULT_THRESHOLD_FACTOR, MeanChange, mean_change
from opscast.drift.two_sample import DEFAULT_THRESHOLDS, TEST_NAMES, TestName

__all__ = [
    "DEFAULT_DRIFT_SHARE",
    "DEFAULT_THRESHOLDS",
    "DEFAULT_THRESHOLD_FACTOR",
    "DETECTORS",
    "ERROR_METRICS",
    "TEST_NAMES",
    "ColumnDrift",
    "ColumnOverride",
    "ConceptDriftResult",
    "DataDriftResult",
    "Detector",
    "DriftInputError",
    "ErrorMetric",
    "MeanChange",
    "PerformanceDrift",
    "TestName",
    "change_points",
    "compare_column",
    "default_test",
    "detect_concept_drift",
    "detect_data_drift",
    "mean_change",
    "model_error",
    "performance_drift",
]
