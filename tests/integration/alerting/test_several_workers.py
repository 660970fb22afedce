"""Two workers of one server, each with its own alerting runtime, on one database.

``opscast serve --workers 2`` and gunicorn run one runtime per process. Both judge the
stream messages they are handed, both read the polled sources and both send the outbox
on every tick; a real webhook receiver must still get each notification exactly once,
and each alert identity must have one alert, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alert_receivers import WebhookReceiver
from prometheus_client import REGISTRY
from sqlalchemy import select

from conftest import make_settings
from opscast.alerting.delivery import CLAIM_FOR, deliver_due
from opscast.alerting.repository import EVALUATION_TURN, AlertRepository
from opscast.alerting.runtime import AlertingRuntime
from opscast.alerting.tables import Alert, Delivery
from opscast.db import Database, utc_now
from opscast.drift_checks.tables import DriftReport

HOSTS = ("web-01", "web-02", "db-01")
MINUTES = 12


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def together(*work: Callable[[], object]) -> None:
    """Run each callable in a thread of its own, all at once; re-raise the first failure."""
    failures: list[BaseException] = []
    start = threading.Barrier(len(work))

    def run(job: Callable[[], object]) -> None:
        try:
            start.wait()
            job()
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures


def sent(rule: str) -> Any:
    """``opscast_alerts_total`` of a rule's warnings to the webhook (None: not exported)."""
    labels = {"rule": rule, "severity": "warning", "channel": "webhook"}
    return REGISTRY.get_sample_value("opscast_alerts_total", labels)


def evaluation_turn(database: Database) -> int | None:
    with database.session() as session:
        return AlertRepository(session).cursor(EVALUATION_TURN)


def predictions(minute: int) -> dict[str, Any]:
    """An ``anomaly_predictions`` message: every host's CPU far outside its range."""
    at = (utc_now() - timedelta(minutes=MINUTES - minute)).isoformat()
    return {
        "predictions": [
            {
                "host": host,
                "metric": "cpu_pct",
                "timestamp": at,
                "value": 99.0,
                "anomaly_score": 0.9,
            }
            for host in HOSTS
        ]
    }


def test_two_runtimes_on_one_database_notify_each_alert_once(
    database_url: str, var_dir: Path, webhook: WebhookReceiver
) -> None:
    settings = make_settings(
        var_dir,
        database_url=database_url,
        alert_console=False,
        alert_webhook_url=webhook.url,
        alert_delivery_poll_seconds=0.1,
    )
    databases = [Database(database_url), Database(database_url)]
    databases[0].migrate()
    first, second = (AlertingRuntime(settings, database, None) for database in databases)
    together(first.prepare, second.prepare)
    # every series the panels count is exported from 0, so its first alert shows as sent
    before = {rule: sent(rule) for rule in ("anomalous-metric", "data-drift")}
    assert None not in before.values()

    # the broker hands each worker its share of the stream (one consumer group)
    together(
        lambda: [first.judge_predictions(predictions(m)) for m in range(0, MINUTES, 2)],
        lambda: [second.judge_predictions(predictions(m)) for m in range(1, MINUTES, 2)],
    )
    # a polled source both workers read on every tick
    with databases[0].session() as session:
        session.add(
            DriftReport(
                kind="data",
                subject="incidents/daily",
                source="api",
                drift_detected=True,
                share_drifted=0.8,
                summary={},
                html="",
                created_at=utc_now(),
            )
        )
    for _ in range(5):
        together(first.tick, second.tick)

    with databases[0].session() as session:
        alerts = list(session.scalars(select(Alert)))
        deliveries = list(session.scalars(select(Delivery)))
    identities = Counter(alert.fingerprint for alert in alerts)
    assert len(identities) == len(HOSTS) + 1  # an anomaly alert per host, one drift alert
    assert set(identities.values()) == {1}
    assert {alert.state for alert in alerts} == {"firing"}
    assert {row.status for row in deliveries} == {"delivered"}
    assert all(row.attempts == 1 for row in deliveries)
    # every stored delivery reached the receiver once, and nothing else did
    received = Counter(
        (body["groupKey"], body["status"], alert["labels"]["alertname"], alert["fingerprint"])
        for body in webhook.bodies
        for alert in body["alerts"]
    )
    assert len(webhook.bodies) == len(deliveries)
    assert set(received.values()) == {1}
    assert {key[3] for key in received} == set(identities)
    assert sent("anomalous-metric") - before["anomalous-metric"] == len(HOSTS)  # grouped by host
    assert sent("data-drift") - before["data-drift"] == 1

    # once all is judged and sent, an idle tick only looks: the turn is not taken again
    turn = evaluation_turn(databases[0])
    time.sleep(1.1)  # the turn row records whole seconds
    together(first.tick, second.tick)
    assert evaluation_turn(databases[0]) == turn
    for database in databases:
        database.dispose()


def test_a_delivery_claimed_by_a_worker_that_died_is_sent_once_the_claim_lapses(
    database_url: str, var_dir: Path, webhook: WebhookReceiver
) -> None:
    settings = make_settings(
        var_dir, database_url=database_url, alert_console=False, alert_webhook_url=webhook.url
    )
    database = Database(database_url)
    database.migrate()
    runtime = AlertingRuntime(settings, database, None)
    runtime.prepare()
    for minute in range(MINUTES):
        runtime.judge_predictions(predictions(minute))
    now = utc_now()
    with database.session() as session:  # a worker claims every delivery, then dies
        due = AlertRepository(session).due_deliveries(now, 100)
        assert due
        for row in due:
            assert AlertRepository(session).claim_delivery(row.id, now, now + CLAIM_FOR)
    assert deliver_due(database, runtime.channels, runtime.policy, now) == (0, 0)
    assert webhook.bodies == []
    later = now + CLAIM_FOR + timedelta(seconds=1)
    assert deliver_due(database, runtime.channels, runtime.policy, later) == (len(due), 0)
    assert len(webhook.bodies) == len(due)
    database.dispose()
