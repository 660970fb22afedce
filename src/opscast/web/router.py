"""The dashboard under /ui: every page's router, and the chart library served locally."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse

from opscast.config import Environment, Settings
from opscast.drift.report import plotly_js_path
from opscast.observability import get_logger
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

log = get_logger(__name__)


def _open_model_store(app: FastAPI) -> None:
    try:
        app.state.services.model_store.list_tasks()
    except Exception as exc:  # the pages report the store's state themselves
        log.warning("model_store.warm_up_failed", error=str(exc))


@asynccontextmanager
async def warm_up(app: FastAPI) -> AsyncIterator[None]:
    """Open the model store in the background at start.

    MLflow checks its schema the first time a process opens the store, which takes
    seconds; done here, the first person to open a models panel does not wait for it.
    Tests open what they need themselves.
    """
    settings: Settings = app.state.settings
    if settings.environment is not Environment.test:
        threading.Thread(
            target=_open_model_store, args=(app,), name="model-store-warm-up", daemon=True
        ).start()
    yield


router = APIRouter(include_in_schema=False, lifespan=warm_up)
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
