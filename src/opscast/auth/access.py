"""The check every request passes when auth is on: a known key with a high enough role.

A key comes in ``X-API-Key``, as ``Authorization: Bearer <key>``, or in the dashboard's
session cookie. Every refusal is logged (without the key) and counted in
``opscast_requests_denied_total{reason}``: ``missing_key``, ``invalid_key`` or
``forbidden_role``.
"""

from __future__ import annotations

from fastapi import HTTPException, Request

from opscast.auth.roles import needed_role
from opscast.auth.service import KeyChecker
from opscast.config import Settings
from opscast.observability import REQUESTS_DENIED, get_logger

log = get_logger("opscast.auth")

SESSION_COOKIE = "opscast_session"


class AuthenticationError(Exception):
    """No key, or one that is unknown or revoked, while auth is on: a 401."""


def _deny(request: Request, reason: str, status: int, message: str) -> Exception:
    REQUESTS_DENIED.labels(reason=reason).inc()
    client = request.client.host if request.client else "unknown"
    log.warning(
        "request denied",
        reason=reason,
        method=request.method,
        path=request.url.path,
        client=client,
    )
    if status == 401:
        return AuthenticationError(message)
    return HTTPException(status_code=status, detail=message)


def check_access(
    request: Request, settings: Settings, checker: KeyChecker, offered: str | None
) -> None:
    """Return if the request may go on; raise a 401 or 403 otherwise."""
    if not settings.auth_enabled:
        return
    needed = needed_role(request.method, request.url.path)
    if needed is None:
        return
    offered = offered or request.cookies.get(SESSION_COOKIE)
    if not offered:
        raise _deny(
            request,
            "missing_key",
            401,
            "this endpoint needs an API key: send it in X-API-Key "
            "(create one with `opscast keys create`)",
        )
    principal = checker.principal(offered)
    if principal is None:
        raise _deny(request, "invalid_key", 401, "the API key is not valid (unknown or revoked)")
    if not principal.role.allows(needed):
        raise _deny(
            request,
            "forbidden_role",
            403,
            f"the key {principal.name!r} has role {principal.role.value}; "
            f"{request.method} {request.url.path} needs {needed.value}",
        )
    # the dashboard's frame names who is signed in, and offers to sign out
    request.state.principal = principal
