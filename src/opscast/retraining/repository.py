"""Every query on retraining policies."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from opscast.retraining.tables import RetrainPolicy


class PolicyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, target: str) -> RetrainPolicy | None:
        return self.session.scalar(select(RetrainPolicy).where(RetrainPolicy.target == target))

    def all(self) -> Sequence[RetrainPolicy]:
        return self.session.scalars(select(RetrainPolicy).order_by(RetrainPolicy.target)).all()

    def add(self, policy: RetrainPolicy) -> RetrainPolicy:
        self.session.add(policy)
        self.session.flush()
        return policy

    def claim_drift_retrain(self, target: str, now: datetime, cooled_before: datetime) -> bool:
        """Record a drift-triggered retrain unless one happened after ``cooled_before``.

        One conditional UPDATE, so two drift checks flagging at once start one retrain.
        """
        claimed: CursorResult[Any] = self.session.execute(  # type: ignore[assignment]
            update(RetrainPolicy)
            .where(RetrainPolicy.target == target)
            .where(
                or_(
                    RetrainPolicy.last_drift_retrain_at.is_(None),
                    RetrainPolicy.last_drift_retrain_at <= cooled_before,
                )
            )
            .values(last_drift_retrain_at=now)
        )
        return claimed.rowcount == 1
