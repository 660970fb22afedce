"""A connection-pool leak, end to end: stream -> alert -> webhook, email and ticket -> resolve.

The app runs as in production (in-memory broker, the real pipeline, the shipped rules);
the receivers are real servers on loopback ports. Simulated time drives the rules
(``for``, cooldown), so nothing here depends on how fast the machine is; the waits
only give the background stages time to catch up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest
from alert_receivers import SmtpReceiver, WebhookReceiver
from fastapi.testclient import TestClient

from conftest import ClientFactory
from opscast.anomaly.time_to_failure import load_playbook

HOST, METRIC, POOL = "db-01", "connections", 200
START = pd.Timestamp("2024-03-01 06:00", tz="UTC")
ONSET, FAILURE = 120, 360  # minutes after START: the leak fills the pool in 4 hours
BATCH = 20


def connections(minutes: int, seed: int = 1) -> np.ndarray:
    """A healthy pool near 60 in use, then a leak that reaches the pool size at FAILURE;
    after it the host restarts and the pool is back to normal."""
    rng = np.random.default_rng(seed)
    t = np.arange(minutes)
    progress = np.clip((t - ONSET) / (FAILURE - ONSET), 0.0, 1.0)
    leak = np.where((t >= ONSET) & (t < FAILURE), (POOL - 60.0) * progress**1.3, 0.0)
    return np.round(60.0 + rng.normal(0.0, 2.0, minutes) + leak)


VALUES = connections(FAILURE + 120)


def send(client: TestClient, start: int, stop: int, values: np.ndarray = VALUES) -> None:
    for first in range(start, stop, BATCH):
        points = [
            {
                "host": HOST,
                "metric": METRIC,
                "timestamp": (START + pd.Timedelta(minutes=minute)).isoformat(),
                "value": float(values[minute]),
                "labels": {"limit": str(POOL)},
            }
            for minute in range(first, min(stop, first + BATCH))
        ]
        response = client.post("/collect", json={"points": points})
        assert response.status_code in (200, 201, 202), response.text


def wait_until(check: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)
    return result


def delivered(client: TestClient, alert_id: int) -> list[dict[str, Any]] | None:
    rows = client.get(f"/alerts/{alert_id}").json()["deliveries"]
    return rows if rows and all(row["status"] == "delivered" for row in rows) else None


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver()
    receiver.start()
    yield receiver
    receiver.stop()


def alerting_client(
    client_factory: ClientFactory, webhook: WebhookReceiver, smtp: SmtpReceiver, **extra: object
) -> TestClient:
    return client_factory(
        alert_console=False,
        alert_webhook_url=webhook.url,
        alert_smtp_host="127.0.0.1",
        alert_smtp_port=smtp.port,
        alert_email_to="oncall@example.com",
        alert_delivery_poll_seconds=0.1,
        alert_delivery_backoff_seconds=0.1,
        **extra,
    )


def firing_alert(client: TestClient) -> dict[str, Any]:
    found = wait_until(
        lambda: [a for a in client.get("/alerts").json() if a["state"] == "firing"],
        "the leak's alert to fire",
    )
    assert len(found) == 1, found
    alert: dict[str, Any] = found[0]
    return alert


@pytest.mark.usefixtures("model_store_ready")
def test_a_pool_leak_alerts_once_with_a_ticket_and_resolves_when_it_clears(
    client_factory: ClientFactory, webhook: WebhookReceiver, smtp: SmtpReceiver
) -> None:
    webhook.start()
    client = alerting_client(client_factory, webhook, smtp)
    send(client, 0, 280)
    alert = firing_alert(client)

    assert alert["rule"] == "capacity-exhaustion"
    assert alert["severity"] == "critical"
    assert alert["summary"].startswith(f"{HOST} connection pool likely exhausted in about ")
    assert alert["action"] == load_playbook()[METRIC].action
    wait_until(lambda: delivered(client, alert["id"]), "delivery to webhook and email")
    wait_until(lambda: client.get(f"/alerts/{alert['id']}").json()["ticket_id"], "the ticket")

    [body] = webhook.bodies
    assert body["status"] == "firing"
    assert body["alerts"][0]["annotations"]["summary"] == alert["summary"]
    assert body["alerts"][0]["labels"]["host"] == HOST
    [mail] = smtp.messages
    assert alert["summary"] in mail["Subject"]
    assert "recommended action: " + alert["action"] in mail.get_content()
    tickets = client.get("/tickets/").json()
    ticket = tickets["items"] if isinstance(tickets, dict) else tickets
    [opened] = [t for t in ticket if t.get("alert_id") == str(alert["id"])]
    assert client.get(f"/alerts/{alert['id']}").json()["ticket_id"] == opened["id"]

    # more evidence within the cooldown: the same alert, no second notification
    send(client, 280, 340)
    wait_until(
        lambda: (
            pd.Timestamp(client.get(f"/alerts/{alert['id']}").json()["last_active_at"])
            >= START + pd.Timedelta(minutes=320)
        ),
        "the new evidence to be judged",
    )
    again = client.get("/alerts").json()
    assert [a["id"] for a in again] == [alert["id"]]
    assert again[0]["notifications"] == 1
    wait_until(lambda: delivered(client, alert["id"]), "deliveries to settle")
    assert len(webhook.bodies) == 1
    assert len(smtp.messages) == 1

    # the host restarted: the pool is back to normal and the alert resolves
    send(client, FAILURE, FAILURE + 120)
    resolved = wait_until(
        lambda: (
            client.get(f"/alerts/{alert['id']}").json()["state"] == "resolved"
            and delivered(client, alert["id"])
        ),
        "the alert to resolve",
    )
    assert resolved
    assert webhook.bodies[-1]["status"] == "resolved"
    assert len(smtp.messages) == 2
    assert "RESOLVED" in smtp.messages[-1]["Subject"]
    assert client.get(f"/tickets/{opened['id']}").json()["status"] == "resolved"

    # an engineer dismisses it: the rule's bar goes up. For time to failure the bar is the
    # horizon in hours (alert when the failure is at most that far away), so a stricter
    # rule has a *shorter* horizon: one step of a tenth of its range [0.5, 24] h, 6 -> 3.65.
    [rule] = [r for r in client.get("/alerts/rules").json() if r["name"] == alert["rule"]]
    assert (rule["op"], rule["threshold"], rule["dismissed"]) == ("<=", 6.0, 0)
    answer = client.post(
        f"/alerts/{alert['id']}/feedback", json={"verdict": "dismiss", "reason": "planned"}
    )
    assert answer.status_code == 201, answer.text
    assert (answer.json()["threshold_before"], answer.json()["threshold_after"]) == (6.0, 3.65)
    stored = client.get(f"/alerts/rules/{rule['id']}").json()  # the tuning is kept on the rule
    assert stored["threshold"] == pytest.approx(3.65)
    assert stored["dismissed"] == 1
    assert stored["precision"] == 0.0
    details = client.get(f"/alerts/{alert['id']}").json()["details"]
    assert details["feedback"][-1]["reason"] == "planned"
    assert details["feedback"][-1]["threshold"] == (
        "threshold 6 -> 3.65 (stricter): an engineer dismissed an alert"
    )


@pytest.mark.usefixtures("model_store_ready")
def test_a_delivery_to_a_receiver_that_is_down_is_retried_until_it_is_back(
    client_factory: ClientFactory, webhook: WebhookReceiver, smtp: SmtpReceiver
) -> None:
    client = alerting_client(client_factory, webhook, smtp, alert_delivery_max_attempts=3)
    send(client, 0, 280)
    alert = firing_alert(client)

    def gave_up() -> dict[str, Any] | None:
        rows = client.get(f"/alerts/{alert['id']}").json()["deliveries"]
        hook = [row for row in rows if row["channel"] == "webhook"]
        return hook[0] if hook and hook[0]["status"] == "failed" else None

    failed = wait_until(gave_up, "the webhook delivery to give up")
    assert failed["attempts"] == 3
    assert "unreachable" in failed["last_error"]
    assert webhook.bodies == []

    # the receiver is back and opscast restarts: the failed delivery is sent
    webhook.start()
    client.__exit__(None, None, None)
    client = alerting_client(client_factory, webhook, smtp, alert_delivery_max_attempts=3)
    wait_until(lambda: delivered(client, alert["id"]), "the retried delivery")
    [body] = webhook.bodies
    assert body["status"] == "firing"
    assert body["alerts"][0]["opscast"]["id"] == alert["id"]
    [hook] = [
        r
        for r in client.get(f"/alerts/{alert['id']}").json()["deliveries"]
        if r["channel"] == "webhook"
    ]
    assert hook["attempts"] == 4


def test_a_receiver_back_within_the_retries_gets_the_delivery_without_a_restart(
    client_factory: ClientFactory, webhook: WebhookReceiver, smtp: SmtpReceiver
) -> None:
    client = alerting_client(client_factory, webhook, smtp)
    send(client, 0, 280)
    alert = firing_alert(client)

    def hook() -> dict[str, Any]:
        rows = client.get(f"/alerts/{alert['id']}").json()["deliveries"]
        [row] = [row for row in rows if row["channel"] == "webhook"]
        return row  # type: ignore[no-any-return]

    wait_until(lambda: hook()["attempts"] >= 2, "two failed attempts")
    assert hook()["status"] == "pending"
    webhook.start()
    wait_until(lambda: hook()["status"] == "delivered", "the delivery once the receiver is back")
    assert len(webhook.bodies) == 1
    assert hook()["attempts"] >= 3
