"""HTTP skin over the drift use cases: the series check and the stored reports."""

from __future__ import annotations

from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, Path, Query
from fastapi.responses import FileResponse, HTMLResponse

from opscast.dependencies import JobsDep, ModelStoreDep, RetrainerDep, SessionDep, batch_limit
from opscast.drift.report import plotly_js_path
from opscast.drift_checks import service
from opscast.drift_checks.schemas import (
    CONCEPT_DRIFT_MESSAGE,
    DRIFT_MESSAGE,
    NO_CONCEPT_DRIFT_MESSAGE,
    NO_DRIFT_MESSAGE,
    ConceptDriftRequest,
    ConceptDriftResponse,
    DetectDriftRequest,
    DetectDriftResponse,
    DriftReportDetail,
    DriftReportOut,
    DriftReportPage,
)
from opscast.drift_checks.tables import DriftReport
from opscast.errors import InvalidInputError, NotFoundError
from opscast.registry import ModelStore
from opscast.retraining.service import retrain_on_drift
from opscast.value_ranges import SQL_ID_MAX, SQL_INT_MAX

INCIDENTS_TARGET = "incidents"


def stored_baseline(store: ModelStore, task: str, metric: str) -> float:
    """The serving version's backtest error: the baseline it was promoted on."""
    try:
        champion = store.get_task(task).champion
    except NotFoundError:
        raise NotFoundError(
            f"no model task {task!r} in the registry; send its baseline error instead",
            field="task",
        ) from None
    value = champion.metrics.get(metric) if champion is not None else None
    if value is None:
        raise InvalidInputError(
            f"task {task!r} has no stored {metric} for a serving model; send a baseline",
            field="baseline",
        )
    return value


router = APIRouter(tags=["drift"])
ReportId = Annotated[int, Path(ge=1, le=SQL_ID_MAX, description="Drift report number")]

ReportKind = Literal["data", "series", "concept", "demand"]


def _html_url(report: DriftReport) -> str:
    return f"/drift/reports/{report.id}/html"


def _report_out(report: DriftReport) -> DriftReportOut:
    return DriftReportOut(
        id=report.id,
        created_at=report.created_at,
        kind=report.kind,
        subject=report.subject,
        source=report.source,
        drift_detected=report.drift_detected,
        share_drifted=report.share_drifted,
        html_url=_html_url(report),
    )


@router.post(
    "/detect_drift",
    response_model=DetectDriftResponse,
    summary="Compare new values of an incident category with its stored history",
    dependencies=[
        batch_limit(
            ("new_data",),
            lambda settings: settings.max_posted_points,
            setting="OPSCAST_MAX_POSTED_POINTS",
        )
    ],
)
def detect_drift(
    body: DetectDriftRequest, session: SessionDep, retrainer: RetrainerDep, jobs: JobsDep
) -> DetectDriftResponse:
    """The stored series of the category, aggregated to the granularity, is the reference.

    ``drift_detected`` follows ``method``: by default the relative change of the mean beyond
    ``threshold_factor``; a two-sample test on the same values is always reported too, and
    the full report is stored (``report_url``).
    """
    new_points = pd.DataFrame(
        {
            "ds": pd.to_datetime([point.ds for point in body.new_data], utc=True).tz_localize(None),
            "y": [point.y for point in body.new_data],
        }
    )
    outcome = service.detect_series_drift(
        session,
        category=body.category,
        granularity=body.granularity.value,
        new_points=new_points,
        threshold_factor=body.threshold_factor,
        method=body.method,
    )
    column = outcome.statistical.columns[0]
    retrain = None
    if outcome.drift_detected:
        retrain = retrain_on_drift(
            session,
            INCIDENTS_TARGET,
            known=retrainer.targets,
            requested_by=f"drift:report-{outcome.report.id}",
            reason=f"{body.category} {body.granularity.value}: {DRIFT_MESSAGE}",
        )
        jobs.wake()
    return DetectDriftResponse(
        drift_detected=outcome.drift_detected,
        message=DRIFT_MESSAGE if outcome.drift_detected else NO_DRIFT_MESSAGE,
        method=body.method,
        category=body.category,
        granularity=body.granularity,
        reference_periods=outcome.reference_periods,
        new_periods=outcome.new_periods,
        mean_change=outcome.mean_change.summary(),
        statistical_test=column.summary(),
        report_id=outcome.report.id,
        report_url=_html_url(outcome.report),
        retrain_job_id=retrain.job_id if retrain else None,
        retrain=retrain.reason if retrain else None,
    )


@router.post(
    "/drift/concept",
    response_model=ConceptDriftResponse,
    summary="Has a model got worse on the actuals that arrived since it was trained?",
)
def detect_concept_drift(
    body: ConceptDriftRequest, session: SessionDep, store: ModelStoreDep
) -> ConceptDriftResponse:
    """Drift when the model's error exceeds ``baseline * (1 + tolerance)``; a streaming
    detector (ADWIN or Page-Hinkley) also dates changes in the absolute-error stream."""
    baseline = body.baseline
    if baseline is None:
        baseline = stored_baseline(store, body.task, body.metric)
    result, report = service.detect_model_drift(
        session,
        task=body.task,
        actual=body.actual,
        predicted=body.predicted,
        baseline=baseline,
        metric=body.metric,
        tolerance=body.tolerance,
        detector=body.detector,
    )
    return ConceptDriftResponse(
        concept_drift=result.drifted,
        message=CONCEPT_DRIFT_MESSAGE if result.drifted else NO_CONCEPT_DRIFT_MESSAGE,
        task=body.task,
        performance=result.performance.summary(),
        detector=result.detector,
        change_points=result.change_points,
        report_id=report.id,
        report_url=_html_url(report),
    )


@router.get(
    "/drift/reports", response_model=DriftReportPage, summary="Stored reports, newest first"
)
def list_reports(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=SQL_INT_MAX)] = 0,
    kind: Annotated[ReportKind | None, Query(description="Only reports of this kind.")] = None,
) -> DriftReportPage:
    reports, total = service.list_reports(session, limit=limit, offset=offset, kind=kind)
    return DriftReportPage(
        items=[_report_out(report) for report in reports], total=total, limit=limit, offset=offset
    )


@router.get("/drift/reports/{report_id}", response_model=DriftReportDetail, summary="One report")
def read_report(report_id: ReportId, session: SessionDep) -> DriftReportDetail:
    report = service.get_report(session, report_id)
    return DriftReportDetail(**_report_out(report).model_dump(), summary=report.summary)


@router.get(
    "/drift/reports/{report_id}/html", response_class=HTMLResponse, summary="One report as a page"
)
def read_report_html(report_id: ReportId, session: SessionDep) -> HTMLResponse:
    return HTMLResponse(service.get_report(session, report_id).html)


@router.get("/drift/assets/plotly.min.js", include_in_schema=False)
def plotly_script() -> FileResponse:
    """plotly.js from the installed package, so report pages draw charts without internet."""
    return FileResponse(
        plotly_js_path(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )
