"""Channel payloads against the receivers' documented schemas.

The schemas below transcribe the published references: Slack's Block Kit reference
for incoming webhooks (``text`` plus ``blocks``: header text plain_text up to 150
characters, section text up to 3,000, at most 10 fields of up to 2,000, at most 50
blocks), PagerDuty's Events API v2 (``/v2/enqueue``: routing_key, event_action
trigger/acknowledge/resolve, dedup_key up to 255 characters, a payload with summary up
to 1,024 characters, source and severity critical/error/warning/info, required for
trigger), and Alertmanager's API v2 OpenAPI specification (``postableAlerts``: an array
of alerts whose ``labels`` are required and whose times are RFC 3339 date-times).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import jsonschema
import pytest

from opscast.alerting.channels.alertmanager import AlertmanagerChannel
from opscast.alerting.channels.base import AlertView, Notification
from opscast.alerting.channels.pagerduty import PagerDutyChannel
from opscast.alerting.channels.slack import SlackChannel
from opscast.alerting.channels.webhook import WebhookChannel

TEXT = {
    "type": "object",
    "required": ["type", "text"],
    "properties": {
        "type": {"enum": ["plain_text", "mrkdwn"]},
        "text": {"type": "string", "minLength": 1, "maxLength": 3000},
        "emoji": {"type": "boolean"},
        "verbatim": {"type": "boolean"},
    },
    "additionalProperties": False,
}
SLACK = {
    "type": "object",
    "required": ["text", "blocks"],
    "properties": {
        "text": {"type": "string", "minLength": 1},
        "blocks": {
            "type": "array",
            "maxItems": 50,
            "items": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["type", "text"],
                        "properties": {
                            "type": {"const": "header"},
                            "text": {
                                **TEXT,
                                "properties": {
                                    "type": {"const": "plain_text"},
                                    "text": {"type": "string", "minLength": 1, "maxLength": 150},
                                    "emoji": {"type": "boolean"},
                                },
                            },
                            "block_id": {"type": "string", "maxLength": 255},
                        },
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "required": ["type"],
                        "anyOf": [{"required": ["text"]}, {"required": ["fields"]}],
                        "properties": {
                            "type": {"const": "section"},
                            "text": TEXT,
                            "fields": {
                                "type": "array",
                                "maxItems": 10,
                                "items": {
                                    **TEXT,
                                    "properties": {
                                        **TEXT["properties"],
                                        "text": {"type": "string", "maxLength": 2000},
                                    },
                                },
                            },
                            "block_id": {"type": "string", "maxLength": 255},
                        },
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "required": ["type", "elements"],
                        "properties": {
                            "type": {"const": "context"},
                            "elements": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": 10,
                                "items": TEXT,
                            },
                        },
                        "additionalProperties": False,
                    },
                ]
            },
        },
    },
}
PAGERDUTY = {
    "type": "object",
    "required": ["routing_key", "event_action"],
    "properties": {
        "routing_key": {"type": "string", "minLength": 1},
        "event_action": {"enum": ["trigger", "acknowledge", "resolve"]},
        "dedup_key": {"type": "string", "maxLength": 255},
        "client": {"type": "string"},
        "client_url": {"type": "string"},
        "images": {"type": "array"},
        "links": {"type": "array"},
        "payload": {
            "type": "object",
            "required": ["summary", "source", "severity"],
            "properties": {
                "summary": {"type": "string", "minLength": 1, "maxLength": 1024},
                "source": {"type": "string", "minLength": 1},
                "severity": {"enum": ["critical", "error", "warning", "info"]},
                "timestamp": {"type": "string", "format": "date-time"},
                "component": {"type": "string"},
                "group": {"type": "string"},
                "class": {"type": "string"},
                "custom_details": {"type": "object"},
            },
            "additionalProperties": False,
        },
    },
    "if": {"properties": {"event_action": {"const": "trigger"}}},
    "then": {"required": ["payload"]},
    "additionalProperties": False,
}
LABEL_SET = {"type": "object", "additionalProperties": {"type": "string"}}
ALERTMANAGER = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["labels"],
        "properties": {
            "labels": LABEL_SET,
            "annotations": LABEL_SET,
            "startsAt": {"type": "string", "format": "date-time"},
            "endsAt": {"type": "string", "format": "date-time"},
            "generatorURL": {"type": "string", "format": "uri"},
        },
        "additionalProperties": False,
    },
}


def alert(
    index: int, summary: str = "db-01 connection pool likely exhausted in about 3 h"
) -> AlertView:
    return AlertView(
        id=index,
        fingerprint=f"{index:016x}",
        rule="capacity-exhaustion",
        severity="critical",
        labels={
            "alertname": "capacity-exhaustion",
            "host": f"db-{index:02d}",
            "metric": "connections",
        },
        summary=summary,
        action="Look for slow queries and leaked connections.",
        value=3.0,
        starts_at=datetime(2024, 3, 1, 10, 0),
        ends_at=None,
    )


def resolved(view: AlertView) -> AlertView:
    return replace(view, ends_at=datetime(2024, 3, 1, 12, 0))


def notifications() -> list[Notification]:
    one = (alert(1),)
    many = tuple(alert(i, "x" * 5000) for i in range(1, 40))
    return [
        Notification("firing", "g", one, "http://opscast.example"),
        Notification("resolved", "g", tuple(resolved(a) for a in one)),
        Notification("firing", "g", many),
    ]


def check(schema: dict[str, Any], document: Any) -> None:
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())


def times(document: Any) -> list[str]:
    if isinstance(document, dict):
        return [v for k, v in document.items() if k in {"startsAt", "endsAt", "timestamp"}] + [
            t for v in document.values() for t in times(v)
        ]
    if isinstance(document, list):
        return [t for v in document for t in times(v)]
    return []


@pytest.mark.parametrize("notification", notifications(), ids=["one", "resolved", "many-long"])
def test_slack_payloads_follow_block_kit(notification: Notification) -> None:
    for payload in SlackChannel("http://hook").render(notification):
        check(SLACK, payload)


@pytest.mark.parametrize("notification", notifications(), ids=["one", "resolved", "many-long"])
def test_pagerduty_payloads_follow_events_api_v2(notification: Notification) -> None:
    events = PagerDutyChannel("R0UT1NGKEY").render(notification)
    assert len(events) == len(notification.alerts)  # one event per alert
    for event, view in zip(events, notification.alerts, strict=True):
        check(PAGERDUTY, event)
        assert event["dedup_key"] == view.fingerprint
        assert event["event_action"] == ("resolve" if notification.resolved else "trigger")


@pytest.mark.parametrize("notification", notifications(), ids=["one", "resolved", "many-long"])
def test_alertmanager_payloads_follow_postable_alerts(notification: Notification) -> None:
    [payload] = AlertmanagerChannel("http://am:9093").render(notification)
    check(ALERTMANAGER, payload["alerts"])
    for body in payload["alerts"]:
        assert body["labels"]["alertname"] == "capacity-exhaustion"
        assert ("endsAt" in body) == notification.resolved
    for stamp in times(payload):
        assert datetime.fromisoformat(stamp).utcoffset() is not None  # RFC 3339 with a zone


def test_a_bad_payload_fails_the_schemas() -> None:
    """The schemas are strict enough to catch what a receiver would refuse."""
    with pytest.raises(jsonschema.ValidationError):
        check(PAGERDUTY, {"routing_key": "k", "event_action": "trigger"})
    with pytest.raises(jsonschema.ValidationError):
        check(
            SLACK,
            {"text": "t", "blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]},
        )
    with pytest.raises(jsonschema.ValidationError):
        check(ALERTMANAGER, [{"annotations": {"summary": "no labels"}}])


def test_the_webhook_speaks_alertmanagers_webhook_format() -> None:
    [body] = WebhookChannel("http://hook").render(notifications()[0])
    assert body["version"] == "4"
    assert body["status"] == "firing"
    assert body["commonLabels"]["host"] == "db-01"
    assert body["alerts"][0]["fingerprint"] == alert(1).fingerprint
