"""The log as a channel: always there, so an alert is never only in the database."""

from __future__ import annotations

from typing import Any

from opscast.alerting.channels.base import Notification, iso
from opscast.observability import get_logger

log = get_logger("opscast.alerts")


class ConsoleChannel:
    name = "console"

    def render(self, notification: Notification) -> list[dict[str, Any]]:
        return [
            {
                "event": notification.event,
                "title": notification.title,
                "alerts": [
                    {
                        "id": alert.id,
                        "rule": alert.rule,
                        "severity": alert.severity,
                        "summary": alert.summary,
                        "action": alert.action,
                        "starts_at": iso(alert.starts_at),
                    }
                    for alert in notification.alerts
                ],
            }
        ]

    def send(self, payload: dict[str, Any]) -> None:
        log.warning(
            "alert", status=payload["event"], title=payload["title"], alerts=payload["alerts"]
        )
