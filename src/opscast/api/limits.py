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

from fastapi import Depends, Request

from opscast.config import Settings
from opscast.errors import InvalidInputError


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
