"""Every query on the registry's audit trail and on the shadow scores."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session, aliased

from opscast.registry.tables import ModelEvent, ShadowScore


class ModelEventRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, event: ModelEvent) -> ModelEvent:
        self.session.add(event)
        self.session.flush()
        return event

    def for_task(self, task: str, limit: int = 100) -> Sequence[ModelEvent]:
        return self.session.scalars(
            select(ModelEvent)
            .where(ModelEvent.task == task)
            .order_by(ModelEvent.id.desc())
            .limit(limit)
        ).all()

    def audited_tasks(self) -> Sequence[str]:
        """Tasks with at least one promotion or rollback recorded."""
        return self.session.scalars(
            select(ModelEvent.task)
            .where(ModelEvent.action.in_(("promoted", "rolled_back")))
            .distinct()
            .order_by(ModelEvent.task)
        ).all()

    def champion_changes(self, task: str) -> Sequence[ModelEvent]:
        """Promotions and rollbacks of ``task``, newest first: the champion's history."""
        return self.session.scalars(
            select(ModelEvent)
            .where(ModelEvent.task == task, ModelEvent.action.in_(("promoted", "rolled_back")))
            .order_by(ModelEvent.id.desc())
        ).all()


@dataclass(frozen=True, slots=True)
class VersionErrors:
    """A version's shadow record: periods forecast, periods observed since, their errors."""

    version: int
    scored: int
    settled: int
    mae: float | None
    rmse: float | None


@dataclass(frozen=True, slots=True)
class PairedErrors:
    """Two versions' mean absolute errors on the periods both forecast and both saw settle."""

    periods: int
    first_mae: float | None
    second_mae: float | None


class ShadowRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add_new(self, scores: Sequence[ShadowScore]) -> int:
        """Store the scores not stored yet (same task, version, series and period); how many."""
        if not scores:
            return 0
        keys = {(s.task, s.version, s.unique_id, s.period_start) for s in scores}
        columns = (
            ShadowScore.task,
            ShadowScore.version,
            ShadowScore.unique_id,
            ShadowScore.period_start,
        )
        stored = set(
            self.session.execute(select(*columns).where(tuple_(*columns).in_(list(keys)))).all()
        )
        fresh = [
            s for s in scores if (s.task, s.version, s.unique_id, s.period_start) not in stored
        ]
        self.session.add_all(fresh)
        self.session.flush()
        return len(fresh)

    def unsettled(self, unique_id: str, observed_until: datetime) -> Sequence[ShadowScore]:
        """Scores of ``unique_id`` whose whole period lies before ``observed_until``."""
        return self.session.scalars(
            select(ShadowScore)
            .where(
                ShadowScore.unique_id == unique_id,
                ShadowScore.settled_at.is_(None),
                ShadowScore.period_end <= observed_until,
            )
            .order_by(ShadowScore.period_start)
        ).all()

    def by_version(self, task: str) -> list[VersionErrors]:
        """Every version of ``task`` with shadow scores, newest first."""
        settled = ShadowScore.settled_at.is_not(None)
        error = ShadowScore.abs_error
        rows = self.session.execute(
            select(
                ShadowScore.version,
                func.count(),
                func.count(ShadowScore.settled_at),
                func.avg(error).filter(settled),
                func.avg(error * error).filter(settled),
            )
            .where(ShadowScore.task == task)
            .group_by(ShadowScore.version)
            .order_by(ShadowScore.version.desc())
        ).all()
        return [
            VersionErrors(
                version=int(version),
                scored=int(scored),
                settled=int(settled_count),
                mae=None if mae is None else float(mae),
                rmse=None if mse is None else float(mse) ** 0.5,
            )
            for version, scored, settled_count, mae, mse in rows
        ]

    def latest_version(self, task: str, alias: str) -> int | None:
        """The version most recently scored under ``alias``."""
        return self.session.scalar(
            select(ShadowScore.version)
            .where(ShadowScore.task == task, ShadowScore.alias == alias)
            .order_by(ShadowScore.predicted_at.desc(), ShadowScore.version.desc())
            .limit(1)
        )

    def paired(self, task: str, first: int, second: int) -> PairedErrors:
        """Mean absolute errors of two versions over the settled periods they share."""
        a, b = aliased(ShadowScore), aliased(ShadowScore)
        periods, first_mae, second_mae = self.session.execute(
            select(func.count(), func.avg(a.abs_error), func.avg(b.abs_error))
            .select_from(a)
            .join(
                b,
                (b.task == a.task)
                & (b.unique_id == a.unique_id)
                & (b.period_start == a.period_start),
            )
            .where(
                a.task == task,
                a.version == first,
                b.version == second,
                a.settled_at.is_not(None),
                b.settled_at.is_not(None),
            )
        ).one()
        return PairedErrors(
            periods=int(periods),
            first_mae=None if first_mae is None else float(first_mae),
            second_mae=None if second_mae is None else float(second_mae),
        )

    def recent(self, task: str, limit: int) -> Sequence[ShadowScore]:
        return self.session.scalars(
            select(ShadowScore)
            .where(ShadowScore.task == task)
            .order_by(ShadowScore.period_start.desc(), ShadowScore.version.desc())
            .limit(limit)
        ).all()
