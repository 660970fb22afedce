"""The ``retrain`` job: run the trainer of one target (or of every target) under guard.

A *target* is a family of registry tasks retrained together (``incidents`` retrains
every category at every granularity). Each domain contributes a trainer that fits its
challengers and hands them to ``registry.service.register_guarded``; this module only
dispatches, passes the policy's tolerance and progress reporting, and sums up outcomes.
``opscast_retrains_total`` is counted where a task's fate is known, once per task: a
promotion or refusal by ``register_guarded`` (whatever path asked for the training), a
failure or a skip (too little data) by the domain's training function.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from opscast.db import Database
from opscast.jobs.runner import JobContext
from opscast.observability import get_logger
from opscast.registry.service import GuardedOutcome
from opscast.registry.store import ModelStore
from opscast.retraining.repository import PolicyRepository

log = get_logger(__name__)

ALL_TARGETS = "all"
DEFAULT_TOLERANCE = 0.0


@dataclass(frozen=True, slots=True)
class RetrainRequest:
    """What a trainer gets: where models and data live, the guard, and a progress sink."""

    store: ModelStore
    database: Database
    tolerance: float
    requested_by: str
    params: Mapping[str, Any]
    progress: Callable[[float, str], None]


class Trainer(Protocol):
    def __call__(self, request: RetrainRequest) -> list[GuardedOutcome]: ...


class Retrainer:
    """The handler of ``retrain`` jobs; ``trainers`` maps target names to trainers."""

    def __init__(self, store: ModelStore, trainers: Mapping[str, Trainer]) -> None:
        self.store = store
        self.trainers = dict(trainers)

    @property
    def targets(self) -> list[str]:
        return sorted(self.trainers)

    def __call__(self, context: JobContext) -> dict[str, Any]:
        target = context.task or ALL_TARGETS
        names = self.targets if target == ALL_TARGETS else [target]
        unknown = [name for name in names if name not in self.trainers]
        if unknown:
            raise ValueError(f"no trainer for {unknown[0]!r}; known: {', '.join(self.targets)}")
        summary: list[dict[str, Any]] = []
        for index, name in enumerate(names):
            summary.extend(self._run_target(context, name, index, len(names)))
        promoted = sum(1 for row in summary if row["promoted"])
        return {
            "target": target,
            "promoted": promoted,
            "refused": len(summary) - promoted,
            "tasks": summary,
        }

    def _run_target(
        self, context: JobContext, name: str, index: int, count: int
    ) -> list[dict[str, Any]]:
        with context.database.session() as session:
            policy = PolicyRepository(session).get(name)
            tolerance = policy.tolerance if policy is not None else DEFAULT_TOLERANCE

        def progress(fraction: float, step: str) -> None:
            context.progress((index + min(1.0, max(0.0, fraction))) / count, f"{name}: {step}")

        outcomes = self.trainers[name](
            RetrainRequest(
                store=self.store,
                database=context.database,
                tolerance=tolerance,
                requested_by=f"job:{context.job_id}",
                params=context.params,
                progress=progress,
            )
        )
        rows = []
        for outcome in outcomes:
            status = "promoted" if outcome.promoted else "refused"
            rows.append(
                {
                    "task": outcome.version.task,
                    "version": outcome.version.version,
                    "model": outcome.version.model_name,
                    "promoted": outcome.promoted,
                    "previous_champion": outcome.previous_champion,
                    "reason": outcome.decision.reason,
                }
            )
            log.info("retrained", task=outcome.version.task, status=status)
        return rows
