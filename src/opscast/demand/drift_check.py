"""Whether the demand model needs retraining: the model's error decides, data drift explains.

Data drift compares the newest ``holdout_days`` of the data with the same calendar
window one year (364 days, whole weeks) earlier, feature by feature with opscast's
drift kernel. The year-earlier window, not the preceding one, because demand is
seasonal: December against the autumn before it "drifts" every year while nothing
is wrong (on the store-item data, 7 of 11 features against the preceding quarter, 2
against the same weeks a year before; ``benchmarks/demand_drift.py``). When the data
holds no earlier year, the preceding window is all there is. Only features computed
from sales are compared (and sales themselves): calendar columns differ between any
two windows by construction.

Concept drift is the seed's rule: the model's MAPE on the newest window against the
MAPE it was registered with, drifting above ``1 + mape_tolerance`` times the baseline.
Only concept drift asks for a retrain. Demand that grows year on year moves every
level feature (lags, rolling means) even against the same season, and a model fed
with those lags still forecasts well; retraining on such moves would retrain every
week for nothing, and a guarded retrain that is not better would be refused anyway.
So the features that moved are reported beside the verdict, as the explanation when
the error has grown, not as a reason of their own.
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
        return self.concept.drifted

    def html(self, plotly_src: str | None = None) -> str:
        """The report page: each compared feature's distributions and the verdict."""
        from opscast.drift.report import column_charts, render_html

        return render_html(
            self.data,
            column_charts(self.reference, self.current, self.data),
            title=f"Demand drift: {self.current_window} against {self.reference_window}",
            notes=[
                ("retrain", "yes" if self.retrain else "no"),
                ("reason", str(self.summary()["reason"])),
            ],
            overall=self.retrain,
            plotly_src=plotly_src,
        )

    def summary(self) -> dict[str, Any]:
        c = self.concept
        if c.drifted:
            reason = (
                f"MAPE {c.current:.2f} is more than {c.tolerance:.0%} above the baseline "
                f"{c.baseline:.2f}"
            )
        else:
            reason = f"no drift: MAPE {c.current:.2f} against the baseline {c.baseline:.2f}"
        moved = self.data.drifted_columns
        if moved:
            reason += f"; features that moved against a year before: {', '.join(moved)}"
        return {
            "retrain": self.retrain,
            "reason": reason,
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
