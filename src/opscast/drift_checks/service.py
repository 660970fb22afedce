"""Drift use cases: check a stored incident series against new values, score a model's
concept drift, store and list reports.

Kernels do the statistics; this module fetches the reference from storage, renders the
report and stores it in the caller's unit of work (nothing here commits), so a check that
fails on bad input leaves no report behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from opscast.drift.check import DataDriftCheck
from opscast.drift.concept_drift import (
    DEFAULT_TOLERANCE,
    ConceptDriftResult,
    Detector,
    ErrorMetric,
    detect_concept_drift,
)
from opscast.drift.data_drift import (
    DEFAULT_DRIFT_SHARE,
    DataDriftResult,
    compare_column,
)
from opscast.drift.mean_change import MeanChange, mean_change
from opscast.drift.report import column_charts, render_concept_html, render_html
from opscast.drift_checks.record import record_check
from opscast.drift_checks.repository import DriftReportRepository
from opscast.drift_checks.schemas import DriftMethod
from opscast.drift_checks.tables import DriftReport
from opscast.errors import InvalidInputError, NotFoundError
from opscast.observability import get_logger
from opscast.series.repository import SeriesRepository
from opscast.series.schemas import SeriesKind
from opscast.timeseries import period_start, resample

log = get_logger(__name__)

# Stored reports load plotly.js from the service (one copy) instead of inlining 4.8 MB each.
PLOTLY_URL = "/drift/assets/plotly.min.js"
INCIDENTS_KIND = SeriesKind.incidents
MIN_REFERENCE_PERIODS = 2


@dataclass(frozen=True, slots=True)
class SeriesDriftOutcome:
    drift_detected: bool
    mean_change: MeanChange
    statistical: DataDriftResult
    reference_periods: int
    new_periods: int
    report: DriftReport


def _aggregate_new_points(new_points: pd.DataFrame, granularity: str) -> pd.DataFrame:
    """The new values per period; periods the client did not send stay absent, not zero."""
    duplicated = new_points["ds"].duplicated()
    if duplicated.any():
        row = int(duplicated.to_numpy().argmax())
        raise InvalidInputError(
            f"new_data has two points at {new_points['ds'].iloc[row]}; send one value per period",
            field=f"new_data.{row}.ds",
        )
    frame = new_points.assign(unique_id="new")
    return resample(frame, granularity, agg="sum", fill="drop")


def _whole_periods(stored: pd.DataFrame, granularity: str) -> pd.DataFrame:
    """Stored points summed per period, without a first or last period the data only partly
    covers: a quarter holding two weeks of counts would read as a collapse in incidents.

    The data's own step (the median gap between points) says whether the point after the
    last one would still fall in the last period, i.e. whether that period is unfinished.
    """
    if stored.empty:
        return stored
    history = resample(stored, granularity, agg="sum", fill="zero")
    ds = stored["ds"]
    step = ds.diff().median() if len(ds) > 1 else pd.Timedelta(0)
    edges = pd.Series([ds.iloc[0], ds.iloc[-1], ds.iloc[-1] + step])
    first_start, last_start, after_last = period_start(edges, granularity)
    keep = pd.Series(True, index=history.index)
    if ds.iloc[0] > first_start:
        keep &= history["ds"] != first_start
    if after_last == last_start:
        keep &= history["ds"] != last_start
    return history[keep]


def detect_series_drift(
    session: Session,
    *,
    category: str,
    granularity: str,
    new_points: pd.DataFrame,
    threshold_factor: float,
    method: DriftMethod,
    source: str = "api",
) -> SeriesDriftOutcome:
    """Compare new values of an incident category with its stored history at a granularity.

    The reference is every stored period before the first new one, so re-sending values
    that are already stored never compares a period with itself.
    """
    series = SeriesRepository(session).get(category)
    if series is None or series.kind != INCIDENTS_KIND:
        raise NotFoundError(
            f"no incident category named {category!r}; GET /series?kind=incidents lists them"
        )
    new = _aggregate_new_points(new_points, granularity)
    first_new = new["ds"].min()
    stored = SeriesRepository(session).points_frame(series)
    reference = _whole_periods(stored, granularity)
    reference = reference[reference["ds"] < first_new]
    if len(reference) < MIN_REFERENCE_PERIODS:
        start = period_start(pd.Series([first_new]), granularity).iloc[0]
        raise InvalidInputError(
            f"category {category!r} has {len(reference)} stored {granularity} period(s) before "
            f"{start:%Y-%m-%d}, the first period of new_data; at least "
            f"{MIN_REFERENCE_PERIODS} are needed to compare against",
            field="new_data",
        )
    change = mean_change(reference["y"], new["y"], threshold_factor)
    column = compare_column(reference["y"], new["y"], column="y")
    statistical = DataDriftResult(columns=[column], drift_share=DEFAULT_DRIFT_SHARE)
    drifted = {
        DriftMethod.mean_change: change.drifted,
        DriftMethod.statistical: column.drifted,
        DriftMethod.any: change.drifted or column.drifted,
    }[method]
    summary = {
        "drift_detected": drifted,
        "method": method.value,
        "category": category,
        "granularity": granularity,
        "reference_periods": len(reference),
        "new_periods": len(new),
        "mean_change": change.summary(),
        **statistical.summary(),
    }
    relative = change.summary()["relative_change"]
    notes = [
        ("verdict", "drift" if drifted else "no drift"),
        ("decided by", method.value),
        (
            "mean change",
            f"{change.reference_mean:.4g} -> {change.current_mean:.4g} "
            f"({'undefined' if relative is None else f'{relative:.1%}'}; "
            f"drift beyond {change.threshold_factor:.1%})",
        ),
        ("periods", f"{len(reference)} stored {granularity} periods vs {len(new)} new"),
    ]
    frame_reference, frame_new = reference[["y"]], new[["y"]]
    report = store_report(
        session,
        kind="series",
        subject=f"{category} ({granularity})",
        source=source,
        drift_detected=drifted,
        result=statistical,
        summary=summary,
        html=render_html(
            statistical,
            column_charts(frame_reference, frame_new, statistical),
            title=f"Drift of {category} incidents ({granularity})",
            notes=notes,
            overall=drifted,
            plotly_src=PLOTLY_URL,
        ),
    )
    record_check(INCIDENTS_KIND, drifted, report, category=category, method=method.value)
    return SeriesDriftOutcome(
        drift_detected=drifted,
        mean_change=change,
        statistical=statistical,
        reference_periods=len(reference),
        new_periods=len(new),
        report=report,
    )


def store_data_report(session: Session, check: DataDriftCheck, *, source: str) -> DriftReport:
    return store_report(
        session,
        kind="data",
        subject=check.title,
        source=source,
        drift_detected=check.result.dataset_drift,
        result=check.result,
        summary={**check.result.summary(), "drift_share": check.result.drift_share},
        html=check.html(PLOTLY_URL),
    )


def detect_model_drift(
    session: Session,
    *,
    task: str,
    actual: Sequence[float],
    predicted: Sequence[float],
    baseline: float,
    metric: ErrorMetric = "mape",
    tolerance: float = DEFAULT_TOLERANCE,
    detector: Detector = "adwin",
    source: str = "api",
) -> tuple[ConceptDriftResult, DriftReport]:
    """Concept drift of a model from its predictions on new actuals; the report is stored."""
    result = detect_concept_drift(
        actual, predicted, baseline=baseline, metric=metric, tolerance=tolerance, detector=detector
    )
    errors = np.abs(np.asarray(actual, dtype="float64") - np.asarray(predicted, dtype="float64"))
    report = store_report(
        session,
        kind="concept",
        subject=task,
        source=source,
        drift_detected=result.drifted,
        result=None,
        summary={"task": task, **result.summary()},
        html=render_concept_html(
            result, errors, title=f"Concept drift of {task}", plotly_src=PLOTLY_URL
        ),
    )
    record_check(task, result.drifted, report, kind="concept", metric=metric)
    return result, report


def store_report(
    session: Session,
    *,
    kind: str,
    subject: str,
    source: str,
    drift_detected: bool,
    result: DataDriftResult | None,
    summary: dict[str, Any],
    html: str,
) -> DriftReport:
    return DriftReportRepository(session).add(
        kind=kind,
        subject=subject[:200],
        source=source,
        drift_detected=drift_detected,
        share_drifted=result.share_drifted if result is not None else None,
        summary=summary,
        html=html,
    )


def list_reports(
    session: Session, *, limit: int, offset: int, kind: str | None = None
) -> tuple[Sequence[DriftReport], int]:
    repository = DriftReportRepository(session)
    return repository.page(limit=limit, offset=offset, kind=kind), repository.count(kind)


def get_report(session: Session, report_id: int) -> DriftReport:
    report = DriftReportRepository(session).get(report_id)
    if report is None:
        raise NotFoundError(f"no drift report {report_id}; GET /drift/reports lists them")
    return report
