"""HTTP skin over the model registry: what is trained, which version serves, how well."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query

from opscast.dependencies import ModelStoreDep, SessionDep, SettingsDep
from opscast.registry import service
from opscast.registry.schemas import ModelEventOut, ModelsOut, RollbackIn, ShadowOut, TaskOut

router = APIRouter(tags=["models"])


@router.get(
    "/models",
    response_model=ModelsOut,
    summary="Models known to the registry, with versions, aliases and backtest metrics",
)
def list_models(
    store: ModelStoreDep,
    prefix: Annotated[
        str | None,
        Query(max_length=200, description="only tasks whose name starts with this"),
    ] = None,
) -> ModelsOut:
    tasks = [TaskOut.of(task) for task in store.list_tasks(prefix)]
    return ModelsOut(count=len(tasks), models=tasks)


TaskPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:\-]{1,200}$")]


@router.post(
    "/models/{task}/rollback",
    response_model=ModelEventOut,
    summary="Serve an earlier version again (by default the previous champion)",
)
def rollback_model(
    task: TaskPath,
    store: ModelStoreDep,
    session: SessionDep,
    body: RollbackIn | None = None,
    requested_by: Annotated[str | None, Header(alias="X-Requested-By", max_length=100)] = None,
) -> ModelEventOut:
    """Recorded in the task's history with who asked (``X-Requested-By``) and why."""
    body = body or RollbackIn()
    event = service.rollback(
        store,
        session,
        task,
        to_version=body.version,
        reason=body.reason,
        requested_by=requested_by or "api",
    )
    return ModelEventOut.model_validate(event)


@router.get(
    "/models/{task}/history",
    response_model=list[ModelEventOut],
    summary="Promotions, refusals and rollbacks of a task, newest first",
)
def model_history(
    task: TaskPath,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ModelEventOut]:
    return [
        ModelEventOut.model_validate(event) for event in service.audit_trail(session, task, limit)
    ]


@router.get(
    "/models/{task}/shadow",
    response_model=ShadowOut,
    summary="Live errors of the champion and the challenger on periods observed since",
)
def model_shadow(
    task: TaskPath,
    store: ModelStoreDep,
    session: SessionDep,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=0, le=1000, description="latest periods to list")] = 50,
) -> ShadowOut:
    """With ``OPSCAST_SHADOW=true`` the challenger forecasts beside the champion on served
    requests; each period's error is recorded once its actuals are in."""
    report = service.shadow_report(store, session, task, limit)
    return ShadowOut.of(report, enabled=settings.shadow)
