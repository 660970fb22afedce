"""Email over SMTP (STARTTLS and login when configured), plain text.

The payload holds the finished message (subject, body, sender, recipients) so a retry
sends the same mail.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from typing import Any

from opscast.alerting.channels.base import TIMEOUT_SECONDS, DeliveryError, Notification, iso


class EmailChannel:
    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        recipients: list[str],
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
    ) -> None:
        self.host, self.port = host, port
        self.sender, self.recipients = sender, recipients
        self.username, self.password, self.starttls = username, password, starttls

    def render(self, notification: Notification) -> list[dict[str, Any]]:
        lines: list[str] = []
        for alert in notification.alerts:
            lines += [
                alert.summary,
                f"  rule: {alert.rule}   severity: {alert.severity}",
                f"  since: {iso(alert.starts_at)}",
                f"  labels: {', '.join(f'{k}={v}' for k, v in sorted(alert.labels.items()))}",
            ]
            if alert.action and not notification.resolved:
                lines.append(f"  recommended action: {alert.action}")
            if alert.ticket_id is not None:
                lines.append(f"  ticket: {alert.ticket_id}")
            if notification.base_url:
                lines.append(f"  details: {notification.base_url}/alerts/{alert.id}")
            lines.append("")
        return [
            {
                "subject": notification.title[:200],
                "body": "\n".join(lines),
                "from": self.sender,
                "to": list(self.recipients),
            }
        ]

    def send(self, payload: dict[str, Any]) -> None:
        message = EmailMessage()
        message["Subject"] = payload["subject"]
        message["From"] = payload["from"]
        message["To"] = ", ".join(payload["to"])
        message.set_content(payload["body"])
        try:
            with smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {exc}") from exc
