"""Whether the demand model needs retraining: data drift per feature and concept drift.

Data drift compares the newest ``holdout_days`` of the data with the same calendar
window one year (364 days, whole weeks) earlier, feature by feature with opscast's
drift kernel. The year-earlier window, not the preceding one, because demand is
seasonal: December against the autumn before it "drifts" every year while nothing
is wrong; when the data holds no earlier year, the preceding window is all there is.
Only features computed from sales are compared (and sales themselves): calendar
columns differ between any two windows by construction.

Concept drift is the seed's rule: the model's MAPE on the newest window against the
MAPE it was registered with, drifting above ``1 + mape_tolerance`` times the baseline.
Retraining is recommended when either drifts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from opscast.demand.config import DemandConfig
from opscast.demand.training import TrainedDemand
from opscast.drift import DataDriftResult, PerformanceDrift, detect_data_drift, performance_drift

SEASON_DAYS = 364


@dataclass(frozen=True, slots=True)
class DemandDrift:
    data: DataDriftResult
    concept: PerformanceDrift
    reference_window: str
    current_window: str
    reference: pd.DataFrame
    current: pd.DataFrame

    @property
    def retrain(self) -> bool:
        return self.data.dataset_drift or self.concept.drifted

    def summary(self) -> dict[str, Any]:
        reasons = []
        if self.data.dataset_drift:
            reasons.append(f"data drift in {', '.join(self.data.drifted_columns)}")
        if self.concept.drifted:
            reasons.append(
                f"MAPE {self.concept.current:.2f} is more than {self.concept.tolerance:.0%} "
                f"above the baseline {self.concept.baseline:.2f}"
            )
        return {
            "retrain": self.retrain,
            "reason": "; ".join(reasons) or "no drift",
            "reference_window": self.reference_window,
            "current_window": self.current_window,
            "data_drift": self.data.summary(),
            "concept_drift": self.concept.summary(),
        }


def drift_columns(config: DemandConfig) -> list[str]:
    spec = config.features.spec()
    calendar = set(spec.calendar) | set(spec.statics)
    return ["y", *[column for column in spec.columns if column not in calendar]]


def _window(features: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    return features.loc[(features["ds"] >= start) & (features["ds"] <= end)].dropna(subset=["y"])


def check_drift(
    trained: TrainedDemand, features: pd.DataFrame, baseline_mape: float, config: DemandConfig
) -> DemandDrift:
    """Drift of ``features`` (newest window last) for the model ``trained``."""
    known = features.dropna(subset=["y"])
    end = pd.Timestamp(known["ds"].max())
    days = config.split.holdout_days
    start = end - pd.Timedelta(days=days - 1)
    back = SEASON_DAYS if start - pd.Timedelta(days=SEASON_DAYS) >= known["ds"].min() else days
    reference_start, reference_end = (
        start - pd.Timedelta(days=back),
        end - pd.Timedelta(days=back),
    )
    current = _window(known, start, end)
    reference = _window(known, reference_start, reference_end)
    columns = drift_columns(config)
    data = detect_data_drift(reference[columns], current[columns], columns=columns)
    concept = performance_drift(
        current["y"].to_numpy(),
        trained.booster.predict(current),
        baseline=baseline_mape,
        metric="mape",
        tolerance=config.drift.mape_tolerance,
    )
    return DemandDrift(
        data=data,
        concept=concept,
        reference_window=f"{reference_start:%Y-%m-%d}..{reference_end:%Y-%m-%d}",
        current_window=f"{start:%Y-%m-%d}..{end:%Y-%m-%d}",
        reference=reference[columns],
        current=current[columns],
    )
