"""SQLite's durability trade-off is a setting, and the API describes auth only when it is on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from opscast.db import Database

ClientFactory = Callable[..., TestClient]


@pytest.mark.parametrize(("setting", "level"), [("NORMAL", 1), ("FULL", 2)])
def test_sqlite_runs_in_wal_with_the_chosen_synchronous(
    var_dir: Path, setting: str, level: int
) -> None:
    database = Database(f"sqlite:///{var_dir / 'x.db'}", sqlite_synchronous=setting)
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA synchronous")).scalar() == level
    database.dispose()


def test_openapi_declares_security_only_when_auth_is_on(client_factory: ClientFactory) -> None:
    open_schema = client_factory().get("/openapi.json").json()
    assert "securitySchemes" not in open_schema.get("components", {})
    assert all(
        "security" not in operation
        for path in open_schema["paths"].values()
        for operation in path.values()
    )
    guarded = client_factory(api_keys=["k" * 32]).get("/openapi.json").json()
    assert set(guarded["components"]["securitySchemes"]) == {"APIKeyHeader", "HTTPBearer"}
    assert "security" in guarded["paths"]["/forecast"]["post"]


def test_the_error_answers_are_documented(client_factory: ClientFactory) -> None:
    paths = client_factory().get("/openapi.json").json()["paths"]
    assert {"400", "404", "409", "413", "422"} <= set(paths["/servers"]["post"]["responses"])
    assert "429" in paths["/forecast"]["post"]["responses"]
    assert "401" not in paths["/forecast"]["post"]["responses"]
    guarded = client_factory(api_keys=["k" * 32]).get("/openapi.json").json()["paths"]
    assert {"401", "403"} <= set(guarded["/tickets/"]["get"]["responses"])
    assert "security" not in guarded["/health"]["get"]
    assert "401" not in guarded["/health"]["get"]["responses"]
