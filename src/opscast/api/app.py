"""The application factory: one FastAPI app with API, dashboard and metrics.

The factory takes its Settings as an argument so tests (and embedding code) can
build isolated apps; the database is opened and migrated in the lifespan, before
the first request, so a request never meets a half-made schema.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import Depends, FastAPI
from starlette.staticfiles import StaticFiles

from opscast import __version__
from opscast.anomaly.router import router as predictions_router
from opscast.api.deps import require_api_key
from opscast.api.errors import install_error_handlers
from opscast.api.middleware import BodySizeLimit, RequestMetrics
from opscast.api.system import router as system_router
from opscast.config import Settings, get_settings
from opscast.db import Database
from opscast.jobs.catalog import job_handlers
from opscast.jobs.router import router as jobs_router
from opscast.jobs.runner import JobRunner
from opscast.observability import configure_logging, get_logger
from opscast.series.router import router as series_router
from opscast.streaming.pipeline import StreamPipeline
from opscast.streaming.router import router as streaming_router
from opscast.web.router import STATIC_DIR
from opscast.web.router import router as web_router

log = get_logger(__name__)

DESCRIPTION = """
Forecast, watch and act on operations time series: incident counts, request traffic,
item demand and server metrics.

Reads are open. Once `OPSCAST_API_KEYS` is set, every request that changes data needs
one of the keys in the `X-API-Key` header (or `Authorization: Bearer <key>`).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = Database(settings.resolved_database_url)
        database.migrate()
        app.state.database = database
        jobs = JobRunner(
            database,
            job_handlers(settings),
            poll_seconds=settings.job_poll_seconds,
            stale_after=timedelta(seconds=settings.job_stale_seconds),
        )
        app.state.jobs = jobs
        stream = StreamPipeline(settings, database)
        app.state.stream = stream
        await stream.start()
        if settings.run_jobs:
            jobs.start()
        log.info("started", database=database.dialect, version=__version__)
        try:
            yield
        finally:
            jobs.stop()
            await stream.stop()
            database.dispose()

    app = FastAPI(
        title="opscast",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(require_api_key)],
    )
    app.state.settings = settings
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(RequestMetrics)
    app.include_router(system_router)
    app.include_router(series_router)
    app.include_router(jobs_router)
    app.include_router(streaming_router)
    app.include_router(predictions_router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
