"""ASGI middleware: request metrics and logging, a cap on request bodies and on concurrency.

Both are plain ASGI rather than ``BaseHTTPMiddleware`` so that streaming bodies are
counted as they arrive (an upload is refused before it is buffered whole) and so the
metrics see the status code of every response, including the error handlers'.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import structlog
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opscast.observability import (
    HTTP_REQUEST_DURATION,
    HTTP_REQUESTS,
    HTTP_REQUESTS_IN_PROGRESS,
    get_logger,
)

log = get_logger("opscast.http")

UNMATCHED_PATH = "<unmatched>"
# liveness and metrics answer even when every request slot is taken
UNLIMITED_PATHS = frozenset({"/health", "/metrics"})


class RequestMetrics:
    """Counts and times requests by route template: raw paths with ids would explode cardinality."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        request_id = uuid.uuid4().hex[:16]

        async def send_with_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        HTTP_REQUESTS_IN_PROGRESS.inc()
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_status)
            finally:
                HTTP_REQUESTS_IN_PROGRESS.dec()
                elapsed = time.perf_counter() - started
                route = scope.get("route")
                path = getattr(route, "path", None) or UNMATCHED_PATH
                method = scope["method"]
                HTTP_REQUESTS.labels(method=method, path=path, status=str(status)).inc()
                HTTP_REQUEST_DURATION.labels(method=method, path=path).observe(elapsed)
                log.info(
                    "request",
                    method=method,
                    path=scope["path"],
                    status=status,
                    ms=round(elapsed * 1000, 2),
                )


class BodySizeLimit:
    """Answers 413 as soon as a body exceeds the limit, whether or not it declared its length."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(status_code=413, detail=self._message())
            return message

        await self.app(scope, counting_receive, send)

    def _message(self) -> str:
        return (
            f"request body exceeds {self.max_bytes} bytes; "
            "split the upload or raise OPSCAST_MAX_UPLOAD_BYTES"
        )

    async def _refuse(self, send: Send) -> None:
        body = json.dumps({"detail": self._message(), "message": self._message()}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class ConcurrencyLimit:
    """At most ``limit`` requests in the app at once; the rest wait their turn here.

    Without it every client got a thread the moment one was free, and a request holding
    the database's write lock could not get a thread back to validate its response and
    commit while the other threads all waited for that lock: nothing moved until the
    waits timed out into 503s. Admitting no more requests than there are threads leaves
    a thread for the request that holds the lock. The probes are never held back.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._admitted: asyncio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        if self._admitted is None:  # made in the server's event loop, on first use
            self._admitted = asyncio.Semaphore(self.limit)
        async with self._admitted:
            await self.app(scope, receive, send)
