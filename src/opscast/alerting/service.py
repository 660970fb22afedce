"""Alerting use cases: judge observations against rules, keep each alert's lifecycle,
queue its notifications, open and close its ticket, and take engineers' feedback.

Nothing here commits and nothing here sends: notifications become outbox rows in the
caller's unit of work (``delivery.py`` sends them), so an alert change and the
notifications it causes are stored together or not at all.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from opscast.alerting.channels.base import AlertView, Channel, Notification
from opscast.alerting.feedback import adjusted_threshold, precision
from opscast.alerting.fingerprint import fingerprint, group_key, matches
from opscast.alerting.lifecycle import Episode, Event, Timing, step
from opscast.alerting.observations import Observation
from opscast.alerting.repository import AlertRepository
from opscast.alerting.rules import stored_values
from opscast.alerting.schemas import (
    AckIn,
    AlertDetail,
    AlertOut,
    DeliveryOut,
    FeedbackIn,
    ResolveIn,
    RuleIn,
    RuleOut,
    SilenceIn,
    seconds,
)
from opscast.alerting.severity import holds, severity_of
from opscast.alerting.tables import Alert, AlertRule, Delivery, Feedback, Silence
from opscast.db import utc_now
from opscast.errors import ConflictError, NotFoundError
from opscast.observability import ALERTS, ALERTS_FIRING, RULE_PRECISION, get_logger

log = get_logger(__name__)
ACTOR = "opscast-alerting"
STREAM_KINDS = ("anomaly_score", "time_to_failure")
"""Rule kinds whose source reports with every batch of the stream, so its silence means
the series stopped reporting (drift reports, retrain jobs and shadow scores come when
they come: their alerts wait for the next report)."""
SEEN_AT = "seen_at"
"""The detail holding the wall-clock time the alert last received evidence."""


@dataclass(frozen=True, slots=True)
class Dispatch:
    """Where notifications go: the configured channels, and tickets when ``scoring`` is set."""

    channels: Mapping[str, Channel]
    scoring: Any = None
    base_url: str = ""


# -- rules ------------------------------------------------------------------------------


def rule_out(rule: AlertRule) -> RuleOut:
    return RuleOut.model_validate(
        {
            **{
                column: getattr(rule, column)
                for column in RuleOut.model_fields
                if column != "precision"
            },
            "precision": precision(rule.confirmed, rule.dismissed),
        }
    )


def sync_rules(session: Session, rules: Sequence[RuleIn]) -> list[str]:
    """Store the file's rules: new names are added, and a stored rule that still says
    what an earlier file said (origin ``file``: no edit or feedback has touched it) takes
    the file's current values, so an upgrade that retunes a shipped rule reaches
    databases stored before it. Rules changed through the API are left alone.
    Returns the names added or refreshed."""
    repository = AlertRepository(session)
    stored = {rule.name: rule for rule in repository.rules()}
    now = utc_now()
    written = []
    for rule in rules:
        values = stored_values(rule)
        row = stored.get(rule.name)
        if row is None:
            repository.add(AlertRule(**values, origin="file", created_at=now, updated_at=now))
        elif row.origin == "file" and any(getattr(row, k) != v for k, v in values.items()):
            for column, value in values.items():
                setattr(row, column, value)
            row.updated_at = now
            session.flush()
        else:
            continue
        written.append(rule.name)
    return written


def list_rules(session: Session) -> list[AlertRule]:
    return AlertRepository(session).rules()


def get_rule(session: Session, rule_id: int) -> AlertRule:
    rule = AlertRepository(session).rule(rule_id)
    if rule is None:
        raise NotFoundError(f"no alert rule {rule_id}; GET /alerts/rules lists them")
    return rule


def create_rule(session: Session, body: RuleIn) -> AlertRule:
    repository = AlertRepository(session)
    if repository.rule_named(body.name) is not None:
        raise ConflictError(f"a rule named {body.name!r} exists; PUT /alerts/rules/{{id}} edits it")
    now = utc_now()
    rule = AlertRule(**stored_values(body), origin="api", created_at=now, updated_at=now)
    repository.add(rule)
    return rule


def replace_rule(session: Session, rule_id: int, body: RuleIn) -> AlertRule:
    repository = AlertRepository(session)
    rule = get_rule(session, rule_id)
    other = repository.rule_named(body.name)
    if other is not None and other.id != rule.id:
        raise ConflictError(f"another rule is named {body.name!r}; pick another name")
    for column, value in stored_values(body).items():
        setattr(rule, column, value)
    rule.origin = "api"  # the rules file no longer refreshes it
    rule.updated_at = utc_now()
    session.flush()
    return rule


def delete_rule(session: Session, rule_id: int) -> None:
    """Its alerts stay in the history (their rule name is kept)."""
    AlertRepository(session).delete(get_rule(session, rule_id))


# -- evaluation -------------------------------------------------------------------------


def timing(rule: AlertRule) -> Timing:
    return Timing(
        for_=timedelta(seconds=rule.for_seconds),
        cooldown=timedelta(seconds=rule.cooldown_seconds),
        resolve_after=timedelta(seconds=rule.resolve_after_seconds),
    )


def episode_of(alert: Alert) -> Episode:
    return Episode(
        state=alert.state,
        started_at=alert.started_at,
        last_active_at=alert.last_active_at,
        fired_at=alert.fired_at,
        last_notified_at=alert.last_notified_at,
        resolved_at=alert.resolved_at,
    )


def silenced(silences: Sequence[Silence], labels: Mapping[str, str]) -> bool:
    return any(matches(silence.matchers, labels) for silence in silences)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What an evaluation queued, and the firing critical alerts that want a ticket.

    Tickets are opened after the evaluation's unit of work commits (``open_tickets``):
    the first ticket may train the ticket classifier, which must not happen while
    this unit of work holds the database's write lock.
    """

    notified: list[tuple[Alert, Event]]
    want_ticket: list[int]


def evaluate(session: Session, observations: Sequence[Observation], dispatch: Dispatch) -> Outcome:
    """Apply each observation to every enabled rule of its kind that matches its labels.

    Observations are applied in time order, so a batch holding several estimates of
    one series steps its alert in turn.
    """
    if not observations:
        return Outcome([], [])
    repository = AlertRepository(session)
    rules = repository.enabled_rules(sorted({obs.kind for obs in observations}))
    if not rules:
        return Outcome([], [])
    wall = utc_now()
    silences = repository.active_silences(wall)
    candidates: list[tuple[Observation, AlertRule, dict[str, str]]] = []
    for obs in sorted(observations, key=lambda o: o.at):
        for rule in rules:
            if rule.kind == obs.kind and matches(rule.match, obs.labels):
                labels = {"alertname": rule.name, **obs.labels, **rule.labels}
                candidates.append((obs, rule, labels))
    alerts = repository.open_alerts([fingerprint(labels) for _, _, labels in candidates])
    queued: list[tuple[Alert, AlertRule, Event]] = []
    want_ticket: set[int] = set()
    for obs, rule, labels in candidates:
        changed = _step_alert(session, alerts, obs, rule, labels, silences, dispatch)
        if changed is not None:
            queued.append((changed[0], rule, changed[1]))
        alert = alerts.get(fingerprint(labels))
        if (
            alert is not None
            and rule.open_ticket
            and alert.state == "firing"
            and alert.severity == "critical"
            and alert.ticket_id is None
        ):
            want_ticket.add(alert.id)
    session.flush()
    enqueue_grouped(session, queued, dispatch, wall)
    refresh_firing_gauge(session)
    return Outcome([(alert, event) for alert, _, event in queued], sorted(want_ticket))


def _step_alert(
    session: Session,
    alerts: dict[str, Alert],
    obs: Observation,
    rule: AlertRule,
    labels: dict[str, str],
    silences: Sequence[Silence],
    dispatch: Dispatch,
) -> tuple[Alert, Event] | None:
    """One observation applied to one rule's alert of that identity; the notification due."""
    repository = AlertRepository(session)
    identity = fingerprint(labels)
    alert = alerts.get(identity)
    active = (
        not obs.cleared
        and obs.eligible
        and not math.isnan(obs.value)
        and holds(rule.op, obs.value, rule.threshold)
    )
    after, event = step(None if alert is None else episode_of(alert), active, obs.at, timing(rule))
    if after is None:
        if alert is not None:  # a pending alert whose condition cleared: it never was
            repository.delete(alert)
            alerts.pop(identity, None)
        return None
    if alert is None:
        alert = new_alert(rule, labels, identity, obs, utc_now())
        repository.add(alert)
        alerts[identity] = alert
    if active:
        observe(alert, rule, obs)
    apply_episode(alert, after, utc_now())
    alert.details = {**alert.details, SEEN_AT: alert.updated_at.isoformat()}
    alert.silenced = silenced(silences, {**alert.labels, "severity": alert.severity})
    if after.state == "resolved":
        alerts.pop(identity, None)
    if event is Event.resolved:
        close_ticket(session, alert, dispatch, "the condition cleared")
    return None if event is None else (alert, event)


def new_alert(
    rule: AlertRule, labels: dict[str, str], identity: str, obs: Observation, now: datetime
) -> Alert:
    return Alert(
        fingerprint=identity,
        rule_id=rule.id,
        rule=rule.name,
        state="pending",
        severity=rule.default_severity,
        host=labels.get("host"),
        labels=labels,
        group_key=group_key(rule.name, labels, rule.group_by),
        summary=obs.summary or rule.description,
        action=obs.action or rule.action,
        value=obs.value,
        details={},
        silenced=False,
        started_at=obs.at,
        last_active_at=obs.at,
        notifications=0,
        updated_at=now,
    )


def observe(alert: Alert, rule: AlertRule, obs: Observation) -> None:
    """The newest evidence of an active alert: value, sentence, severity."""
    alert.value = obs.value
    alert.summary = obs.summary or alert.summary
    alert.action = obs.action or rule.action or alert.action
    evidence = {"value": obs.value, **obs.evidence}
    alert.severity = severity_of(rule.severity, evidence, rule.default_severity)
    alert.details = {
        **alert.details,
        "evidence": {**obs.details, **obs.evidence, "at": obs.at.isoformat()},
        "threshold": {"op": rule.op, "value": rule.threshold},
    }


def apply_episode(alert: Alert, episode: Episode, now: datetime) -> None:
    alert.state = episode.state
    alert.started_at = episode.started_at
    alert.last_active_at = episode.last_active_at
    alert.fired_at = episode.fired_at
    alert.last_notified_at = episode.last_notified_at
    alert.resolved_at = episode.resolved_at
    alert.updated_at = now


def view(alert: Alert) -> AlertView:
    return AlertView(
        id=alert.id,
        fingerprint=alert.fingerprint,
        rule=alert.rule,
        severity=alert.severity,
        labels=dict(alert.labels),
        summary=alert.summary,
        action=alert.action,
        value=alert.value,
        starts_at=alert.fired_at or alert.started_at,
        ends_at=alert.resolved_at,
        ticket_id=alert.ticket_id,
    )


def wanted_channels(rule: AlertRule | None, dispatch: Dispatch) -> list[str]:
    names = ["all"] if rule is None else rule.channels
    if "all" in names:
        return list(dispatch.channels)
    return [name for name in names if name in dispatch.channels]


def enqueue_grouped(
    session: Session,
    queued: Sequence[tuple[Alert, AlertRule | None, Event]],
    dispatch: Dispatch,
    now: datetime,
) -> None:
    """One notification per group and event (Alertmanager's grouping), silenced alerts left out."""
    groups: dict[tuple[str, str], list[tuple[Alert, AlertRule | None]]] = defaultdict(list)
    for alert, rule, event in queued:
        if alert.silenced:
            continue
        kind = "resolved" if event is Event.resolved else event.value
        groups[(alert.group_key, kind)].append((alert, rule))
        alert.notifications += 1
    for (key, kind), members in groups.items():
        rule = members[0][1]
        notification = Notification(
            event="resolved" if kind == "resolved" else "firing",
            group_key=key,
            alerts=tuple(view(alert) for alert, _ in members),
            base_url=dispatch.base_url,
        )
        for name in wanted_channels(rule, dispatch):
            for payload in dispatch.channels[name].render(notification):
                session.add(
                    Delivery(
                        alert_id=members[0][0].id,
                        channel=name,
                        event=kind,
                        payload=payload,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
    session.flush()


def count_from_zero(session: Session, dispatch: Dispatch) -> None:
    """Export every series ``opscast_alerts_total`` can take at 0, before any is counted.

    Prometheus' ``increase`` and ``rate`` read a series' first sample as its start, so a
    series born at 1 shows no increase at all: the first alert of a rule, severity and
    channel would be missing from the "alerts sent" panels. One series per rule, each
    severity its policy can give, and each channel it notifies.
    """
    for rule in AlertRepository(session).rules():
        severities = {rule.default_severity, *(str(entry["severity"]) for entry in rule.severity)}
        for channel in wanted_channels(rule, dispatch):
            for severity in severities:
                ALERTS.labels(rule=rule.name, severity=severity, channel=channel)


def refresh_firing_gauge(session: Session) -> None:
    counts = AlertRepository(session).firing_by_severity()
    for severity in ("critical", "warning", "info"):
        ALERTS_FIRING.labels(severity=severity).set(counts.get(severity, 0))


# -- tickets ----------------------------------------------------------------------------


def open_tickets(session: Session, alert_ids: Sequence[int], dispatch: Dispatch) -> list[int]:
    """Open (or reuse) the ticket of each alert still firing; the ticket ids."""
    if dispatch.scoring is None or not alert_ids:
        return []
    dispatch.scoring.serving(session)  # the classifier, trained now if there is none
    # after the evaluation's turn: another worker's open_tickets on the same alert has
    # committed its ticket, which open_ticket then finds and does not open twice
    AlertRepository(session).take_evaluation_turn(utc_now())
    opened = []
    for alert_id in alert_ids:
        alert = AlertRepository(session).alert(alert_id)
        if alert is not None and alert.state == "firing":
            open_ticket(session, alert, dispatch)
            if alert.ticket_id is not None:
                opened.append(alert.ticket_id)
    session.flush()
    return opened


def open_ticket(session: Session, alert: Alert, dispatch: Dispatch) -> None:
    """One ticket per alert identity: reuse the one an earlier episode left open."""
    if alert.ticket_id is not None or dispatch.scoring is None:
        return
    from opscast.tickets import service as tickets
    from opscast.tickets.schemas import TicketCreate, TicketSource, TicketUpdate
    from opscast.tickets.workflow import ACTIVE

    repository = AlertRepository(session)
    existing = repository.latest_ticket_of(alert.fingerprint, [status.value for status in ACTIVE])
    if existing is not None:
        alert.ticket_id = existing.id
        tickets.update_ticket(
            session,
            existing.id,
            TicketUpdate(actor=ACTOR, note=f"alert {alert.id} fired again: {alert.summary}"),
            dispatch.scoring,
        )
        return
    link = f"{dispatch.base_url}/alerts/{alert.id}" if dispatch.base_url else f"alert {alert.id}"
    description = f"{alert.summary}.\n\nRecommended action: {alert.action}\n\nOpened by {link}."
    ticket = tickets.create_ticket(
        session,
        TicketCreate(
            title=f"[{alert.severity}] {alert.summary}"[:200],
            description=description[:10_000],
            impact=1,
            urgency=1,
            source=TicketSource.alert,
            alert_id=str(alert.id),
        ),
        dispatch.scoring,
        actor=ACTOR,
    )
    alert.ticket_id = ticket.id


def close_ticket(session: Session, alert: Alert, dispatch: Dispatch, why: str) -> None:
    """Resolve the alert's ticket with a note; a ticket a person closed only stays closed."""
    if alert.ticket_id is None or dispatch.scoring is None:
        return
    from opscast.tickets import service as tickets
    from opscast.tickets.schemas import TicketUpdate
    from opscast.tickets.workflow import TicketStatus

    note = f"alert {alert.id} resolved: {why}"
    try:
        tickets.update_ticket(
            session,
            alert.ticket_id,
            TicketUpdate(status=TicketStatus.resolved, actor=ACTOR, note=note),
            dispatch.scoring,
        )
    except (ConflictError, NotFoundError) as exc:
        log.info("alert.ticket_left", alert=alert.id, ticket=alert.ticket_id, reason=str(exc))


# -- history and actions ----------------------------------------------------------------


def list_alerts(
    session: Session,
    *,
    state: str | None = None,
    severity: str | None = None,
    rule: str | None = None,
    host: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Alert], int]:
    return AlertRepository(session).list_alerts(
        state=state, severity=severity, rule=rule, host=host, limit=limit, offset=offset
    )


def get_alert(session: Session, alert_id: int) -> Alert:
    alert = AlertRepository(session).alert(alert_id)
    if alert is None:
        raise NotFoundError(f"no alert {alert_id}; GET /alerts lists them")
    return alert


def deliveries(session: Session, alert_id: int) -> list[Delivery]:
    return AlertRepository(session).deliveries_of(alert_id)


def alert_detail(session: Session, alert_id: int) -> AlertDetail:
    """One alert with its evidence, feedback and every delivery (``GET /alerts/{id}``)."""
    alert = get_alert(session, alert_id)
    return AlertDetail.model_validate(
        {
            **AlertOut.model_validate(alert).model_dump(),
            "details": alert.details,
            "group_key": alert.group_key,
            "deliveries": [
                DeliveryOut.model_validate(row) for row in deliveries(session, alert_id)
            ],
        }
    )


def acknowledge(session: Session, alert_id: int, body: AckIn) -> Alert:
    alert = get_alert(session, alert_id)
    if alert.state == "resolved":
        raise ConflictError(f"alert {alert_id} is resolved; there is nothing to acknowledge")
    alert.acknowledged_at = utc_now()
    alert.acknowledged_by = body.by
    alert.updated_at = alert.acknowledged_at
    session.flush()
    return alert


def resolve(session: Session, alert_id: int, body: ResolveIn, dispatch: Dispatch) -> Alert:
    """A person resolved it: notified as resolved and its ticket resolved too."""
    alert = get_alert(session, alert_id)
    if alert.state == "resolved":
        raise ConflictError(f"alert {alert_id} is already resolved")
    now = utc_now()
    rule = AlertRepository(session).rule(alert.rule_id) if alert.rule_id else None
    why = body.reason or f"resolved by {body.by or 'a person'}"
    close_now(session, [(alert, rule)], dispatch, now, by=body.by, why=why)
    refresh_firing_gauge(session)
    return alert


def close_now(
    session: Session,
    alerts: Sequence[tuple[Alert, AlertRule | None]],
    dispatch: Dispatch,
    now: datetime,
    *,
    by: str | None,
    why: str,
) -> None:
    """Resolve open alerts whatever their condition: tickets resolved, firing ones notified."""
    notify: list[tuple[Alert, AlertRule | None, Event]] = []
    for alert, rule in alerts:
        if alert.state == "firing":
            notify.append((alert, rule, Event.resolved))
        alert.state = "resolved"
        alert.resolved_at = max(now, alert.last_active_at)
        alert.updated_at = now
        alert.details = {
            **alert.details,
            "resolved_by": {"by": by, "reason": why, "at": now.isoformat()},
        }
        close_ticket(session, alert, dispatch, why)
    enqueue_grouped(session, notify, dispatch, now)


def stale_alerts(
    session: Session, now: datetime, stale_after: timedelta
) -> list[tuple[Alert, AlertRule | None]]:
    """Open alerts of stream-fed rules without evidence for the longer of their rule's
    ``resolve_after`` and ``stale_after`` of wall-clock time (read only)."""
    repository = AlertRepository(session)
    rules = {rule.id: rule for rule in repository.rules_of_kinds(STREAM_KINDS)}
    stale: list[tuple[Alert, AlertRule | None]] = []
    for alert in repository.open_alerts_of_rules(list(rules)):
        rule = rules[alert.rule_id] if alert.rule_id is not None else None
        wait = max(stale_after, timedelta(seconds=rule.resolve_after_seconds if rule else 0))
        if now - seen_at(alert) >= wait:
            stale.append((alert, rule))
    return stale


def sweep_stale(
    session: Session, dispatch: Dispatch, now: datetime, stale_after: timedelta
) -> list[Alert]:
    """Resolve the open alerts of stream-fed rules whose series stopped reporting.

    An alert whose evidence stopped arriving (the host went away, its exporter died)
    would otherwise stay firing for ever, since only new evidence steps it. Past the
    wait of ``stale_alerts``, a firing alert resolves (notified, its ticket resolved)
    and a pending one is dropped. Returns the alerts resolved.
    """
    repository = AlertRepository(session)
    firing: list[tuple[Alert, AlertRule | None]] = []
    for alert, rule in stale_alerts(session, now, stale_after):
        if alert.state == "pending":
            repository.delete(alert)
        else:
            firing.append((alert, rule))
    why = f"no evidence for {humane(stale_after)} or more: its source stopped reporting"
    close_now(session, firing, dispatch, now, by=ACTOR, why=why)
    refresh_firing_gauge(session)
    return [alert for alert, _ in firing]


def seen_at(alert: Alert) -> datetime:
    """When the alert last received evidence (wall clock); older rows: their last update."""
    stamp = alert.details.get(SEEN_AT)
    return datetime.fromisoformat(stamp) if isinstance(stamp, str) else alert.updated_at


def humane(span: timedelta) -> str:
    minutes = round(span.total_seconds() / 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:g} h"


def create_silence(session: Session, body: SilenceIn) -> Silence:
    now = utc_now()
    silence = Silence(
        matchers=dict(body.matchers),
        starts_at=now,
        ends_at=now + timedelta(seconds=seconds(body.duration)),
        created_by=body.created_by,
        comment=body.comment,
    )
    AlertRepository(session).add(silence)
    return silence


# -- feedback ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    feedback: Feedback
    rule: AlertRule | None
    threshold_before: float | None
    threshold_after: float | None


def tune(rule: AlertRule, verdict: str) -> tuple[float, float, str]:
    if verdict == "confirm":
        rule.confirmed += 1
    else:
        rule.dismissed += 1
    change = adjusted_threshold(
        rule.op, rule.threshold, rule.threshold_min, rule.threshold_max, verdict
    )
    rule.threshold = change.after
    rule.origin = "api"  # tuned by feedback: the rules file no longer refreshes it
    rule.updated_at = utc_now()
    share = precision(rule.confirmed, rule.dismissed)
    if share is not None:
        RULE_PRECISION.labels(rule=rule.name).set(share)
    return change.before, change.after, change.reason


def alert_feedback(session: Session, alert_id: int, body: FeedbackIn) -> FeedbackResult:
    """The verdict counts towards the rule's precision and moves its threshold."""
    repository = AlertRepository(session)
    alert = get_alert(session, alert_id)
    rule = repository.rule(alert.rule_id) if alert.rule_id is not None else None
    now = utc_now()
    before = after = None
    reason = "the rule no longer exists; only the verdict is recorded"
    if rule is not None:
        before, after, reason = tune(rule, body.verdict.value)
    evidence = alert.details.get("evidence", {})
    stamp = evidence.get("timestamp") or evidence.get("at")
    feedback = Feedback(
        alert_id=alert.id,
        rule=alert.rule,
        host=alert.labels.get("host"),
        metric=alert.labels.get("metric"),
        ds=datetime.fromisoformat(stamp).replace(tzinfo=None) if stamp else alert.last_active_at,
        verdict=body.verdict.value,
        reason=body.reason,
        created_at=now,
    )
    repository.add(feedback)
    alert.verdict = body.verdict.value
    alert.details = {
        **alert.details,
        "feedback": [
            *alert.details.get("feedback", []),
            {
                "verdict": body.verdict.value,
                "reason": body.reason,
                "at": now.isoformat(),
                "threshold": reason,
            },
        ],
    }
    alert.updated_at = now
    session.flush()
    return FeedbackResult(feedback, rule, before, after)


def anomaly_feedback(session: Session, anomaly_id: int, body: FeedbackIn) -> FeedbackResult:
    """A verdict on a flagged point: a label for retraining, and the tuning of the anomaly
    rule that covers the point's series (the first enabled one that matches)."""
    repository = AlertRepository(session)
    anomaly = repository.anomaly(anomaly_id)
    if anomaly is None:
        raise NotFoundError(f"no anomaly {anomaly_id}; GET /anomalies lists them")
    labels = {"host": anomaly.host, "metric": anomaly.metric}
    rule = next(
        (r for r in repository.enabled_rules(["anomaly_score"]) if matches(r.match, labels)), None
    )
    before = after = None
    if rule is not None:
        before, after, _ = tune(rule, body.verdict.value)
    feedback = Feedback(
        anomaly_id=anomaly.id,
        rule=None if rule is None else rule.name,
        host=anomaly.host,
        metric=anomaly.metric,
        ds=anomaly.ds,
        verdict=body.verdict.value,
        reason=body.reason,
        created_at=utc_now(),
    )
    repository.add(feedback)
    return FeedbackResult(feedback, rule, before, after)


def labelled_points(session: Session, since: datetime | None = None) -> pd.DataFrame:
    """Engineers' verdicts as training labels: ``unique_id`` (host:metric), ``ds``, ``label``.

    ``label`` is 1 for a confirmed anomaly and 0 for a dismissed one (a false alarm).
    Detector retraining can drop dismissed points from what it treats as anomalous, or
    score a candidate detector on them; the newest verdict on a point wins.
    """
    rows = AlertRepository(session).feedback_points(since)
    frame = pd.DataFrame(
        {
            "unique_id": [f"{row.host}:{row.metric}" for row in rows],
            "ds": pd.to_datetime(pd.Series([row.ds for row in rows], dtype="datetime64[ns]")),
            "label": [1 if row.verdict == "confirm" else 0 for row in rows],
            "reason": [row.reason for row in rows],
        }
    )
    return frame.drop_duplicates(["unique_id", "ds"], keep="last").reset_index(drop=True)


def refresh_precision_gauge(session: Session) -> None:
    for name, confirmed, dismissed in AlertRepository(session).rule_feedback_counts():
        share = precision(confirmed, dismissed)
        if share is not None:
            RULE_PRECISION.labels(rule=name).set(share)
