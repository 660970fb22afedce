"""Service-level endpoints: welcome message, health, Prometheus metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from opscast import __version__
from opscast.dependencies import ServicesDep
from opscast.health import Health, check_health
from opscast.serving import metrics_registry

router = APIRouter(tags=["service"])


@router.get("/", response_model=None, summary="Welcome message; browsers go to the dashboard")
def root(request: Request) -> dict[str, Any] | RedirectResponse:
    if "text/html" in request.headers.get("accept", ""):
        return RedirectResponse("/ui", status_code=307)
    return {
        "message": "opscast is running. Visit /docs for API documentation.",
        "version": __version__,
        "docs": "/docs",
        "dashboard": "/ui",
        "health": "/health",
    }


@router.get(
    "/health",
    response_model=Health,
    responses={503: {"model": Health, "description": "a component is in error"}},
)
async def health(services: ServicesDep) -> JSONResponse:
    training = services.training
    extra = {"models": training.health()} if training is not None else None
    demand = services.demand_training
    if demand is not None and demand.started:
        extra = {**(extra or {}), "demand_model": demand.health()}
    connected = await services.stream.ping() if services.stream is not None else None
    report = await run_in_threadpool(
        check_health,
        services.settings,
        services.database,
        __version__,
        jobs=services.jobs,
        extra=extra,
        broker_connected=connected,
    )
    return JSONResponse(
        report.model_dump(mode="json"), status_code=200 if report.status == "ok" else 503
    )


@router.get("/metrics", response_class=Response, summary="Prometheus text exposition")
def metrics() -> Response:
    return Response(generate_latest(metrics_registry()), media_type=CONTENT_TYPE_LATEST)
