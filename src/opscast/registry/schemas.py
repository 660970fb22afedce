"""Response bodies of the model registry API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from opscast.registry.store import ModelVersion, Task


class ModelVersionOut(BaseModel):
    version: int
    model: str = Field(description="the fitted model's name, e.g. ets or lightgbm")
    aliases: list[str]
    created_at: datetime
    run_id: str
    metrics: dict[str, float | None] = Field(
        description="backtest errors: mae, rmse, mape, smape, mase (null when undefined)"
    )
    params: dict[str, str]
    data_fingerprint: str | None

    @classmethod
    def of(cls, version: ModelVersion) -> ModelVersionOut:
        return cls(
            version=version.version,
            model=version.model_name,
            aliases=list(version.aliases),
            created_at=version.created_at,
            run_id=version.run_id,
            metrics=version.metrics,
            params=version.params,
            data_fingerprint=version.fingerprint,
        )


class TaskOut(BaseModel):
    task: str = Field(examples=["incidents-software-monthly"])
    tags: dict[str, str]
    aliases: dict[str, int]
    champion: ModelVersionOut | None
    versions: list[ModelVersionOut]

    @classmethod
    def of(cls, task: Task) -> TaskOut:
        champion = task.champion
        return cls(
            task=task.name,
            tags=task.tags,
            aliases=task.aliases,
            champion=ModelVersionOut.of(champion) if champion else None,
            versions=[ModelVersionOut.of(version) for version in task.versions],
        )


class ModelsOut(BaseModel):
    count: int
    models: list[TaskOut]
