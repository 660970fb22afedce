"""PagerDuty Events API v2: one event per alert, ``dedup_key`` the alert's fingerprint,
so a repeat updates the open incident and the resolve event closes it.

PagerDuty's severities are critical, error, warning and info; ours map onto three.
"""

from __future__ import annotations

from typing import Any

from opscast.alerting.channels.base import Notification, iso, post_json

EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"


class PagerDutyChannel:
    name = "pagerduty"

    def __init__(self, routing_key: str, url: str = EVENTS_URL) -> None:
        self.routing_key = routing_key
        self.url = url

    def render(self, notification: Notification) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        for alert in notification.alerts:
            event: dict[str, Any] = {
                "routing_key": self.routing_key,
                "event_action": "resolve" if notification.resolved else "trigger",
                "dedup_key": alert.fingerprint,
            }
            if not notification.resolved:
                event["payload"] = {
                    "summary": alert.summary[:1024],
                    "source": alert.host or "opscast",
                    "severity": alert.severity,
                    "timestamp": iso(alert.starts_at),
                    "component": alert.labels.get("metric", alert.rule),
                    "group": alert.labels.get("role", alert.rule),
                    "class": alert.rule,
                    "custom_details": {
                        "action": alert.action,
                        "value": alert.value,
                        "labels": alert.labels,
                        "ticket_id": alert.ticket_id,
                    },
                }
                event["client"] = "opscast"
                if notification.base_url:
                    event["client_url"] = f"{notification.base_url}/alerts/{alert.id}"
            events.append(event)
        return events

    def send(self, payload: dict[str, Any]) -> None:
        post_json(self.url, payload)
