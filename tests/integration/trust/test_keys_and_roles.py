"""Keys with roles: viewers read, operators change data, admins manage keys and models."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY
from typer.testing import CliRunner

from opscast.auth.roles import Role, needed_role
from opscast.auth.service import digest_of

ClientFactory = Callable[..., TestClient]
ADMIN = "admin-key-" + "a" * 24
TICKET = {"title": "Disk full", "description": "the disk on db-1 is full"}


def denied(reason: str) -> float:
    return REGISTRY.get_sample_value("opscast_requests_denied_total", {"reason": reason}) or 0.0


def key_of(client: TestClient, role: str) -> str:
    response = client.post(
        "/auth/keys", json={"name": f"{role}-1", "role": role}, headers={"X-API-Key": ADMIN}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


@pytest.fixture
def guarded(client_factory: ClientFactory) -> TestClient:
    return client_factory(api_keys=[ADMIN], rate_limit_per_minute=0)


def as_key(key: str) -> dict[str, str]:
    return {"X-API-Key": key}


def test_each_role_may_do_what_it_should_and_no_more(guarded: TestClient) -> None:
    viewer, operator = key_of(guarded, "viewer"), key_of(guarded, "operator")

    assert guarded.get("/tickets/").status_code == 401
    assert guarded.get("/tickets/", headers=as_key(viewer)).status_code == 200
    refused = guarded.post("/tickets/", json=TICKET, headers=as_key(viewer))
    assert refused.status_code == 403
    assert "needs operator" in refused.json()["message"]
    assert guarded.get("/tickets/", headers=as_key(viewer)).json() == []

    created = guarded.post("/tickets/", json=TICKET, headers=as_key(operator))
    assert created.status_code == 201
    assert guarded.get("/auth/keys", headers=as_key(operator)).status_code == 403
    assert guarded.post("/models/any/rollback", headers=as_key(operator)).status_code == 403

    listed = guarded.get("/auth/keys", headers=as_key(ADMIN))
    assert [key["role"] for key in listed.json()] == ["viewer", "operator"]
    assert all("key" not in key and len(key["prefix"]) == 8 for key in listed.json())


def test_a_revoked_key_is_refused(guarded: TestClient) -> None:
    operator = key_of(guarded, "operator")
    key_id = guarded.get("/auth/keys", headers=as_key(ADMIN)).json()[0]["id"]
    revoked = guarded.delete(f"/auth/keys/{key_id}", headers=as_key(ADMIN))
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    again = guarded.delete(f"/auth/keys/{key_id}", headers=as_key(ADMIN))
    assert again.status_code == 409
    guarded.app.state.services.key_checker._seen.clear()  # type: ignore[attr-defined]
    assert guarded.get("/tickets/", headers=as_key(operator)).status_code == 401


def test_keys_are_stored_only_as_digests(guarded: TestClient) -> None:
    from sqlalchemy import text

    key = key_of(guarded, "viewer")
    with guarded.app.state.services.database.engine.connect() as connection:  # type: ignore[attr-defined]
        rows = connection.execute(text("SELECT prefix, digest FROM api_keys")).all()
    assert rows == [(key[:8], digest_of(key))]


def test_every_refusal_is_counted(guarded: TestClient) -> None:
    viewer = key_of(guarded, "viewer")
    before = {reason: denied(reason) for reason in ("missing_key", "invalid_key", "forbidden_role")}
    guarded.get("/tickets/")
    guarded.get("/tickets/", headers=as_key("not-a-key-" + "x" * 20))
    guarded.post("/tickets/", json=TICKET, headers=as_key(viewer))
    assert {reason: denied(reason) - count for reason, count in before.items()} == {
        "missing_key": 1.0,
        "invalid_key": 1.0,
        "forbidden_role": 1.0,
    }


def test_probes_and_the_login_form_stay_open(guarded: TestClient) -> None:
    assert guarded.get("/health").status_code == 200
    assert guarded.get("/openapi.json").status_code == 200
    assert guarded.get("/auth/login").status_code == 200


def test_the_dashboard_signs_in_with_a_key(guarded: TestClient) -> None:
    viewer = key_of(guarded, "viewer")
    page = guarded.get("/ui", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/auth/login?next=/ui"

    wrong = guarded.post("/auth/login", data={"key": "wrong" * 8}, follow_redirects=False)
    assert wrong.status_code == 401
    signed_in = guarded.post(
        "/auth/login", data={"key": viewer, "next": "//evil.example"}, follow_redirects=False
    )
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/ui"
    cookie = signed_in.headers["set-cookie"]
    for attribute in ("opscast_session=", "HttpOnly", "Secure", "SameSite=strict"):
        assert attribute.lower() in cookie.lower()
    session = {"Cookie": f"opscast_session={viewer}"}
    assert guarded.get("/tickets/", headers=session).status_code == 200
    assert guarded.post("/tickets/", json=TICKET, headers=session).status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "role"),
    [
        ("GET", "/health", None),
        ("GET", "/tickets/", Role.viewer),
        ("POST", "/forecast", Role.operator),
        ("DELETE", "/tickets/3", Role.operator),
        ("POST", "/models/incidents-software-daily/rollback", Role.admin),
        ("PUT", "/retrain/policies/incidents", Role.admin),
        ("POST", "/auth/keys", Role.admin),
        ("GET", "/auth/keys", Role.admin),
        ("POST", "/alerts/rules", Role.admin),
        ("POST", "/alerts/7/ack", Role.operator),
    ],
)
def test_the_role_each_request_needs(method: str, path: str, role: Role | None) -> None:
    assert needed_role(method, path) == role


def test_keys_from_the_command_line(var_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from opscast.cli import app

    monkeypatch.setenv("OPSCAST_VAR_DIR", str(var_dir))
    runner = CliRunner()
    created = runner.invoke(app, ["keys", "create", "ci", "--role", "operator"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip().splitlines()[0]
    assert key.startswith("osk_")
    assert len(key) > 40
    listed: list[dict[str, Any]] = json.loads(runner.invoke(app, ["keys", "list", "--json"]).stdout)
    assert [(k["name"], k["role"], k["prefix"]) for k in listed] == [("ci", "operator", key[:8])]
    assert key not in json.dumps(listed)
    assert runner.invoke(app, ["keys", "revoke", str(listed[0]["id"])]).exit_code == 0
    assert runner.invoke(app, ["keys", "revoke", str(listed[0]["id"])]).exit_code == 2
    assert runner.invoke(app, ["keys", "create", "x", "--role", "root"]).exit_code == 2
