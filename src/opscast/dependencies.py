"""The composition root's hand-out: every long-lived object of a process, built once, and
the typed dependencies through which routers receive them.

The app's lifespan (``api/app.py``) and the command line (``cli/common.py``) both call
``build_services``, so a command and a request use the same objects wired the same way.
Routers import their dependencies from here, never from the api/ face: a domain may use
this module, and it reads ``app.state`` in one typed place (``get_services``) so no
router does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from opscast.alerting.runtime import AlertingRuntime
from opscast.auth.access import check_access
from opscast.auth.service import KeyChecker
from opscast.config import Settings
from opscast.db import Database
from opscast.demand.background import DemandTraining
from opscast.incidents.background import BackgroundTraining
from opscast.incidents.service import IncidentForecaster
from opscast.incidents.shadow import ShadowScorer
from opscast.jobs.catalog import job_runner
from opscast.jobs.runner import JobRunner
from opscast.registry.store import ModelStore
from opscast.retraining.catalog import trainers
from opscast.retraining.retrainer import Retrainer
from opscast.streaming.pipeline import StreamPipeline
from opscast.tickets.scoring import Scoring
from opscast.traffic.service import TrafficForecasts

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)
bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True, slots=True)
class Services:
    """Every long-lived object of one process. ``stream`` is None outside the server (a
    command has no broker consumers); ``training`` only when training runs on start."""

    settings: Settings
    database: Database
    model_store: ModelStore
    retrainer: Retrainer
    jobs: JobRunner
    stream: StreamPipeline | None
    incident_forecaster: IncidentForecaster
    shadow: ShadowScorer | None
    training: BackgroundTraining | None
    traffic: TrafficForecasts
    alerting: AlertingRuntime | None
    demand_training: DemandTraining | None
    key_checker: KeyChecker


def build_services(settings: Settings, database: Database, *, serving: bool = False) -> Services:
    """Wire every long-lived object; nothing is started here (the caller starts what it runs).

    ``serving`` adds what only the server has: the stream pipeline, shadow scoring and
    training on start.
    """
    store = ModelStore.from_settings(settings)
    retrainer = Retrainer(store, trainers(settings))
    stream = StreamPipeline(settings, database, store=store) if serving else None
    shadow = ShadowScorer(database, store) if serving and settings.shadow else None
    forecaster = IncidentForecaster(store, on_served=shadow.observe if shadow else None)
    training = (
        BackgroundTraining(database, forecaster) if serving and settings.train_on_start else None
    )
    alerting = AlertingRuntime(settings, database, store) if stream is not None else None
    if alerting is not None and stream is not None:
        alerting.attach(stream)
    return Services(
        settings=settings,
        database=database,
        model_store=store,
        retrainer=retrainer,
        jobs=job_runner(settings, database, retrainer, stream=stream),
        stream=stream,
        incident_forecaster=forecaster,
        shadow=shadow,
        training=training,
        traffic=TrafficForecasts(settings, store, database),
        alerting=alerting,
        key_checker=KeyChecker(settings, database),
        demand_training=(
            DemandTraining(database, store, settings)
            if serving and settings.train_on_start and settings.demand_train_on_start
            else None
        ),
    )


def _services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


def _settings_of(request: Request) -> Settings:
    """Set by the app factory, before the lifespan: authentication needs it on every request."""
    settings: Settings = request.app.state.settings
    return settings


# The accessors below are ``async`` because they do no I/O: FastAPI runs a plain ``def``
# dependency in the thread pool, a thread hop per dependency per request.


async def get_services(request: Request) -> Services:
    return _services_of(request)


async def get_settings(request: Request) -> Settings:
    return _settings_of(request)


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_database(services: ServicesDep) -> Database:
    return services.database


async def get_model_store(services: ServicesDep) -> ModelStore:
    return services.model_store


async def get_jobs(services: ServicesDep) -> JobRunner:
    return services.jobs


async def get_retrainer(services: ServicesDep) -> Retrainer:
    return services.retrainer


async def get_stream(services: ServicesDep) -> StreamPipeline:
    if services.stream is None:
        raise HTTPException(503, "this process runs no stream pipeline")
    return services.stream


async def get_incident_forecaster(services: ServicesDep) -> IncidentForecaster:
    return services.incident_forecaster


async def get_traffic_forecasts(services: ServicesDep) -> TrafficForecasts:
    return services.traffic


DatabaseDep = Annotated[Database, Depends(get_database)]
ModelStoreDep = Annotated[ModelStore, Depends(get_model_store)]
JobsDep = Annotated[JobRunner, Depends(get_jobs)]
RetrainerDep = Annotated[Retrainer, Depends(get_retrainer)]
StreamDep = Annotated[StreamPipeline, Depends(get_stream)]
IncidentForecasterDep = Annotated[IncidentForecaster, Depends(get_incident_forecaster)]
TrafficDep = Annotated[TrafficForecasts, Depends(get_traffic_forecasts)]


def get_scoring(settings: SettingsDep, store: ModelStoreDep) -> Scoring:
    """Per request: the rules file is read afresh, so an edited rule applies at once."""
    return Scoring.from_settings(settings, store)


ScoringDep = Annotated[Scoring, Depends(get_scoring)]


async def _finish(step: Callable[[], None]) -> None:
    """Commit, roll back or close in a thread outside the request threads' limit.

    A session holding the write lock must be able to commit while every request thread
    waits for that lock (FastAPI runs a dependency's exit the same way).
    """
    await to_thread.run_sync(step, limiter=CapacityLimiter(1))


async def get_session(database: DatabaseDep) -> AsyncIterator[Session]:
    """One unit of work per request: committed before the response is sent, rolled back on error.

    Opening a session does no I/O (a connection is taken at the first query), so this runs
    on the event loop; only a session that did use the database goes to a thread to
    commit or roll back and hand its connection back. A request served from memory costs
    no thread hop and no connection.
    """
    session = database.sessionmaker()
    try:
        yield session
        if session.in_transaction():
            await _finish(session.commit)
    except BaseException:
        if session.in_transaction():
            await _finish(session.rollback)
        raise
    finally:
        if session.in_transaction():
            await _finish(session.close)
        else:
            session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def require_api_key(
    request: Request,
    settings: SettingsDep,
    header_key: Annotated[str | None, Depends(api_key_header)],
    bearer_key: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """With auth on, a key whose role allows the request (see ``opscast.auth.roles``)."""
    if not settings.auth_enabled:
        return
    offered = header_key or (bearer_key.credentials if bearer_key else None)
    check_access(request, settings, _services_of(request).key_checker, offered)


def over_limit(field: str, message: str) -> RequestValidationError:
    """A refused body field, answered like any invalid request (422; 400 where a route's
    contract says so), its message naming the setting that raises the limit."""
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": "too_long"}])


def batch_limit(fields: tuple[str, ...], limit: Callable[[Settings], int], *, setting: str) -> Any:
    """A route dependency: the lists named by ``fields`` together hold at most ``limit`` items.

    FastAPI validates a whole body before the handler runs, so a count checked in the
    handler comes after every row was parsed, and 80,000 bad rows cost seconds and an
    error body of megabytes. This counts the items of the already-parsed JSON (FastAPI
    parses it once and keeps it on the request) and answers 422 at once when too many.
    """

    async def check(request: Request) -> None:
        try:
            body = await request.json()
        except ValueError:  # not JSON: FastAPI's own validation reports it
            return
        if not isinstance(body, dict):
            return
        count = sum(len(value) for field in fields if isinstance(value := body.get(field), list))
        allowed = limit(_settings_of(request))
        if count > allowed:
            raise over_limit(
                fields[0],
                f"{count} items exceed the limit of {allowed} per request; split the upload "
                f"or raise {setting}",
            )

    checker: Callable[[Request], Awaitable[None]] = check
    return Depends(checker)
