"""Contract of the servers and simulation endpoints; a simulated failure leaves a linked ticket."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

# Seed 3 with every host faulty: the db host's pool saturates about 19 hours in (step 114).
FAILING_TICK = {"steps": 150, "seed": 3, "fleet_size": 4, "failure_share": 1.0}


@pytest.fixture(autouse=True)
def _registry(model_store_ready: Path) -> Path:
    """Tickets are classified by the registry's champion: start from a migrated store."""
    return model_store_ready


def gauge(client: TestClient, state: str) -> float:
    prefix = f'opscast_servers{{state="{state}"}}'
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(prefix):
            return float(line.split()[-1])
    raise AssertionError(f"{prefix} not exported")


def test_register_list_and_read(client: TestClient) -> None:
    created = client.post("/servers", json={"name": "web-01", "role": "web"})
    assert created.status_code == 201
    server = created.json()
    assert (server["name"], server["state"]) == ("web-01", "BOOTING")
    assert client.get("/servers").json() == [server]
    assert client.get(f"/servers/{server['id']}").json() == server
    events = client.get(f"/servers/{server['id']}/events").json()
    assert [(e["from_state"], e["to_state"], e["cause"]) for e in events] == [
        (None, "BOOTING", "created")
    ]
    duplicate = client.post("/servers", json={"name": "web-01"})
    assert duplicate.status_code == 409
    assert "web-01" in duplicate.json()["message"]
    assert gauge(client, "BOOTING") == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "a b"}, "name"),
        ({"name": "ok", "role": "mainframe"}, "role"),
        ({"name": "ok", "extra": 1}, "extra"),
    ],
)
def test_bad_servers_are_refused(client: TestClient, body: dict[str, Any], field: str) -> None:
    response = client.post("/servers", json=body)
    assert response.status_code == 422
    assert field in response.json()["message"]
    assert client.get("/servers").json() == []


def test_actions_follow_the_lifecycle_and_fail_opens_a_ticket(client: TestClient) -> None:
    server_id = client.post("/servers", json={"name": "db-01", "role": "db"}).json()["id"]
    refused = client.post(f"/servers/{server_id}/actions", json={"action": "recover"})
    assert refused.status_code == 409
    assert "BOOTING" in refused.json()["message"]
    assert client.get(f"/servers/{server_id}").json()["state"] == "BOOTING"

    failed = client.post(
        f"/servers/{server_id}/actions", json={"action": "fail", "reason": "disk controller died"}
    )
    assert failed.status_code == 200
    assert failed.json()["server"]["state"] == "FAILED"
    ticket_id = failed.json()["ticket_id"]
    ticket = client.get(f"/tickets/{ticket_id}").json()
    assert (ticket["source"], ticket["priority"], ticket["server_id"]) == (
        "server",
        "high",
        server_id,
    )
    assert "disk controller died" in ticket["description"]

    recovering = client.post(f"/servers/{server_id}/actions", json={"action": "recover"})
    assert recovering.json()["server"]["state"] == "RECOVERING"
    assert recovering.json()["ticket_id"] is None
    again = client.post(f"/servers/{server_id}/actions", json={"action": "fail"})
    assert again.json()["ticket_id"] == ticket_id, "an open ticket is annotated, not duplicated"
    assert len(client.get("/tickets/", params={"server_id": server_id}).json()) == 1
    history = client.get(f"/tickets/{ticket_id}/history").json()
    assert [e["action"] for e in history] == ["created", "comment"]

    stopped = client.post(f"/servers/{server_id}/actions", json={"action": "stop"})
    assert stopped.json()["server"]["state"] == "STOPPED"
    events = client.get(f"/servers/{server_id}/events").json()
    assert [e["to_state"] for e in events] == [
        "BOOTING",
        "FAILED",
        "RECOVERING",
        "FAILED",
        "STOPPED",
    ]
    assert events[1]["ticket_id"] == ticket_id
    assert (
        client.post(f"/servers/{server_id}/actions", json={"action": "explode"}).status_code == 422
    )


def test_unknown_servers(client: TestClient) -> None:
    assert client.get("/servers/7").status_code == 404
    assert client.get("/servers/7/events").status_code == 404
    assert client.post("/servers/7/actions", json={"action": "boot"}).status_code == 404
    assert client.get("/servers/x").status_code == 422
    bad_state = client.get("/servers", params={"state": "ON_FIRE"})
    assert bad_state.status_code == 422
    assert "state" in bad_state.json()["message"]


def test_a_simulated_failure_leaves_a_linked_ticket(client: TestClient) -> None:
    response = client.post("/simulation/tick", json=FAILING_TICK)
    assert response.status_code == 200, response.text
    tick = response.json()
    assert len(client.get("/servers").json()) == 4
    failures = [t for t in tick["transitions"] if t["to_state"] == "FAILED"]
    assert failures
    assert tick["tickets_opened"] == [t["ticket_id"] for t in failures]

    servers = {s["name"]: s for s in client.get("/servers").json()}
    listed = client.get("/tickets/", params={"source": "server"}).json()
    assert sorted(t["id"] for t in listed) == sorted(tick["tickets_opened"])
    for failure in failures:
        ticket = client.get(f"/tickets/{failure['ticket_id']}").json()
        server = servers[failure["server"]]
        assert ticket["server_id"] == server["id"]
        assert (ticket["source"], ticket["priority"], ticket["status"]) == (
            "server",
            "high",
            "open",
        )
        events = client.get(f"/servers/{server['id']}/events").json()
        assert any(e["to_state"] == "FAILED" and e["ticket_id"] == ticket["id"] for e in events)
    summary = client.get("/analytics/summary").json()
    assert summary["by_source"]["server"] == len(failures)
    assert summary["by_priority"]["high"] >= len(failures)
    assert summary["backlog"] == len(failures)

    for state, count in tick["servers"].items():
        assert gauge(client, state) == count
    assert sum(tick["servers"].values()) == 4
    assert tick["metrics_points"] == 4 * 5 * FAILING_TICK["steps"]
    stored = {
        s["unique_id"]: s["points"]
        for s in client.get("/series", params={"kind": "server_metrics"}).json()
    }
    assert stored["node-01:cpu_pct"] == FAILING_TICK["steps"]


def test_ticks_continue_the_same_trace(client: TestClient) -> None:
    first = client.post("/simulation/tick", json={"steps": 30, "seed": 9, "fleet_size": 2}).json()
    second = client.post("/simulation/tick", json={"steps": 30}).json()
    assert second["seed"] == first["seed"]
    assert second["start"] == first["end"]
    restarted = client.post("/simulation/tick", json={"steps": 5, "seed": 10}).json()
    assert restarted["seed"] == 10
    assert restarted["start"] == second["end"]
    shrink = client.post("/simulation/tick", json={"fleet_size": 1})
    assert shrink.status_code == 422
    assert "fleet_size" in shrink.json()["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"steps": 0}, "steps"),
        ({"steps": 100_000}, "steps"),
        ({"fleet_size": 0}, "fleet_size"),
        ({"failure_share": 1.5}, "failure_share"),
        ({"degraded_at": 1.0}, "degraded_at"),
        ({"seed": -1}, "seed"),
        ({"steps": 1440, "fleet_size": 200}, "steps"),
        ({"speed": 2}, "speed"),
    ],
)
def test_bad_ticks_write_nothing(client: TestClient, body: dict[str, Any], field: str) -> None:
    response = client.post("/simulation/tick", json=body)
    assert response.status_code == 422
    assert field in response.json()["message"]
    assert client.get("/servers").json() == []
    assert client.get("/tickets/").json() == []
