"""The application factory: one FastAPI app with API, dashboard and metrics.

The factory takes its Settings as an argument so tests (and embedding code) can
build isolated apps; the database is opened and migrated in the lifespan, before
the first request, so a request never meets a half-made schema.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from fastapi import Depends, FastAPI
from starlette.staticfiles import StaticFiles

from opscast import __version__
from opscast.alerting.router import router as alerting_router
from opscast.api.docs_pages import install_docs_pages
from opscast.api.error_responses import document_error_responses
from opscast.api.errors import install_error_handlers
from opscast.api.limits import install_request_limits
from opscast.api.middleware import RequestMetrics
from opscast.api.system import router as system_router
from opscast.auth.router import router as auth_router
from opscast.capacity.router import router as scaling_router
from opscast.config import Settings, get_settings
from opscast.db import Database
from opscast.demand.router import router as demand_router
from opscast.dependencies import build_services, require_api_key
from opscast.drift_checks.router import router as drift_router
from opscast.incidents.router import router as incidents_router
from opscast.jobs.router import router as jobs_router
from opscast.observability import configure_logging, get_logger
from opscast.registry import ModelStore
from opscast.registry.router import router as registry_router
from opscast.registry.service import reconcile_champions
from opscast.retraining.router import router as retraining_router
from opscast.series.router import router as series_router
from opscast.servers.router import router as servers_router
from opscast.servers.router import simulation_router
from opscast.serving import worker_exited
from opscast.streaming.anomaly_router import router as predictions_router
from opscast.streaming.router import router as streaming_router
from opscast.tickets.router import analytics_router
from opscast.tickets.router import router as tickets_router
from opscast.traffic.router import router as traffic_router
from opscast.traffic.service import warm_up_in_background
from opscast.web.router import STATIC_DIR
from opscast.web.router import router as web_router

log = get_logger(__name__)

# Every HTTP surface of the service, in the order /docs lists them.
ROUTERS = (
    system_router,
    series_router,
    registry_router,
    jobs_router,
    retraining_router,
    tickets_router,
    analytics_router,
    servers_router,
    simulation_router,
    drift_router,
    incidents_router,
    traffic_router,
    scaling_router,
    streaming_router,
    predictions_router,
    alerting_router,
    demand_router,
    web_router,
    auth_router,
)

DESCRIPTION = """
Forecast, watch and act on operations time series: incident counts, request traffic,
item demand and server metrics.

Reads are open. Once `OPSCAST_API_KEYS` is set, every request that changes data needs
one of the keys in the `X-API-Key` header (or `Authorization: Bearer <key>`).
"""


def reconcile_registry(store: ModelStore, database: Database) -> None:
    """Champions the registry serves agree with the audit trail before the first request
    (a crash between moving an alias and committing its audit row leaves them apart); a
    registry that cannot be read now is reported and served as it is."""
    try:
        with database.session() as session:
            reconcile_champions(store, session)
    except Exception as exc:  # the registry or database is away: serving must still start
        log.error("registry.reconcile_failed", error=str(exc)[:300])


def create_app(settings: Settings | None = None) -> FastAPI:  # noqa: PLR0915
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)
    tracing = None
    if settings.tracing_endpoint:
        from opscast.tracing import Tracing

        tracing = Tracing(settings.tracing_endpoint)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        """The composition root: every long-lived object is built here and nowhere else."""
        # sync handlers run on anyio's thread limiter; the pool has a connection for each
        to_thread.current_default_thread_limiter().total_tokens = settings.thread_pool_size
        database = Database.from_settings(settings)
        if tracing:
            tracing.instrument_clients(database.engine)
        database.migrate()
        services = build_services(settings, database, serving=True)
        app.state.services = services
        reconcile_registry(services.model_store, database)
        stream = services.stream
        assert stream is not None  # serving=True always builds it
        await stream.start()
        if services.alerting is not None:
            await services.alerting.start()
        if settings.run_jobs:
            services.jobs.start()
        if services.training is not None:
            services.training.start()
        warm_up_in_background(services.traffic, settings)
        if services.demand_training is not None:
            services.demand_training.start()
        log.info("started", database=database.dialect, version=__version__)
        try:
            yield
        finally:
            services.jobs.stop()
            if services.training is not None:
                services.training.stop()
            if services.demand_training is not None:
                services.demand_training.stop()
            if services.shadow:
                services.shadow.stop()
            if services.alerting is not None:
                await services.alerting.stop()
            await stream.stop()
            database.dispose()
            if tracing:
                tracing.shutdown()
            worker_exited(os.getpid())

    app = FastAPI(
        title="opscast",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # the key check (and its security schemes in /openapi.json) only when auth is on
        dependencies=[Depends(require_api_key)] if settings.auth_enabled else [],
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    install_request_limits(app, settings)
    app.add_middleware(RequestMetrics)
    for router in ROUTERS:
        app.include_router(router)
    document_error_responses(app, settings)
    install_docs_pages(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    if tracing:
        tracing.instrument_app(app)
    return app
