"""A generic webhook receiving Alertmanager's webhook format (version 4).

Receivers written for Alertmanager's ``webhook_config`` read it unchanged: one
document per group with ``status``, ``groupKey``, common labels and the alerts.
"""

from __future__ import annotations

from typing import Any

from opscast.alerting.channels.base import Notification, iso, post_json


def common(maps: list[dict[str, str]]) -> dict[str, str]:
    first = maps[0]
    return {key: value for key, value in first.items() if all(m.get(key) == value for m in maps)}


class WebhookChannel:
    name = "webhook"

    def __init__(self, url: str) -> None:
        self.url = url

    def render(self, notification: Notification) -> list[dict[str, Any]]:
        status = "resolved" if notification.resolved else "firing"
        alerts: list[dict[str, Any]] = [
            {
                "status": status,
                "labels": {**alert.labels, "severity": alert.severity},
                "annotations": {"summary": alert.summary, "action": alert.action},
                "startsAt": iso(alert.starts_at),
                "endsAt": iso(alert.ends_at) if alert.ends_at else "0001-01-01T00:00:00Z",
                "generatorURL": f"{notification.base_url}/alerts/{alert.id}",
                "fingerprint": alert.fingerprint,
                "opscast": {"id": alert.id, "value": alert.value, "ticket_id": alert.ticket_id},
            }
            for alert in notification.alerts
        ]
        labels = [alert["labels"] for alert in alerts]
        annotations = [alert["annotations"] for alert in alerts]
        return [
            {
                "version": "4",
                "groupKey": notification.group_key,
                "truncatedAlerts": 0,
                "status": status,
                "receiver": "opscast",
                "groupLabels": {},
                "commonLabels": common(labels),
                "commonAnnotations": common(annotations),
                "externalURL": notification.base_url,
                "alerts": alerts,
            }
        ]

    def send(self, payload: dict[str, Any]) -> None:
        post_json(self.url, payload)
