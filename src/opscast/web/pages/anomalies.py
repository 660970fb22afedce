"""Anomalies: a host's metric with its flagged points, why each was flagged, and when it may fail.

The chart, the explanations and the time-to-failure estimates are all read from what the
stream stored; confirming or dismissing a point goes to the feedback endpoint, shown
only when this server has one.
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from opscast.dependencies import SessionDep
from opscast.series import service as series
from opscast.streaming import anomaly_service as service
from opscast.streaming.anomaly_tables import Anomaly
from opscast.streaming.schemas import NAME_PATTERN
from opscast.web import figures
from opscast.web.availability import serves
from opscast.web.layout import render

router = APIRouter()

FLAGGED = 200
CHART_POINTS = 1_500
SEPARATOR = ":"  # stored server metrics are named host:metric


@router.get("/ui/anomalies", response_class=HTMLResponse)
def anomalies_page(
    request: Request,
    session: SessionDep,
    host: Annotated[str | None, Query(pattern=NAME_PATTERN)] = None,
    metric: Annotated[str | None, Query(pattern=NAME_PATTERN)] = None,
) -> HTMLResponse:
    recent, total = service.list_anomalies(session, limit=FLAGGED)
    busiest = Counter((row.host, row.metric) for row in recent).most_common()
    if (host is None or metric is None) and busiest:
        host, metric = busiest[0][0]
    chart = None
    flagged: list[Anomaly] = []
    if host and metric:
        flagged, _ = service.list_anomalies(session, host=host, metric=metric, limit=FLAGGED)
        name = f"{host}{SEPARATOR}{metric}"
        points = series.read_points(session, name).tail(CHART_POINTS)
        shown = [row for row in flagged if len(points) and row.ds >= points["ds"].iloc[0]]
        chart = figures.figure(
            [
                figures.line(points["ds"], points["y"], metric),
                figures.markers(
                    [row.ds for row in shown],
                    [row.value for row in shown],
                    "flagged",
                    text=[f"score {row.score:.2f} · {row.detector}" for row in shown],
                ),
            ],
            y_title=metric,
        )
    failures = service.list_time_to_failure(session)
    return render(
        request,
        "anomalies.html",
        {
            "host": host,
            "metric": metric,
            "choices": sorted({key for key, _ in busiest}),
            "counts": dict(busiest),
            "flagged": flagged,
            "total": total,
            "chart": chart,
            "failures": failures,
            "feedback": serves(request.app, "POST", "/anomalies/{id}/feedback"),
            "charts": True,
        },
        page="anomalies",
    )
