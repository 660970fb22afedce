"""The simplest drift rule: has the level of a series moved by more than a set fraction?

This is the rule incident-forecasting users already rely on (``threshold_factor``, default
10%): the mean of the new values against the mean of the reference. It ignores spread and
shape, which is why the series check also runs a two-sample test on the same values.
A reference mean of zero makes a relative change undefined; then any non-zero new mean
counts as a change beyond every factor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from opscast.drift.errors import DriftInputError

DEFAULT_THRESHOLD_FACTOR = 0.1


@dataclass(frozen=True, slots=True)
class MeanChange:
    reference_mean: float
    current_mean: float
    relative_change: float
    threshold_factor: float
    drifted: bool

    def summary(self) -> dict[str, Any]:
        return {
            "test": "mean_change",
            "reference_mean": self.reference_mean,
            "current_mean": self.current_mean,
            # JSON has no infinity: a change from a zero mean is reported as null.
            "relative_change": (
                self.relative_change if math.isfinite(self.relative_change) else None
            ),
            "threshold": self.threshold_factor,
            "drifted": self.drifted,
        }


def mean_change(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    threshold_factor: float = DEFAULT_THRESHOLD_FACTOR,
) -> MeanChange:
    """Drift when |mean(current) - mean(reference)| / |mean(reference)| > threshold_factor."""
    if not math.isfinite(threshold_factor) or threshold_factor < 0:
        raise DriftInputError(
            f"threshold_factor {threshold_factor} must be a non-negative number such as 0.1",
            field="threshold_factor",
        )
    ref = np.asarray(reference, dtype="float64")
    cur = np.asarray(current, dtype="float64")
    if ref.size == 0 or cur.size == 0:
        raise DriftInputError("both samples need at least one value", field="new_data")
    ref_mean, cur_mean = float(ref.mean()), float(cur.mean())
    difference = abs(cur_mean - ref_mean)
    if ref_mean == 0:
        relative = 0.0 if difference == 0 else math.inf
    else:
        relative = difference / abs(ref_mean)
    return MeanChange(
        reference_mean=ref_mean,
        current_mean=cur_mean,
        relative_change=relative,
        threshold_factor=float(threshold_factor),
        drifted=relative > threshold_factor,
    )
