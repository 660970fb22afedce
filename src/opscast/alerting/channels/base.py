"""What every delivery channel is: render a notification to a payload, send a payload.

Rendering happens when the notification is queued and the payload is stored, so a
retry after a restart sends exactly what was decided then. Sending raises
``DeliveryError`` for anything the receiver or the network refused; the outbox
records it and tries again later. HTTP goes through the standard library: a channel
posts one small JSON document, which needs no client library.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

TIMEOUT_SECONDS = 10.0


class DeliveryError(Exception):
    """The receiver or the network refused the payload; the message says which."""


@dataclass(frozen=True, slots=True)
class AlertView:
    """An alert as channels see it: labels, what happened, what to do."""

    id: int
    fingerprint: str
    rule: str
    severity: str
    labels: dict[str, str]
    summary: str
    action: str
    value: float
    starts_at: datetime
    ends_at: datetime | None
    ticket_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return self.labels.get("host") or self.labels.get("task") or self.labels.get("subject", "")


@dataclass(frozen=True, slots=True)
class Notification:
    """``event`` firing (also for a repeat) or resolved, for the alerts of one group."""

    event: str
    group_key: str
    alerts: tuple[AlertView, ...]
    base_url: str = ""

    @property
    def resolved(self) -> bool:
        return self.event == "resolved"

    @property
    def title(self) -> str:
        first = self.alerts[0]
        state = "RESOLVED" if self.resolved else first.severity.upper()
        more = f" (+{len(self.alerts) - 1} more)" if len(self.alerts) > 1 else ""
        return f"[{state}] {first.summary}{more}"


class Channel(Protocol):
    name: str

    def render(self, notification: Notification) -> list[dict[str, Any]]:
        """One payload per message the receiver expects (PagerDuty: one per alert)."""
        ...

    def send(self, payload: dict[str, Any]) -> None: ...


def iso(moment: datetime) -> str:
    """Stored times are naive UTC; receivers want RFC 3339 with the zone."""
    return moment.isoformat(timespec="seconds") + "Z"


def post_json(url: str, body: Any, headers: dict[str, str] | None = None) -> None:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read(300).decode("utf-8", "replace")
        raise DeliveryError(f"{url} answered {exc.code}: {detail}") from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"{url} unreachable: {reason}") from exc
