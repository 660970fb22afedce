"""Alerts: the alert history with filters, one alert's detail, acknowledge, resolve, silence.

The page is a thin client of the alerting endpoints (GET /alerts, POST /alerts/{id}/ack,
/resolve, POST /alerts/silences): the browser fetches and renders them. On a server
without alerting the page says so instead of failing request after request.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse

from opscast.web.availability import serves
from opscast.web.layout import render

router = APIRouter()


@router.get("/ui/alerts", response_class=HTMLResponse)
def alerts_page(request: Request) -> HTMLResponse:
    return render(
        request,
        "alerts.html",
        {"available": serves(request.app, "GET", "/alerts"), "alert_id": None},
        page="alerts",
    )


@router.get("/ui/alerts/{alert_id}", response_class=HTMLResponse)
def alert_detail(
    request: Request, alert_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:\-]{1,100}$")]
) -> HTMLResponse:
    return render(
        request,
        "alerts.html",
        {"available": serves(request.app, "GET", "/alerts/{id}"), "alert_id": alert_id},
        page="alerts",
    )
