"""Every query of the alerting domain: rules, alerts, silences, outbox, feedback, cursors,
and the reads of other domains' rows that alerting watches (drift reports, retrain jobs,
stored anomalies, tickets linked to alerts)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from opscast.alerting.tables import (
    Alert,
    AlertRule,
    Delivery,
    DeliveryAttempt,
    Feedback,
    Silence,
    SourceCursor,
)
from opscast.drift_checks.tables import DriftReport
from opscast.jobs.tables import Job
from opscast.registry.tables import ShadowScore
from opscast.streaming.anomaly_tables import Anomaly
from opscast.tickets.tables import Ticket

OPEN_STATES = ("pending", "firing")
EPOCH = datetime(1970, 1, 1)
EVALUATION_TURN = "evaluation"
"""The cursor row every evaluation updates first (see ``take_evaluation_turn``)."""


def epoch_seconds(moment: datetime) -> int:
    """A naive UTC time as whole seconds, rounded up so the rows read are not read again."""
    return math.ceil((moment - EPOCH).total_seconds())


class AlertRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # -- rules ----------------------------------------------------------------------

    def rules(self) -> list[AlertRule]:
        return list(self.session.scalars(select(AlertRule).order_by(AlertRule.id)))

    def enabled_rules(self, kinds: Sequence[str]) -> list[AlertRule]:
        query = select(AlertRule).where(AlertRule.enabled, AlertRule.kind.in_(list(kinds)))
        return list(self.session.scalars(query.order_by(AlertRule.id)))

    def rules_of_kinds(self, kinds: Sequence[str]) -> list[AlertRule]:
        return list(self.session.scalars(select(AlertRule).where(AlertRule.kind.in_(kinds))))

    def rule(self, rule_id: int) -> AlertRule | None:
        return self.session.get(AlertRule, rule_id)

    def rule_named(self, name: str) -> AlertRule | None:
        return self.session.scalar(select(AlertRule).where(AlertRule.name == name))

    def add(self, row: Any) -> None:
        self.session.add(row)
        self.session.flush()

    def delete(self, row: Any) -> None:
        self.session.delete(row)
        self.session.flush()

    # -- alerts ---------------------------------------------------------------------

    def open_alerts(self, fingerprints: Sequence[str]) -> dict[str, Alert]:
        if not fingerprints:
            return {}
        rows = self.session.scalars(
            select(Alert).where(
                Alert.fingerprint.in_(list(fingerprints)), Alert.state.in_(OPEN_STATES)
            )
        )
        return {row.fingerprint: row for row in rows}

    def open_alerts_of_rules(self, rule_ids: Sequence[int]) -> list[Alert]:
        if not rule_ids:
            return []
        return list(
            self.session.scalars(
                select(Alert).where(Alert.rule_id.in_(list(rule_ids)), Alert.state.in_(OPEN_STATES))
            )
        )

    def alert(self, alert_id: int) -> Alert | None:
        return self.session.get(Alert, alert_id)

    def list_alerts(
        self,
        *,
        state: str | None,
        severity: str | None,
        rule: str | None,
        host: str | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Alert], int]:
        conditions = []
        if state is not None:
            conditions.append(Alert.state == state)
        if severity is not None:
            conditions.append(Alert.severity == severity)
        if rule is not None:
            conditions.append(Alert.rule == rule)
        if host is not None:
            conditions.append(Alert.host == host)
        where = and_(True, *conditions)
        total = self.session.scalar(select(func.count()).select_from(Alert).where(where)) or 0
        rows = self.session.scalars(
            select(Alert).where(where).order_by(Alert.id.desc()).limit(limit).offset(offset)
        )
        return list(rows), total

    def firing_by_severity(self) -> dict[str, int]:
        rows = self.session.execute(
            select(Alert.severity, func.count())
            .where(Alert.state == "firing")
            .group_by(Alert.severity)
        )
        return {str(severity): int(count) for severity, count in rows}

    def firing_resend_due(self, before: datetime) -> list[Alert]:
        """Firing, not silenced alerts last re-sent before ``before`` (or never)."""
        return list(
            self.session.scalars(
                select(Alert).where(
                    Alert.state == "firing",
                    Alert.silenced.is_(False),
                    or_(Alert.resent_at < before, Alert.resent_at.is_(None)),
                )
            )
        )

    def latest_ticket_of(self, fingerprint: str, statuses: Sequence[str]) -> Ticket | None:
        """The active ticket an earlier episode of this identity opened, if any."""
        return self.session.scalar(
            select(Ticket)
            .join(Alert, Alert.ticket_id == Ticket.id)
            .where(Alert.fingerprint == fingerprint, Ticket.status.in_(list(statuses)))
            .order_by(Ticket.id.desc())
            .limit(1)
        )

    # -- silences -------------------------------------------------------------------

    def active_silences(self, now: datetime) -> list[Silence]:
        return list(
            self.session.scalars(
                select(Silence).where(Silence.starts_at <= now, Silence.ends_at > now)
            )
        )

    # -- outbox ---------------------------------------------------------------------

    def deliveries_of(self, alert_id: int) -> list[Delivery]:
        return list(
            self.session.scalars(
                select(Delivery).where(Delivery.alert_id == alert_id).order_by(Delivery.id)
            )
        )

    def claim_delivery(self, delivery_id: int, now: datetime, until: datetime) -> bool:
        """Take a due delivery for this process until ``until``; False if another took it.

        One conditional UPDATE: of several processes reading the same due row, exactly
        one sees its row updated, and the others find it no longer due.
        """
        result = self.session.execute(
            update(Delivery)
            .where(
                Delivery.id == delivery_id,
                Delivery.status == "pending",
                Delivery.next_attempt_at <= now,
            )
            .values(next_attempt_at=until)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def due_deliveries(self, now: datetime, limit: int) -> list[Delivery]:
        return list(
            self.session.scalars(
                select(Delivery)
                .where(Delivery.status == "pending", Delivery.next_attempt_at <= now)
                .order_by(Delivery.next_attempt_at, Delivery.id)
                .limit(limit)
            )
        )

    def retry_given_up(self, now: datetime) -> int:
        """Failed deliveries go back to pending (on start): nothing is dropped for good."""
        result = self.session.execute(
            update(Delivery)
            .where(Delivery.status == "failed")
            .values(status="pending", next_attempt_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def attempts_of(self, delivery_id: int) -> list[DeliveryAttempt]:
        return list(
            self.session.scalars(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.delivery_id == delivery_id)
                .order_by(DeliveryAttempt.id)
            )
        )

    # -- feedback -------------------------------------------------------------------

    def anomaly(self, anomaly_id: int) -> Anomaly | None:
        return self.session.get(Anomaly, anomaly_id)

    def feedback_points(self, since: datetime | None) -> list[Feedback]:
        query = select(Feedback).where(Feedback.ds.is_not(None), Feedback.metric.is_not(None))
        if since is not None:
            query = query.where(Feedback.created_at >= since)
        return list(self.session.scalars(query.order_by(Feedback.id)))

    def rule_feedback_counts(self) -> list[tuple[str, int, int]]:
        return [
            (rule.name, rule.confirmed, rule.dismissed)
            for rule in self.session.scalars(select(AlertRule))
        ]

    # -- polled sources -------------------------------------------------------------

    def cursor(self, source: str) -> int | None:
        row = self.session.get(SourceCursor, source)
        return None if row is None else row.last_id

    def move_cursor(self, source: str, last_id: int) -> None:
        row = self.session.get(SourceCursor, source)
        if row is None:
            self.session.add(SourceCursor(source=source, last_id=last_id))
        else:
            row.last_id = last_id

    def take_evaluation_turn(self, now: datetime) -> None:
        """Write the evaluation row first thing, so evaluations on one database take turns.

        The write lock it takes (the row's on PostgreSQL, the database's on SQLite) is
        held until this unit of work ends: another process's evaluation waits here
        instead of reading the same alerts and cursors and acting on them twice.
        The row records when an evaluation last ran (epoch seconds).
        """
        stamp = epoch_seconds(now)
        result = self.session.execute(
            update(SourceCursor).where(SourceCursor.source == EVALUATION_TURN).values(last_id=stamp)
        )
        if not getattr(result, "rowcount", 0):
            self.add(SourceCursor(source=EVALUATION_TURN, last_id=stamp))

    def newest_ids(self, job_kind: str) -> dict[str, int]:
        """The newest drift report and the newest job of ``job_kind``, by id."""
        newest_job = select(func.max(Job.id)).where(Job.kind == job_kind)
        return {
            "drift": self.session.scalar(select(func.max(DriftReport.id))) or 0,
            "retrain": self.session.scalar(newest_job) or 0,
        }

    def newest_settled(self) -> datetime | None:
        return self.session.scalar(select(func.max(ShadowScore.settled_at)))

    def drift_reports_after(self, last_id: int, limit: int) -> list[DriftReport]:
        return list(
            self.session.scalars(
                select(DriftReport)
                .where(DriftReport.id > last_id)
                .order_by(DriftReport.id)
                .limit(limit)
            )
        )

    def shadow_tasks_settled_after(self, after: datetime) -> tuple[list[str], datetime | None]:
        """Tasks with shadow scores settled after ``after``, and the newest settle time."""
        newest = self.session.scalar(
            select(func.max(ShadowScore.settled_at)).where(ShadowScore.settled_at > after)
        )
        tasks = self.session.scalars(
            select(ShadowScore.task).where(ShadowScore.settled_at > after).distinct()
        )
        return sorted(tasks), newest

    def shadow_errors(self, task: str, limit: int) -> list[tuple[str, float]]:
        """(alias, absolute error) of the newest settled shadow scores of ``task``."""
        rows = self.session.execute(
            select(ShadowScore.alias, ShadowScore.abs_error)
            .where(ShadowScore.task == task, ShadowScore.abs_error.is_not(None))
            .order_by(ShadowScore.period_start.desc(), ShadowScore.id.desc())
            .limit(limit)
        )
        return [(str(alias), float(error)) for alias, error in rows if error is not None]

    def settled_champion_periods(self, task: str, limit: int) -> list[ShadowScore]:
        """The serving model's settled periods of ``task``, newest first per series."""
        return list(
            self.session.scalars(
                select(ShadowScore)
                .where(
                    ShadowScore.task == task,
                    ShadowScore.alias == "champion",
                    ShadowScore.abs_error.is_not(None),
                    ShadowScore.actual.is_not(None),
                )
                .order_by(
                    ShadowScore.unique_id, ShadowScore.period_start.desc(), ShadowScore.id.desc()
                )
                .limit(limit)
            )
        )

    def finished_jobs_after(self, kind: str, last_id: int, limit: int) -> list[Job]:
        """Finished jobs of ``kind`` with an id above ``last_id``, up to the first unfinished
        one (so a job still running is not skipped past)."""
        rows = list(
            self.session.scalars(
                select(Job).where(Job.kind == kind, Job.id > last_id).order_by(Job.id).limit(limit)
            )
        )
        done: list[Job] = []
        for job in rows:
            if job.status not in ("succeeded", "failed"):
                break
            done.append(job)
        return done
