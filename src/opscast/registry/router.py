"""HTTP skin over the model registry: what is trained, which version serves, how well."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from opscast.api.deps import ModelStoreDep
from opscast.registry.schemas import ModelsOut, TaskOut

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
