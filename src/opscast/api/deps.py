"""Dependencies shared by every router, as ``Annotated`` aliases."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from opscast.config import Settings
from opscast.db import Database
from opscast.registry import ModelStore

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)
bearer = HTTPBearer(auto_error=False)


class AuthenticationError(Exception):
    """Raised when a mutating request arrives without a valid key while auth is on."""


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def get_model_store(request: Request) -> ModelStore:
    store: ModelStore = request.app.state.model_store
    return store


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
ModelStoreDep = Annotated[ModelStore, Depends(get_model_store)]


def get_session(database: DatabaseDep) -> Iterator[Session]:
    """One unit of work per request: committed before the response is sent, rolled back on error."""
    with database.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def require_api_key(
    request: Request,
    settings: SettingsDep,
    header_key: Annotated[str | None, Depends(api_key_header)],
    bearer_key: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Reads stay open; anything that writes needs a key once keys are configured."""
    if not settings.auth_enabled or request.method in SAFE_METHODS:
        return
    offered = header_key or (bearer_key.credentials if bearer_key else None)
    if offered is None:
        raise AuthenticationError("this endpoint changes data: send an API key in X-API-Key")
    if not any(
        hmac.compare_digest(offered.encode(), key.get_secret_value().encode())
        for key in settings.api_keys
    ):
        raise AuthenticationError("the API key is not valid")
