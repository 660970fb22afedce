"""Concept drift: the serving model getting worse on the actuals that have arrived since.

Two complementary signals. ``performance_drift`` compares the model's error on new actuals
with the error it had when it was trained (its stored baseline) and flags a relative rise
beyond a tolerance (20% by default, the store-demand pipeline's rule). ``change_points``
runs a streaming change detector over the sequence of errors, so a degradation is dated
rather than only noticed: river's ADWIN (adaptive windows; no parameter to tune beyond the
confidence ``delta``) or Page-Hinkley (cumulative deviation from the running mean; reacts
faster to a step, needs a ``threshold`` in error units). river is imported on first use so
the rest of opscast starts without it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from opscast.drift.errors import DriftInputError
from opscast.timeseries.metrics import mae, mape, rmse, smape

ErrorMetric = Literal["mae", "rmse", "mape", "smape"]
Detector = Literal["adwin", "page_hinkley"]
ERROR_METRICS: tuple[ErrorMetric, ...] = ("mae", "rmse", "mape", "smape")
DETECTORS: tuple[Detector, ...] = ("adwin", "page_hinkley")
DEFAULT_TOLERANCE = 0.2


@dataclass(frozen=True, slots=True)
class PerformanceDrift:
    metric: ErrorMetric
    baseline: float
    current: float
    tolerance: float
    drifted: bool

    @property
    def relative_change(self) -> float:
        if self.baseline == 0:
            return 0.0 if self.current == 0 else math.inf
        return (self.current - self.baseline) / self.baseline

    def summary(self) -> dict[str, Any]:
        change = self.relative_change
        return {
            "metric": self.metric,
            "baseline": self.baseline,
            "current": self.current if math.isfinite(self.current) else None,
            "relative_change": change if math.isfinite(change) else None,
            "tolerance": self.tolerance,
            "drifted": self.drifted,
        }


@dataclass(frozen=True, slots=True)
class ConceptDriftResult:
    performance: PerformanceDrift
    detector: Detector
    change_points: list[int]

    @property
    def drifted(self) -> bool:
        return self.performance.drifted

    def summary(self) -> dict[str, Any]:
        return {
            "concept_drift": self.drifted,
            "performance": self.performance.summary(),
            "detector": self.detector,
            "change_points": self.change_points,
        }


def _aligned(actual: npt.ArrayLike, predicted: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(actual, dtype="float64")
    y_hat = np.asarray(predicted, dtype="float64")
    if y.ndim != 1 or y.shape != y_hat.shape:
        raise DriftInputError(
            f"actual ({y.size} values) and predicted ({y_hat.size} values) must be "
            "one-dimensional and of the same length",
            field="predicted",
        )
    if y.size == 0:
        raise DriftInputError("no actuals to score the model on", field="actual")
    if not (np.isfinite(y).all() and np.isfinite(y_hat).all()):
        raise DriftInputError("actuals and predictions must be finite numbers", field="actual")
    return y, y_hat


def model_error(actual: npt.ArrayLike, predicted: npt.ArrayLike, metric: ErrorMetric) -> float:
    y, y_hat = _aligned(actual, predicted)
    scorers = {"mae": mae, "rmse": rmse, "mape": mape, "smape": smape}
    if metric not in scorers:
        raise DriftInputError(
            f"unknown metric {metric!r}; use one of {', '.join(ERROR_METRICS)}", field="metric"
        )
    return float(scorers[metric](y, y_hat))


def performance_drift(
    actual: npt.ArrayLike,
    predicted: npt.ArrayLike,
    *,
    baseline: float,
    metric: ErrorMetric = "mape",
    tolerance: float = DEFAULT_TOLERANCE,
) -> PerformanceDrift:
    """Drift when the current error exceeds ``baseline * (1 + tolerance)``.

    The baseline is in the metric's own units: percent for MAPE and sMAPE, as the
    forecasting backtests store them.
    """
    if not math.isfinite(baseline) or baseline < 0:
        raise DriftInputError(
            f"baseline {metric} {baseline} must be a non-negative number", field="baseline"
        )
    if not math.isfinite(tolerance) or tolerance < 0:
        raise DriftInputError(
            f"tolerance {tolerance} must be a non-negative fraction such as 0.2",
            field="tolerance",
        )
    current = model_error(actual, predicted, metric)
    if math.isnan(current):
        raise DriftInputError(
            f"{metric} is undefined on these actuals (all zero); use mae or rmse", field="metric"
        )
    return PerformanceDrift(
        metric=metric,
        baseline=float(baseline),
        current=current,
        tolerance=float(tolerance),
        drifted=bool(current > baseline * (1 + tolerance)),
    )


def change_points(errors: npt.ArrayLike, detector: Detector = "adwin", **params: Any) -> list[int]:
    """Positions in ``errors`` at which the detector signalled a change (river's defaults)."""
    from river import drift

    model: Any
    if detector == "adwin":
        model = drift.ADWIN(**params)  # type: ignore[no-untyped-call]
    elif detector == "page_hinkley":
        model = drift.PageHinkley(**params)
    else:
        raise DriftInputError(
            f"unknown detector {detector!r}; use one of {', '.join(DETECTORS)}", field="detector"
        )
    found = []
    for position, value in enumerate(np.asarray(errors, dtype="float64").tolist()):
        model.update(value)
        if model.drift_detected:
            found.append(position)
    return found


def detect_concept_drift(
    actual: npt.ArrayLike,
    predicted: npt.ArrayLike,
    *,
    baseline: float,
    metric: ErrorMetric = "mape",
    tolerance: float = DEFAULT_TOLERANCE,
    detector: Detector = "adwin",
) -> ConceptDriftResult:
    """Error against the baseline, plus where the absolute error stream changed."""
    performance = performance_drift(
        actual, predicted, baseline=baseline, metric=metric, tolerance=tolerance
    )
    y, y_hat = _aligned(actual, predicted)
    return ConceptDriftResult(
        performance=performance,
        detector=detector,
        change_points=change_points(np.abs(y - y_hat), detector),
    )
