"""Response bodies of the model registry API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from opscast.registry.service import ShadowReport
from opscast.registry.store import ModelVersion, Task
from opscast.schema_types import RequestModel, UtcDateTime


class ModelVersionOut(BaseModel):
    version: int
    model: str = Field(description="the fitted model's name, e.g. ets or lightgbm")
    aliases: list[str]
    created_at: UtcDateTime
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


class RollbackIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    version: int | None = Field(
        default=None, ge=1, description="version to serve again; default: the previous champion"
    )
    reason: str | None = Field(default=None, max_length=500)


class ModelEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    task: str
    action: str = Field(description="promoted, refused or rolled_back")
    version: int
    previous_version: int | None
    metric: str | None
    champion_value: float | None
    challenger_value: float | None
    tolerance: float | None
    reason: str
    requested_by: str
    at: UtcDateTime


class ShadowVersionOut(BaseModel):
    version: int
    aliases: list[str] = Field(description="the aliases the version holds now")
    scored_periods: int = Field(description="periods it forecast beside a served request")
    settled_periods: int = Field(description="of those, periods observed in full since")
    mae: float | None = Field(description="mean absolute error on the settled periods")
    rmse: float | None


class ShadowPairOut(BaseModel):
    periods: int = Field(description="settled periods both versions forecast")
    champion_mae: float | None
    challenger_mae: float | None
    leader: str | None = Field(description="champion, challenger or tie; null before any period")


class ShadowScoreOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    alias: str = Field(description="the alias it served or shadowed under when it forecast")
    unique_id: str
    period_start: UtcDateTime
    period_end: UtcDateTime
    predicted: float
    actual: float | None
    abs_error: float | None


class ShadowOut(BaseModel):
    task: str
    shadow_enabled: bool = Field(description="OPSCAST_SHADOW: whether new requests are shadowed")
    champion: int | None
    challenger: int | None
    comparison: ShadowPairOut | None = Field(
        description="champion against challenger on the same settled periods"
    )
    versions: list[ShadowVersionOut]
    recent: list[ShadowScoreOut] = Field(description="the latest periods forecast, newest first")

    @classmethod
    def of(cls, report: ShadowReport, *, enabled: bool) -> ShadowOut:
        holders: dict[int, list[str]] = {}
        for alias, number in (("champion", report.champion), ("challenger", report.challenger)):
            if number is not None:
                holders.setdefault(number, []).append(alias)
        comparison = None
        if report.paired is not None:
            pair = report.paired
            leader = None
            if pair.first_mae is not None and pair.second_mae is not None:
                leader = (
                    "tie"
                    if pair.first_mae == pair.second_mae
                    else "champion"
                    if pair.first_mae < pair.second_mae
                    else "challenger"
                )
            comparison = ShadowPairOut(
                periods=pair.periods,
                champion_mae=pair.first_mae,
                challenger_mae=pair.second_mae,
                leader=leader,
            )
        return cls(
            task=report.task,
            shadow_enabled=enabled,
            champion=report.champion,
            challenger=report.challenger,
            comparison=comparison,
            versions=[
                ShadowVersionOut(
                    version=row.version,
                    aliases=holders.get(row.version, []),
                    scored_periods=row.scored,
                    settled_periods=row.settled,
                    mae=row.mae,
                    rmse=row.rmse,
                )
                for row in report.versions
            ],
            recent=[ShadowScoreOut.model_validate(score) for score in report.recent],
        )
