"""The dashboard under /ui: every page's router, and the chart library served locally."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from opscast.drift.report import plotly_js_path
from opscast.web.layout import STATIC_DIR
from opscast.web.pages import (
    alerts,
    anomalies,
    demand,
    drift,
    forecasts,
    models,
    overview,
    scaling,
    series,
    tickets,
)

__all__ = ["STATIC_DIR", "router"]

router = APIRouter(include_in_schema=False)
for page in (
    overview,
    forecasts,
    anomalies,
    alerts,
    tickets,
    drift,
    models,
    demand,
    scaling,
    series,
):
    router.include_router(page.router)


@router.get("/ui/assets/plotly.min.js")
def plotly_script() -> FileResponse:
    """plotly.js from the installed plotly package: charts draw without internet access."""
    return FileResponse(
        plotly_js_path(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400"},
    )
