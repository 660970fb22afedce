"""Run every target's drift check on the stored data and queue the retrains that drifted.

What ``opscast retrain --if-drift`` (the scheduled workflow) does first: without it,
that command only ran retrains some earlier check had queued, and a schedule with no
other drift source never retrained anything. A target contributes a check in
``catalog.drift_checks``; a target without one is reported as not checked rather than
silently passed. A drifted target is queued through ``retrain_on_drift``, so its
policy (mode, cooldown) decides as it does for any other drift signal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from opscast.db import Database
from opscast.observability import get_logger
from opscast.registry.store import ModelStore
from opscast.retraining.service import retrain_on_drift

log = get_logger(__name__)

REQUESTED_BY = "drift:scheduled-check"


@dataclass(frozen=True, slots=True)
class DriftVerdict:
    drifted: bool
    reason: str


class DriftCheck(Protocol):
    def __call__(self, store: ModelStore, database: Database, /) -> DriftVerdict: ...


def run_drift_checks(
    store: ModelStore,
    database: Database,
    checks: Mapping[str, DriftCheck],
    known: Sequence[str],
) -> list[dict[str, Any]]:
    """One row per known target: checked or not, drifted or not, and what was queued."""
    rows: list[dict[str, Any]] = []
    for target in sorted(known):
        check = checks.get(target)
        if check is None:
            rows.append({"target": target, "checked": False, "reason": "no drift check"})
            continue
        try:
            verdict = check(store, database)
        except Exception as exc:  # one broken check must not hide the others' drift
            log.warning("drift check failed", target=target, exc_info=exc)
            rows.append({"target": target, "checked": False, "reason": f"check failed: {exc}"})
            continue
        row: dict[str, Any] = {
            "target": target,
            "checked": True,
            "drifted": verdict.drifted,
            "reason": verdict.reason,
        }
        if verdict.drifted:
            with database.session() as session:
                response = retrain_on_drift(
                    session,
                    target,
                    known=known,
                    requested_by=REQUESTED_BY,
                    reason=verdict.reason,
                )
            row["job_id"], row["retrain"] = response.job_id, response.reason
        rows.append(row)
    return rows
