"""The outbox: send due deliveries, record every attempt, back off, never drop one.

A delivery is read in one short unit of work, claimed in another (a conditional UPDATE
that only one of several workers on the database wins), sent outside any transaction
(a slow receiver must not hold the database), and its outcome recorded in a third. A failed
attempt is retried after ``backoff * 2^(attempts-1)`` (capped at an hour); after
``max_attempts`` it is marked failed, counted, and put back to pending when the
process next starts, so an outage longer than the retries still ends in a delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from opscast.alerting.channels.base import Channel, DeliveryError, Notification
from opscast.alerting.repository import AlertRepository
from opscast.alerting.service import view
from opscast.alerting.tables import Delivery, DeliveryAttempt
from opscast.db import Database, utc_now
from opscast.observability import ALERT_DELIVERIES_FAILED, ALERTS, get_logger

log = get_logger(__name__)
MAX_BACKOFF = timedelta(hours=1)
BATCH = 100
CLAIM_FOR = timedelta(minutes=10)
"""How long a claimed delivery stays with the worker sending it: far longer than any
channel's timeout. A worker that dies mid-send leaves the claim to lapse, and the
delivery is sent again then (at least once, never lost)."""


@dataclass(frozen=True, slots=True)
class Policy:
    backoff: timedelta
    max_attempts: int
    resend: timedelta


def backoff_after(attempts: int, policy: Policy) -> timedelta:
    wait: timedelta = policy.backoff * (2 ** max(0, attempts - 1))
    return min(MAX_BACKOFF, wait)


@dataclass(frozen=True, slots=True)
class Due:
    id: int
    channel: str
    event: str
    payload: dict[str, Any]


def deliver_due(
    database: Database, channels: Mapping[str, Channel], policy: Policy, now: datetime | None = None
) -> tuple[int, int]:
    """Send every delivery due by ``now``; (delivered, failed attempts)."""
    moment = now or utc_now()
    with database.session() as session:
        due = [
            Due(row.id, row.channel, row.event, dict(row.payload))
            for row in AlertRepository(session).due_deliveries(moment, BATCH)
        ]
    delivered = failed = 0
    for item in due:
        with database.session() as session:
            claimed = AlertRepository(session).claim_delivery(
                item.id, moment, utc_now() + CLAIM_FOR
            )
        if not claimed:  # another worker is sending it
            continue
        channel = channels.get(item.channel)
        error: str | None = None
        if channel is None:
            error = f"channel {item.channel} is not configured in this process"
        else:
            try:
                channel.send(item.payload)
            except DeliveryError as exc:
                error = str(exc)
            except Exception as exc:  # a bug in one channel must not stop the others
                error = f"{type(exc).__name__}: {exc}"
        with database.session() as session:
            row = session.get(Delivery, item.id)
            if row is None:  # its alert was deleted meanwhile
                continue
            finished = utc_now()
            row.attempts += 1
            session.add(
                DeliveryAttempt(delivery_id=row.id, at=finished, ok=error is None, error=error)
            )
            if error is None:
                row.status, row.delivered_at, row.last_error = "delivered", finished, None
                delivered += 1
                alert = AlertRepository(session).alert(row.alert_id)
                if alert is not None and item.event != "resolved":
                    ALERTS.labels(
                        rule=alert.rule, severity=alert.severity, channel=item.channel
                    ).inc()
                continue
            failed += 1
            ALERT_DELIVERIES_FAILED.labels(channel=item.channel).inc()
            row.last_error = error
            if row.attempts >= policy.max_attempts:
                row.status = "failed"
                log.error(
                    "alert.delivery_gave_up", delivery=row.id, channel=row.channel, error=error
                )
            else:
                row.next_attempt_at = finished + backoff_after(row.attempts, policy)
                log.warning(
                    "alert.delivery_failed", delivery=row.id, channel=row.channel, error=error
                )
    return delivered, failed


def resend_due(
    database: Database, channels: Mapping[str, Channel], policy: Policy, base_url: str = ""
) -> int:
    """Queue Alertmanager re-sends of firing alerts, so it does not time them out."""
    channel = channels.get("alertmanager")
    if channel is None:
        return 0
    now = utc_now()
    with database.session() as session:  # a look first: an idle tick writes nothing
        if not AlertRepository(session).firing_resend_due(now - policy.resend):
            return 0
    with database.session() as session:
        repository = AlertRepository(session)
        repository.take_evaluation_turn(now)  # one worker queues each re-send
        alerts = repository.firing_resend_due(now - policy.resend)
        for alert in alerts:
            notification = Notification("firing", alert.group_key, (view(alert),), base_url)
            for payload in channel.render(notification):
                session.add(
                    Delivery(
                        alert_id=alert.id,
                        channel=channel.name,
                        event="resend",
                        payload=payload,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                        created_at=now,
                    )
                )
            alert.resent_at = now
        return len(alerts)


def retry_after_restart(database: Database) -> int:
    with database.session() as session:
        return AlertRepository(session).retry_given_up(utc_now())
