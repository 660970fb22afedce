"""Guarded promotion, rollback and the audit trail, over the MLflow store and the database.

A retrained version is always registered (its run is evidence, even when refused); it
becomes ``champion`` only when ``decide_promotion`` says it is not worse on the same
holdout, and otherwise carries the ``challenger`` alias and the refusal reason as a tag.

MLflow and the opscast database are two stores, so no transaction spans both. The
audit row is written (flushed) before the alias moves: if moving the alias fails, the
caller's unit of work rolls the row back. A process killed between the two leaves a
moved alias without its audit row; the registry itself stays consistent (every alias
points at a registered, complete version), which is what serving depends on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from opscast.db import utc_now
from opscast.errors import ConflictError, NotFoundError
from opscast.observability import MODEL_ERROR, RETRAIN_DURATION, RETRAINS, get_logger
from opscast.registry.promotion import METRIC_PREFERENCE, PromotionDecision, decide_promotion
from opscast.registry.repository import (
    ModelEventRepository,
    PairedErrors,
    ShadowRepository,
    VersionErrors,
)
from opscast.registry.store import CHAMPION, REQUIRED_METRICS, ModelStore, ModelVersion
from opscast.registry.tables import ModelEvent, ShadowScore

log = get_logger(__name__)

CHALLENGER = "challenger"
REFUSED_TAG = "opscast.refused"


@dataclass(frozen=True, slots=True)
class GuardedOutcome:
    version: ModelVersion
    decision: PromotionDecision
    previous_champion: int | None

    @property
    def promoted(self) -> bool:
        return self.decision.promote


@dataclass(frozen=True, slots=True)
class Challenger:
    """A freshly fitted model with what the guard judges it by: its metrics, and its and
    the champion's errors on the same holdout (``champion_holdout`` None without one)."""

    model: Any
    data: pd.DataFrame
    params: Mapping[str, str | int | float]
    metrics: Mapping[str, float]
    holdout: Mapping[str, float | None]
    champion_holdout: Mapping[str, float | None] | None


def train_guarded(
    store: ModelStore,
    session: Session,
    task: str,
    fit: Callable[[], Challenger],
    *,
    tags: Mapping[str, str] | None = None,
    tolerance: float = 0.0,
    requested_by: str = "retrain",
    required_metrics: Sequence[str] = REQUIRED_METRICS,
    preference: tuple[str, ...] = METRIC_PREFERENCE,
    skipped: tuple[type[Exception], ...] = (),
) -> GuardedOutcome:
    """The one way a model version is made, for every target: time the fit, register the
    challenger, compare it with the champion and promote it only if it is not worse.

    A fit that raises one of ``skipped`` (too little data) counts as skipped, any other
    error as failed, in ``opscast_retrains_total``; either way the error propagates.
    """
    started = time.perf_counter()
    try:
        challenger = fit()
    except skipped:
        RETRAINS.labels(task=task, status="skipped").inc()
        raise
    except Exception:
        RETRAINS.labels(task=task, status="failed").inc()
        raise
    outcome = register_guarded(
        store,
        session,
        task,
        challenger.model,
        data=challenger.data,
        params=challenger.params,
        metrics=challenger.metrics,
        champion_holdout=challenger.champion_holdout,
        challenger_holdout=challenger.holdout,
        tags=tags,
        tolerance=tolerance,
        requested_by=requested_by,
        required_metrics=required_metrics,
        preference=preference,
    )
    RETRAIN_DURATION.observe(time.perf_counter() - started)
    return outcome


def register_guarded(
    store: ModelStore,
    session: Session,
    task: str,
    model: Any,
    *,
    data: pd.DataFrame,
    params: Mapping[str, str | int | float],
    metrics: Mapping[str, float],
    champion_holdout: Mapping[str, float | None] | None,
    challenger_holdout: Mapping[str, float | None],
    tags: Mapping[str, str] | None = None,
    tolerance: float = 0.0,
    requested_by: str = "retrain",
    required_metrics: Sequence[str] = REQUIRED_METRICS,
    preference: tuple[str, ...] = METRIC_PREFERENCE,
) -> GuardedOutcome:
    """Register ``model`` as the next version of ``task`` and promote it only if not worse.

    ``champion_holdout`` and ``challenger_holdout`` are the two models' errors on the same
    holdout (``None`` for the champion when the task has none yet). A model that is not a
    forecaster names the metrics it must log (``required_metrics``) and those the guard
    compares, in order (``preference``). Counted in ``opscast_retrains_total`` as
    promoted or refused, whoever asked for the training.
    """
    previous = store.champion_version(task)
    version = store.register(
        task,
        model,
        data=data,
        params=params,
        metrics=metrics,
        tags=tags,
        required_metrics=required_metrics,
    )
    if previous is not None and champion_holdout is None:
        decision = PromotionDecision(True, "the champion could not be scored on today's data")
    else:
        decision = decide_promotion(
            champion_holdout if previous is not None else None,
            challenger_holdout,
            tolerance=tolerance,
            metrics=preference,
        )
    ModelEventRepository(session).add(
        ModelEvent(
            task=task,
            action="promoted" if decision.promote else "refused",
            version=version.version,
            previous_version=previous,
            metric=decision.metric,
            champion_value=decision.champion,
            challenger_value=decision.challenger,
            tolerance=tolerance,
            reason=decision.reason,
            requested_by=requested_by,
            at=utc_now(),
        )
    )
    if decision.promote:
        store.set_alias(task, CHAMPION, version.version)
    else:
        store.set_alias(task, CHALLENGER, version.version)
        store.client.set_model_version_tag(task, str(version.version), REFUSED_TAG, decision.reason)
    RETRAINS.labels(task=task, status="promoted" if decision.promote else "refused").inc()
    return GuardedOutcome(version, decision, previous)


def rollback(
    store: ModelStore,
    session: Session,
    task: str,
    *,
    to_version: int | None = None,
    reason: str | None = None,
    requested_by: str = "api",
) -> ModelEvent:
    """Make an earlier version the champion again: by default the one before the current."""
    current = store.champion_version(task)
    if current is None:
        store.get_task(task)  # NotFoundError names an unknown task
        raise ConflictError(f"task {task!r} has no champion to roll back from")
    repository = ModelEventRepository(session)
    if to_version is None:
        became_champion = next(
            (event for event in repository.champion_changes(task) if event.version == current),
            None,
        )
        if became_champion is None or became_champion.previous_version is None:
            raise ConflictError(
                f"no earlier champion of {task!r} is recorded; name a version to roll back to"
            )
        to_version = became_champion.previous_version
    if to_version == current:
        raise ConflictError(f"version {to_version} of {task!r} is already the champion")
    if all(known.version != to_version for known in store.get_task(task).versions):
        raise NotFoundError(f"task {task!r} has no version {to_version}", field="version")
    return _roll_back(
        store,
        repository,
        task,
        to_version,
        current,
        reason=reason or f"rolled back from version {current}",
        requested_by=requested_by,
    )


def _roll_back(
    store: ModelStore,
    repository: ModelEventRepository,
    task: str,
    to_version: int,
    current: int | None,
    *,
    reason: str,
    requested_by: str,
) -> ModelEvent:
    """Record the rollback, then move the alias: the audit row is the decision."""
    event = repository.add(
        ModelEvent(
            task=task,
            action="rolled_back",
            version=to_version,
            previous_version=current,
            reason=reason,
            requested_by=requested_by,
            at=utc_now(),
        )
    )
    store.set_alias(task, CHAMPION, to_version)
    return event


def reconcile_champions(store: ModelStore, session: Session) -> list[ModelEvent]:
    """Point every audited task's champion alias back at the champion its audit trail names.

    A promotion moves the alias in the registry at once but its audit row commits with the
    caller's unit of work; a crash (or a failed commit) in between leaves a champion nobody
    decided, and a registry that failed after the row committed leaves the reverse. The
    committed audit trail is the record of decisions, so the service runs this on start:
    each task whose alias disagrees with its newest promotion or rollback gets that version
    back, recorded as a rollback by ``reconcile`` with the reason. Returns those events.
    """
    repository = ModelEventRepository(session)
    fixed = []
    for task in repository.audited_tasks():
        audited = repository.champion_changes(task)[0].version
        serving = store.champion_version(task)
        if serving == audited:
            continue
        event = _roll_back(
            store,
            repository,
            task,
            audited,
            serving,
            reason=f"the registry's champion (version {serving}) had no committed "
            f"decision; restored version {audited}, the last one recorded",
            requested_by="reconcile",
        )
        log.warning("registry.reconciled", task=task, serving=serving, audited=audited)
        fixed.append(event)
    return fixed


def audit_trail(session: Session, task: str, limit: int = 100) -> Sequence[ModelEvent]:
    return ModelEventRepository(session).for_task(task, limit)


# -- shadow scores ------------------------------------------------------------------


def shadow_metric(alias: str) -> str:
    """The ``metric`` label of a live error in ``opscast_model_error``: shadow_mae_<alias>."""
    return f"shadow_mae_{alias}"


def export_shadow_errors(session: Session, tasks: Iterable[str]) -> None:
    """Publish each task's live MAE of the versions last scored as champion and challenger."""
    repository = ShadowRepository(session)
    for task in tasks:
        errors = {row.version: row for row in repository.by_version(task)}
        for alias in (CHAMPION, CHALLENGER):
            version = repository.latest_version(task, alias)
            row = errors.get(version) if version is not None else None
            if row is not None and row.mae is not None:
                MODEL_ERROR.labels(task=task, metric=shadow_metric(alias)).set(row.mae)


@dataclass(frozen=True, slots=True)
class ShadowReport:
    task: str
    champion: int | None
    challenger: int | None
    versions: list[VersionErrors]
    paired: PairedErrors | None
    recent: Sequence[ShadowScore]


def shadow_report(store: ModelStore, session: Session, task: str, limit: int = 50) -> ShadowReport:
    """How the champion and the challenger of ``task`` did on observed periods.

    ``paired`` compares the two on the periods both forecast and both saw settle, the
    only comparison that is fair when they were scored over different stretches.
    """
    aliases = store.get_task(task).aliases  # NotFoundError for an unknown task
    champion, challenger = aliases.get(CHAMPION), aliases.get(CHALLENGER)
    repository = ShadowRepository(session)
    paired = (
        repository.paired(task, champion, challenger)
        if champion is not None and challenger is not None
        else None
    )
    return ShadowReport(
        task=task,
        champion=champion,
        challenger=challenger,
        versions=repository.by_version(task),
        paired=paired,
        recent=repository.recent(task, limit),
    )
