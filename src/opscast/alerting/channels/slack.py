"""Slack incoming webhook: ``text`` for notifications and clients without blocks, and
``blocks`` (header, one section per alert with its fields, the action, a context line).

Slack caps a header at 150 characters, section text at 3,000, a field at 2,000, ten
fields per section and 50 blocks per message; longer text is cut, extra alerts are
counted in the context line.
"""

from __future__ import annotations

from typing import Any

from opscast.alerting.channels.base import Notification, iso, post_json

MAX_ALERT_SECTIONS = 20
EMOJI = {
    "critical": ":red_circle:",
    "warning": ":large_orange_circle:",
    "info": ":large_blue_circle:",
}


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class SlackChannel:
    name = "slack"

    def __init__(self, url: str) -> None:
        self.url = url

    def render(self, notification: Notification) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": cut(notification.title, 150)}}
        ]
        shown = notification.alerts[:MAX_ALERT_SECTIONS]
        for alert in shown:
            mark = ":white_check_mark:" if notification.resolved else EMOJI.get(alert.severity, "")
            text = f"{mark} *{alert.summary}*"
            if alert.action and not notification.resolved:
                text += f"\n*Recommended action:* {alert.action}"
            blocks.append(
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": cut(text, 3000)},
                    "fields": [
                        {"type": "mrkdwn", "text": cut(f"*{name}:* {value}", 2000)}
                        for name, value in list(
                            {"rule": alert.rule, "severity": alert.severity, **alert.labels}.items()
                        )[:10]
                    ],
                }
            )
        first = notification.alerts[0]
        context = f"alert {first.id} since {iso(first.starts_at)}"
        if len(notification.alerts) > len(shown):
            context += f"; {len(notification.alerts) - len(shown)} more alerts not shown"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": context}]})
        lines = [notification.title] + [
            f"{alert.summary}. {alert.action}".strip() for alert in notification.alerts
        ]
        return [{"text": cut("\n".join(lines), 3000), "blocks": blocks}]

    def send(self, payload: dict[str, Any]) -> None:
        post_json(self.url, payload)
