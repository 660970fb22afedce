"""Every error status an operation can answer, written into its OpenAPI description.

The error handlers answer 400 for a body that is not JSON, 404 for an unknown id,
category, task or model, 409 when the current state refuses a change, 413 for an
oversized body, 429 over the rate limit, and 401/403 when auth is on. Adding them here,
to the generated schema of this app, from the same rules the handlers follow, keeps
``/openapi.json`` true for every router without each repeating them (and without
touching the routers, which every app shares).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

from opscast.api.rate_limit import EXPENSIVE
from opscast.auth.roles import needed_role
from opscast.config import Settings

READ_METHODS = frozenset({"get", "head", "options"})
ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}


class ErrorOut(BaseModel):
    """The body of every error: ``detail`` for programs, ``message`` for people."""

    detail: Any
    message: str


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def _errors_of(method: str, path: str, operation: dict[str, Any], auth: bool) -> dict[str, Any]:
    added = {"404": _error("no such id, category, task or model; the message names the known ones")}
    if method not in READ_METHODS:
        added["409"] = _error("the current state refuses the change; the message says why")
        added["413"] = _error("the body exceeds OPSCAST_MAX_UPLOAD_BYTES")
    if "requestBody" in operation:
        added["400"] = _error("the body is not valid JSON or form data")
    if (method.upper(), path) in EXPENSIVE:
        added["429"] = _error("over OPSCAST_RATE_LIMIT_PER_MINUTE; retry after Retry-After")
    if auth:
        added["401"] = _error("no API key, or an unknown or revoked one")
        added["403"] = _error("the key's role may not make this request")
    return added


def document_error_responses(app: FastAPI, settings: Settings) -> None:
    """Wrap ``app.openapi`` so the schema it returns lists the error answers too."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        schema = generate()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("ErrorOut", ErrorOut.model_json_schema())
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                guarded = settings.auth_enabled and needed_role(method.upper(), path) is not None
                if not guarded:  # probes and the sign-in form answer without a key
                    operation.pop("security", None)
                responses = operation.setdefault("responses", {})
                for status, response in _errors_of(method, path, operation, guarded).items():
                    responses.setdefault(status, response)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
