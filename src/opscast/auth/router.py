"""Key management (admin) and the dashboard's login form.

The login form trades a key for a cookie, so a browser can use the dashboard with the
same keys as the API. The cookie is ``Secure`` (sent over HTTPS, and to localhost),
``HttpOnly`` (no script can read it) and ``SameSite=Strict`` (no other site can make the
browser send it, which is what stops cross-site request forgery here).
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query
from fastapi.responses import HTMLResponse, Response

from opscast.auth import service
from opscast.auth.access import SESSION_COOKIE
from opscast.auth.schemas import KeyCreate, KeyCreated, KeyOut
from opscast.dependencies import ServicesDep, SessionDep
from opscast.observability import REQUESTS_DENIED
from opscast.value_ranges import SQL_ID_MAX

router = APIRouter(prefix="/auth", tags=["auth"])

SESSION_SECONDS = 12 * 3600
NOT_FOUND: dict[int | str, dict[str, str]] = {404: {"description": "no such key"}}


@router.get("/keys", response_model=list[KeyOut], summary="API keys (never the keys themselves)")
def list_keys(session: SessionDep) -> list[KeyOut]:
    return [KeyOut.model_validate(key) for key in service.list_keys(session)]


@router.post("/keys", response_model=KeyCreated, status_code=201, summary="Create an API key")
def create_key(body: KeyCreate, session: SessionDep) -> KeyCreated:
    """The answer holds the key itself; it is shown this once and cannot be recovered."""
    stored, key = service.create_key(session, body.name, body.role)
    return KeyCreated(**KeyOut.model_validate(stored).model_dump(), key=key)


@router.delete(
    "/keys/{key_id}",
    response_model=KeyOut,
    summary="Revoke an API key",
    responses={**NOT_FOUND, 409: {"description": "already revoked"}},
)
def revoke_key(key_id: Annotated[int, Path(ge=1, le=SQL_ID_MAX)], session: SessionDep) -> KeyOut:
    return KeyOut.model_validate(service.revoke_key(session, key_id))


def _see_other(location: str) -> HTMLResponse:
    """A 303 with a small HTML body, as documented: a redirect that still says what it is."""
    link = escape(location)
    return HTMLResponse(
        f'<a href="{link}">continue</a>', status_code=303, headers={"Location": location}
    )


def _safe_next(target: str) -> str:
    """Only a path on this server: an absolute URL here would be an open redirect."""
    return target if target.startswith("/") and not target.startswith("//") else "/ui"


def _form(next_path: str, message: str = "") -> str:
    notice = f'<p role="alert">{escape(message)}</p>' if message else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>opscast · sign in</title>
<link rel="stylesheet" href="/static/opscast.css"></head>
<body><main class="login"><h1>opscast</h1>{notice}
<form method="post" action="/auth/login">
<input type="hidden" name="next" value="{escape(_safe_next(next_path))}">
<label>API key <input type="password" name="key" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>
<p>Ask an admin for a key, or create one with
<code>opscast keys create NAME --role viewer</code>.</p>
</main></body></html>"""


@router.get("/login", response_class=HTMLResponse, summary="The dashboard's sign-in form")
def login_form(next: Annotated[str, Query(max_length=500)] = "/ui") -> HTMLResponse:
    return HTMLResponse(_form(next))


@router.post(
    "/login",
    response_class=HTMLResponse,
    status_code=303,
    summary="Trade a key for a session cookie",
    responses={401: {"description": "the key is unknown or revoked"}},
)
def login(
    services: ServicesDep,
    key: Annotated[str, Form(min_length=1, max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/ui",
) -> Response:
    if services.key_checker.principal(key) is None:
        REQUESTS_DENIED.labels(reason="invalid_key").inc()
        return HTMLResponse(_form(next, "That key is not valid."), status_code=401)
    response = _see_other(_safe_next(next))
    response.set_cookie(
        SESSION_COOKIE,
        key,
        max_age=SESSION_SECONDS,
        secure=True,
        httponly=True,
        samesite="strict",
        path="/",
    )
    return response


@router.post(
    "/logout", response_class=HTMLResponse, status_code=303, summary="Forget the session cookie"
)
def logout() -> Response:
    response = _see_other("/auth/login")
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response
