"""Every error status an operation can answer, written into its OpenAPI description.

The error handlers answer 404 for an unknown id, category, task or model, 409 when the
current state refuses a change, 413 for an oversized body, 429 over the rate limit, and
401/403 when auth is on. Declaring them once here, from the same rules the handlers
follow, keeps ``/openapi.json`` true for every router without each repeating them.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel

from opscast.api.rate_limit import EXPENSIVE
from opscast.config import Settings

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ErrorOut(BaseModel):
    """The body of every error: ``detail`` for programs, ``message`` for people."""

    detail: Any
    message: str


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "model": ErrorOut}


def document_error_responses(app: FastAPI, settings: Settings) -> None:
    """Add the statuses the handlers may answer to every route that does not name them."""
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        methods = route.methods or set()
        added: dict[int | str, dict[str, Any]] = {
            404: _error("no such id, category, task or model; the message names the known ones")
        }
        if methods - READ_METHODS:
            added[409] = _error("the current state refuses the change; the message says why")
            added[413] = _error("the body exceeds OPSCAST_MAX_UPLOAD_BYTES")
        if any((method, route.path) in EXPENSIVE for method in methods):
            added[429] = _error("over OPSCAST_RATE_LIMIT_PER_MINUTE; retry after Retry-After")
        if settings.auth_enabled:
            added[401] = _error("no API key, or an unknown or revoked one")
            added[403] = _error("the key's role may not make this request")
        for status, response in added.items():
            if status not in route.responses and str(status) not in route.responses:
                route.responses[status] = response
