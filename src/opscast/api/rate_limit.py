"""A per-key rate limit on the endpoints that fit or forecast: one client cannot starve the rest.

A token bucket per caller: ``OPSCAST_RATE_LIMIT_PER_MINUTE`` tokens, refilled evenly over
the minute, one per request; an empty bucket answers 429 with ``Retry-After``. The caller
is its API key (hashed, so no key sits in this table), else its client address. Buckets
live in this process: with several workers each enforces the limit on its own share.
The table is capped so that a stream of invented keys cannot grow it without bound.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections import OrderedDict

from starlette.types import ASGIApp, Receive, Scope, Send

from opscast.observability import REQUESTS_DENIED, get_logger

log = get_logger("opscast.http")

# The routes whose work is a fit or a forecast; reads and cheap writes are not limited.
EXPENSIVE = frozenset(
    {
        ("POST", "/forecast"),
        ("POST", "/forecast/predict"),
        ("POST", "/forecast/backtest"),
        ("POST", "/forecast/predict/csv"),
        ("POST", "/predict"),
        ("POST", "/detect_drift"),
        ("POST", "/retrain"),
        ("POST", "/tickets/retrain"),
        ("POST", "/tickets/analyze"),
        ("POST", "/collect"),
        ("POST", "/scaling/recommend"),
        ("POST", "/scaling/simulate"),
    }
)
MAX_CALLERS = 10_000
SESSION_COOKIE = b"opscast_session"


def caller_of(scope: Scope) -> str:
    """A stable name for who is asking: a digest of the key they send, else their address."""
    headers = dict(scope["headers"])
    credential = headers.get(b"x-api-key")
    if credential is None and (authorization := headers.get(b"authorization")):
        credential = authorization.removeprefix(b"Bearer ").removeprefix(b"bearer ")
    if credential is None and (cookies := headers.get(b"cookie")):
        for part in cookies.split(b";"):
            name, _, value = part.strip().partition(b"=")
            if name == SESSION_COOKIE:
                credential = value
    if credential:
        return "key:" + hashlib.sha256(credential).hexdigest()[:32]
    client = scope.get("client")
    return f"addr:{client[0] if client else 'unknown'}"


class RateLimit:
    def __init__(self, app: ASGIApp, per_minute: int) -> None:
        self.app = app
        self.capacity = float(per_minute)
        self.per_second = per_minute / 60.0
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def _take(self, caller: str, now: float) -> float:
        """0 when a token was taken, else the seconds until the next one."""
        tokens, last = self._buckets.pop(caller, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.per_second)
        if tokens >= 1:
            tokens -= 1
            wait = 0.0
        else:
            wait = (1 - tokens) / self.per_second
        self._buckets[caller] = (tokens, now)
        if len(self._buckets) > MAX_CALLERS:
            self._buckets.popitem(last=False)
        return wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or self.capacity <= 0
            or (scope["method"], scope["path"]) not in EXPENSIVE
        ):
            await self.app(scope, receive, send)
            return
        caller = caller_of(scope)
        wait = self._take(caller, time.monotonic())
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        REQUESTS_DENIED.labels(reason="rate_limited").inc()
        log.warning("rate limited", path=scope["path"], caller=caller[:12])
        message = (
            f"more than {int(self.capacity)} requests a minute to the fitting and forecasting "
            f"endpoints; retry in {math.ceil(wait)} s or raise OPSCAST_RATE_LIMIT_PER_MINUTE"
        )
        body = json.dumps({"detail": message, "message": message}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(math.ceil(wait)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
