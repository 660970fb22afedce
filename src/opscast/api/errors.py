"""Turn every error a client can cause into a JSON 4xx that names what to fix.

FastAPI's own 422 body (``detail`` as a list of ``loc``/``msg``/``type``) is kept
because clients already parse it; a flat ``message`` naming the fields is added for
people reading responses in a terminal.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from opscast.auth.access import AuthenticationError
from opscast.errors import ConflictError, InvalidInputError, NotFoundError
from opscast.observability import get_logger
from opscast.timeseries import FrameValidationError

log = get_logger(__name__)


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


# An error names its field and shows the start of what was sent: enough to recognise it,
# never a multi-megabyte field echoed back whole or one entry per bad row of a huge batch.
MAX_ECHOED_CHARS = 200
MAX_LISTED_ERRORS = 50


def _json_safe(error: Any) -> Any:
    """Echoed input is cut short, and NaN or infinity (which JSON cannot carry) sent as text."""
    value = error.get("input")
    if isinstance(value, str | bytes) and len(value) <= MAX_ECHOED_CHARS:
        return error
    try:
        text = json.dumps(value, allow_nan=False, default=str)
    except ValueError:
        text = repr(value)
    else:
        if len(text) <= MAX_ECHOED_CHARS:
            return error
    if len(text) > MAX_ECHOED_CHARS:
        text = text[:MAX_ECHOED_CHARS] + f"... ({len(text)} characters)"
    return {**error, "input": text}


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    found = exc.errors()
    errors = [_json_safe(error) for error in found[:MAX_LISTED_ERRORS]]
    summary = "; ".join(f"{_field_name(error['loc'])}: {error['msg']}" for error in errors[:5])
    if len(found) > len(errors):
        summary += f"; {len(found) - len(errors)} more errors not listed"
    return JSONResponse(
        status_code=422,
        content=jsonable_encoder(
            {"detail": errors, "message": f"invalid request: {summary}"},
            custom_encoder={BaseException: str},
        ),
    )


async def _frame_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FrameValidationError)
    field = exc.column or "data"
    detail = [{"loc": ["body", field], "msg": str(exc), "type": "value_error", "row": exc.row}]
    return JSONResponse(status_code=422, content={"detail": detail, "message": str(exc)})


async def _invalid_input(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidInputError)
    detail = [{"loc": ["body", exc.field or "body"], "msg": exc.message, "type": "value_error"}]
    return JSONResponse(status_code=422, content={"detail": detail, "message": exc.message})


async def _not_found(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NotFoundError)
    return JSONResponse(status_code=404, content={"detail": exc.message, "message": exc.message})


async def _conflict(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ConflictError)
    return JSONResponse(status_code=409, content={"detail": exc.message, "message": exc.message})


async def _unauthenticated(request: Request, exc: Exception) -> Response:
    if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
        # a person at the dashboard: to the sign-in form, and back here afterwards
        return RedirectResponse(f"/auth/login?next={quote(request.url.path)}", status_code=303)
    return JSONResponse(
        status_code=401,
        content={"detail": str(exc), "message": str(exc)},
        headers={"WWW-Authenticate": 'Bearer, ApiKey header="X-API-Key"'},
    )


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    return JSONResponse(
        status_code=exc.status_code,
        content={"detail": exc.detail, "message": message},
        headers=exc.headers,
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A lost or refused database connection, or no free one in the pool, is the server's
    trouble, and passing: 503.

    The unit of work rolled back, so the client may send the request again; the pool
    pings a connection before reusing it, so the next request reconnects by itself once
    the database is back.
    """
    assert isinstance(exc, OperationalError | PoolTimeoutError)
    log.warning("database unavailable", path=request.url.path, error=str(exc)[:300])
    message = "the database is unavailable; the request was not completed, retry in a moment"
    return JSONResponse(
        status_code=503,
        content={"detail": message, "message": message},
        headers={"Retry-After": "1"},
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled error", path=request.url.path, exc_info=exc)
    return JSONResponse(
        status_code=500,
        content={"detail": "internal error", "message": "internal error; the log has the trace"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(FrameValidationError, _frame_error)
    app.add_exception_handler(InvalidInputError, _invalid_input)
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(ConflictError, _conflict)
    app.add_exception_handler(AuthenticationError, _unauthenticated)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(PoolTimeoutError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected)
