"""Contract of /jobs and /jobs/schedules: listing, detail with log, schedules, bad input."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from opscast.db import Database
from opscast.jobs import service
from opscast.jobs.runner import JobContext

ClientFactory = Callable[..., TestClient]
KEY = "k" * 24


def database_of(client: TestClient) -> Database:
    database: Database = client.app.state.services.database  # type: ignore[attr-defined]
    return database


def add_numbers(context: JobContext) -> dict[str, Any]:
    context.progress(0.5, "adding")
    return {"sum": sum(context.params["numbers"])}


def test_jobs_are_listed_newest_first_with_filters_and_a_total(client: TestClient) -> None:
    assert client.get("/jobs").json() == []
    database = database_of(client)
    with database.session() as session:
        ids = [service.submit_job(session, kind="add", task=str(i)).job.id for i in range(3)]
    response = client.get("/jobs", params={"limit": 2})
    assert response.status_code == 200
    assert [job["id"] for job in response.json()] == ids[::-1][:2]
    assert response.headers["X-Total-Count"] == "3"
    assert client.get("/jobs", params={"offset": 2}).json()[0]["id"] == ids[0]
    assert client.get("/jobs", params={"status": "succeeded"}).json() == []
    assert len(client.get("/jobs", params={"kind": "add", "status": "queued"}).json()) == 3
    assert [job["id"] for job in client.get("/jobs", params={"task": "1"}).json()] == [ids[1]]


def test_a_job_run_by_the_server_shows_its_result_and_log(client_factory: ClientFactory) -> None:
    client = client_factory(run_jobs=True)
    client.app.state.services.jobs.handlers["add"] = add_numbers  # type: ignore[attr-defined]
    with database_of(client).session() as session:
        job_id = service.submit_job(session, kind="add", params={"numbers": [4, 5]}).job.id
    client.app.state.services.jobs.wake()  # type: ignore[attr-defined]
    deadline = time.monotonic() + 20
    while (body := client.get(f"/jobs/{job_id}").json())["status"] != "succeeded":
        assert time.monotonic() < deadline, body
        time.sleep(0.05)
    assert body["result"] == {"sum": 9}
    assert body["progress"] == 1.0
    assert body["duration_seconds"] >= 0
    messages = [line["message"] for line in body["logs"]]
    assert messages[0] == "queued by api"
    assert "adding" in messages


def test_unknown_and_malformed_job_ids(client: TestClient) -> None:
    missing = client.get("/jobs/999")
    assert missing.status_code == 404
    assert "GET /jobs" in missing.json()["message"]
    assert client.get("/jobs/abc").status_code == 422
    assert client.get("/jobs", params={"status": "stuck"}).status_code == 422
    assert client.get("/jobs", params={"limit": 0}).status_code == 422


def test_schedules_are_created_replaced_and_validated(client: TestClient) -> None:
    client.app.state.services.jobs.handlers["add"] = add_numbers  # type: ignore[attr-defined]
    body = {"kind": "add", "cron": "0  3 * * 1", "params": {"numbers": [1]}}
    created = client.put("/jobs/schedules/weekly-add", json=body)
    assert created.status_code == 200, created.text
    assert created.json()["cron"] == "0 3 * * 1"
    assert created.json()["next_run_at"].endswith("T03:00:00Z")
    replaced = client.put("/jobs/schedules/weekly-add", json={**body, "enabled": False})
    assert replaced.json()["enabled"] is False
    assert [row["name"] for row in client.get("/jobs/schedules").json()] == ["weekly-add"]

    bad_cron = client.put("/jobs/schedules/other", json={**body, "cron": "every day"})
    assert bad_cron.status_code == 422
    assert "cron" in bad_cron.json()["message"]
    unknown_kind = client.put("/jobs/schedules/other", json={**body, "kind": "teleport"})
    assert unknown_kind.status_code == 422
    assert "known kinds: add" in unknown_kind.json()["message"]
    assert client.put("/jobs/schedules/bad name", json=body).status_code == 422
    assert client.put("/jobs/schedules/x", json={**body, "surprise": 1}).status_code == 422
    assert len(client.get("/jobs/schedules").json()) == 1


def test_schedules_need_a_key_once_auth_is_on(client_factory: ClientFactory) -> None:
    client = client_factory(api_keys=[KEY])
    client.app.state.services.jobs.handlers["add"] = add_numbers  # type: ignore[attr-defined]
    body = {"kind": "add", "cron": "0 3 * * 1"}
    assert client.put("/jobs/schedules/nightly", json=body).status_code == 401
    assert client.get("/jobs/schedules", headers={"X-API-Key": KEY}).json() == []
    ok = client.put("/jobs/schedules/nightly", json=body, headers={"X-API-Key": KEY})
    assert ok.status_code == 200
