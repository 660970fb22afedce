"""Dependencies shared by every router, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from opscast.auth.access import check_access
from opscast.config import Settings
from opscast.db import Database
from opscast.registry import ModelStore

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)
bearer = HTTPBearer(auto_error=False)


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
    """With auth on, a key whose role allows the request (see ``opscast.auth.roles``)."""
    check_access(request, settings, header_key or (bearer_key.credentials if bearer_key else None))
