"""An alert whose source stopped reporting resolves on the wall clock, with no new evidence.

Only new evidence steps an alert, so a host that went away would leave its alert firing
for ever; the runtime's tick sweeps such alerts once the longer of the rule's
``resolve_after`` and ``OPSCAST_ALERT_STALE_SECONDS`` has passed without evidence.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from alert_receivers import WebhookReceiver

from conftest import make_settings
from opscast.alerting import service
from opscast.alerting.observations import Observation
from opscast.alerting.repository import AlertRepository
from opscast.alerting.runtime import AlertingRuntime
from opscast.alerting.schemas import RuleIn
from opscast.db import Database, utc_now

STALE_SECONDS = 1.0


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as receiver:
        yield receiver


def score(host: str, metric: str, minute: int) -> Observation:
    return Observation(
        kind="anomaly_score",
        labels={"host": host, "metric": metric},
        at=utc_now() + timedelta(minutes=minute),
        value=0.99,
        summary=f"{host} {metric} is anomalous",
        evidence={"score": 0.99},
    )


def states(database: Database) -> dict[str, str]:
    with database.session() as session:
        alerts, _ = service.list_alerts(session)
        return {f"{a.rule}/{a.host}": a.state for a in alerts}


def test_an_alert_whose_series_went_quiet_resolves_after_the_wait(
    database_url: str, var_dir: Path, webhook: WebhookReceiver
) -> None:
    settings = make_settings(
        var_dir,
        database_url=database_url,
        alert_console=False,
        alert_webhook_url=webhook.url,
        alert_stale_seconds=STALE_SECONDS,
    )
    database = Database(database_url)
    database.migrate()
    runtime = AlertingRuntime(settings, database, None)
    runtime.prepare()
    with database.session() as session:
        for name, wait in (("queue-stuck", "0m"), ("queue-slow", "10m")):
            service.create_rule(  # both resolve at once when clear; the first fires at once
                session,
                RuleIn.model_validate(
                    {
                        "name": name,
                        "kind": "anomaly_score",
                        "match": {"metric": "queue_depth"},
                        "threshold": 0.9,
                        "for": wait,
                        "cooldown": "1h",
                        "resolve_after": "0m",
                        "channels": ["webhook"],
                    }
                ),
            )
    # the shipped anomaly rule (resolve_after 15m) fires for both series, the new ones
    # for the queue: one at once, one pending for its 10 minutes
    runtime.judge(
        lambda _: [
            score("mq-01", "queue_depth", 0),
            *(score("web-01", "cpu_pct", m) for m in (0, 6)),
        ]
    )
    runtime.tick()
    assert states(database) == {
        "queue-stuck/mq-01": "firing",
        "queue-slow/mq-01": "pending",
        "anomalous-metric/web-01": "firing",
        "anomalous-metric/mq-01": "firing",  # the shipped rule covers every metric
    }

    time.sleep(STALE_SECONDS + 0.2)  # neither series reports again
    runtime.tick()
    assert states(database) == {  # the pending one was dropped: pending and quiet
        "queue-stuck/mq-01": "resolved",
        "anomalous-metric/web-01": "firing",  # its rule's resolve_after is longer
        "anomalous-metric/mq-01": "firing",
    }
    with database.session() as session:
        [quiet] = AlertRepository(session).list_alerts(
            state="resolved", severity=None, rule=None, host=None, limit=1, offset=0
        )[0]
        assert "stopped reporting" in quiet.details["resolved_by"]["reason"]
    queue_bodies = [body for body in webhook.bodies if "queue-stuck" in str(body)]
    assert [body["status"] for body in queue_bodies] == ["firing", "resolved"]

    # fifteen minutes on, the shipped rule's alerts go too; a series still reporting would not
    with database.session() as session:
        swept = service.sweep_stale(
            session, runtime.dispatch, utc_now() + timedelta(minutes=16), runtime.stale_after
        )
        assert sorted(alert.host for alert in swept) == ["mq-01", "web-01"]
    runtime.judge(lambda _: [score("web-02", "cpu_pct", m) for m in (0, 6)])
    with database.session() as session:
        assert service.sweep_stale(session, runtime.dispatch, utc_now(), runtime.stale_after) == []
    database.dispose()
