"""Refuse an oversized batch before its rows are validated one by one.

FastAPI validates a whole body before the handler runs, so a count checked in the
handler comes after every row was parsed, and 80,000 bad rows cost seconds and an error
body of megabytes. This dependency counts the items of the already-parsed JSON (FastAPI
parses it once and keeps it on the request) and answers 422 at once when they are too
many; the per-row validation then only ever runs on batches within the limit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, FastAPI, Request

from opscast.api.middleware import BodySizeLimit
from opscast.api.rate_limit import RateLimit
from opscast.config import Settings
from opscast.errors import InvalidInputError


def install_request_limits(app: FastAPI, settings: Settings) -> None:
    """The body-size cap, and the rate limit on the endpoints that fit or forecast."""
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(RateLimit, per_minute=settings.rate_limit_per_minute)


def batch_limit(fields: tuple[str, ...], limit: Callable[[Settings], int], *, setting: str) -> Any:
    """A route dependency: the lists named by ``fields`` together hold at most ``limit`` items."""

    async def check(request: Request) -> None:
        try:
            body = await request.json()
        except ValueError:  # not JSON: FastAPI's own validation reports it
            return
        if not isinstance(body, dict):
            return
        count = sum(len(value) for field in fields if isinstance(value := body.get(field), list))
        allowed = limit(request.app.state.settings)
        if count > allowed:
            raise InvalidInputError(
                f"{count} items exceed the limit of {allowed} per request; split the upload "
                f"or raise {setting}",
                field=fields[0],
            )

    checker: Callable[[Request], Awaitable[None]] = check
    return Depends(checker)
