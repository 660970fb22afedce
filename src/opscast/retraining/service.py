"""Retraining policies and requests: manual, scheduled, and drift-triggered with a cooldown.

A drift signal that flaps (flagged, not flagged, flagged ...) must not retrain in a loop:
a drift-triggered retrain of a target starts at most once per cooldown, decided by one
conditional UPDATE so that concurrent drift checks agree. Manual requests are never
held back; they only join a retrain of the same target that is already queued.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from opscast.db import utc_now
from opscast.errors import InvalidInputError
from opscast.jobs.repository import JobRepository
from opscast.jobs.service import Submitted, set_schedule, submit_job
from opscast.retraining.repository import PolicyRepository
from opscast.retraining.retrainer import ALL_TARGETS, DEFAULT_TOLERANCE
from opscast.retraining.tables import RetrainPolicy

RETRAIN_JOB = "retrain"
DEFAULT_COOLDOWN_MINUTES = 360


class PolicyMode(StrEnum):
    manual = "manual"
    scheduled = "scheduled"
    drift = "drift"


DEFAULT_MODE = PolicyMode.drift


def _check_target(target: str, known: Sequence[str], *, allow_all: bool = False) -> None:
    if target in known or (allow_all and target == ALL_TARGETS):
        return
    choices = [*sorted(known), *([ALL_TARGETS] if allow_all else [])]
    raise InvalidInputError(
        f"no retraining target {target!r}; choose from {', '.join(choices) or 'none'}",
        field="target",
    )


def schedule_name(target: str) -> str:
    return f"retrain-{target}"


def policy_or_default(session: Session, target: str) -> RetrainPolicy:
    """The stored policy, or an unsaved one with the defaults."""
    stored = PolicyRepository(session).get(target)
    if stored is not None:
        return stored
    return RetrainPolicy(
        target=target,
        mode=DEFAULT_MODE.value,
        cron=None,
        cooldown_minutes=DEFAULT_COOLDOWN_MINUTES,
        tolerance=DEFAULT_TOLERANCE,
        updated_at=utc_now(),
    )


def list_policies(session: Session, known: Sequence[str]) -> list[RetrainPolicy]:
    return [policy_or_default(session, target) for target in sorted(known)]


def set_policy(
    session: Session,
    target: str,
    *,
    mode: PolicyMode,
    known: Sequence[str],
    cron: str | None = None,
    cooldown_minutes: int = DEFAULT_COOLDOWN_MINUTES,
    tolerance: float = DEFAULT_TOLERANCE,
) -> RetrainPolicy:
    _check_target(target, known)
    if (mode is PolicyMode.scheduled) != (cron is not None):
        raise InvalidInputError(
            "a scheduled policy needs a cron expression, and only a scheduled one takes it",
            field="cron",
        )
    repository = PolicyRepository(session)
    policy = repository.get(target)
    if policy is None:
        policy = repository.add(policy_or_default(session, target))
    policy.mode = mode.value
    policy.cron = cron
    policy.cooldown_minutes = cooldown_minutes
    policy.tolerance = tolerance
    policy.updated_at = utc_now()
    if mode is PolicyMode.scheduled:
        assert cron is not None
        policy.cron = set_schedule(
            session,
            name=schedule_name(target),
            kind=RETRAIN_JOB,
            task=target,
            cron=cron,
            known_kinds=[RETRAIN_JOB],
        ).cron
    else:
        stale = JobRepository(session).schedule(schedule_name(target))
        if stale is not None:
            stale.enabled = False
    return policy


def request_retrain(
    session: Session,
    target: str,
    *,
    known: Sequence[str],
    requested_by: str,
    params: dict[str, Any] | None = None,
) -> Submitted:
    """Queue a retrain of ``target`` (or ``all``); a queued or running twin is reused."""
    _check_target(target, known, allow_all=True)
    return submit_job(
        session, kind=RETRAIN_JOB, task=target, params=params or {}, requested_by=requested_by
    )


@dataclass(frozen=True, slots=True)
class DriftResponse:
    """What a drift check did about retraining: the job it queued, or why it did not."""

    job_id: int | None
    reason: str


def retrain_on_drift(
    session: Session,
    target: str,
    *,
    known: Sequence[str],
    requested_by: str,
    reason: str,
    now: datetime | None = None,
) -> DriftResponse:
    if target not in known:
        return DriftResponse(None, f"{target!r} has no trainer; nothing to retrain")
    policy = policy_or_default(session, target)
    if policy.mode != PolicyMode.drift.value:
        return DriftResponse(
            None, f"the {target} retraining policy is {policy.mode}; drift does not trigger it"
        )
    repository = PolicyRepository(session)
    if repository.get(target) is None:
        repository.add(policy)
    moment = now or utc_now()
    cooled_before = moment - timedelta(minutes=policy.cooldown_minutes)
    if not repository.claim_drift_retrain(target, moment, cooled_before):
        return DriftResponse(
            None,
            f"a drift-triggered retrain of {target} already started at "
            f"{policy.last_drift_retrain_at:%Y-%m-%d %H:%M} UTC; cooldown "
            f"{policy.cooldown_minutes} min",
        )
    submitted = submit_job(
        session,
        kind=RETRAIN_JOB,
        task=target,
        params={"reason": reason},
        requested_by=requested_by,
    )
    return DriftResponse(submitted.job.id, f"retrain of {target} queued as job {submitted.job.id}")
