"""Prometheus Alertmanager: ``POST /api/v2/alerts`` with the alerts of a group.

Alertmanager resolves an alert it has not heard of for its ``resolve_timeout``, so
opscast re-sends firing alerts while they fire (see ``delivery.resend_due``); a
resolved alert is sent once with ``endsAt`` set, which resolves it at once.
"""

from __future__ import annotations

from typing import Any

from opscast.alerting.channels.base import Notification, iso, post_json


class AlertmanagerChannel:
    name = "alertmanager"

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/") + "/api/v2/alerts"

    def render(self, notification: Notification) -> list[dict[str, Any]]:
        alerts: list[dict[str, Any]] = []
        for alert in notification.alerts:
            body: dict[str, Any] = {
                "labels": {"alertname": alert.rule, **alert.labels, "severity": alert.severity},
                "annotations": {"summary": alert.summary, "action": alert.action},
                "startsAt": iso(alert.starts_at),
            }
            if notification.resolved and alert.ends_at is not None:
                body["endsAt"] = iso(alert.ends_at)
            if notification.base_url:
                body["generatorURL"] = f"{notification.base_url}/alerts/{alert.id}"
            alerts.append(body)
        # the payload is an object for the outbox; ``send`` posts its list
        return [{"alerts": alerts}]

    def send(self, payload: dict[str, Any]) -> None:
        post_json(self.url, payload["alerts"])
