"""Contract of the tickets endpoints (seed 2 shapes), workflow, history, filters and analytics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from opscast.config import Settings

DESCRIPTION_LIMIT = Settings.model_fields["ticket_description_max_chars"].default

SEED_TICKET = {"title": "Server down", "description": "All servers unreachable"}


@pytest.fixture(autouse=True)
def _registry(model_store_ready: Path) -> Path:
    """Tickets are classified by the registry's champion: start from a migrated store."""
    return model_store_ready


def create(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/tickets/", json={**SEED_TICKET, **body})
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


def all_tickets(client: TestClient) -> list[dict[str, Any]]:
    tickets: list[dict[str, Any]] = client.get("/tickets/").json()
    return tickets


def test_seed_examples(client: TestClient) -> None:
    created = create(client)
    ticket_id = created["id"]
    assert (created["title"], created["description"]) == ("Server down", "All servers unreachable")
    assert created["priority"] == "high"
    assert isinstance(created["classification"], str)
    assert created["classification"]
    assert created["status"] == "open"

    listing = all_tickets(client)
    assert [ticket["id"] for ticket in listing] == [ticket_id]
    assert client.get(f"/tickets/{ticket_id}").json() == created

    updated = client.put(f"/tickets/{ticket_id}", json={"description": "Server still down"})
    assert updated.status_code == 200
    assert updated.json()["description"] == "Server still down"
    assert updated.json()["priority"] == "high"

    analysis = client.post("/tickets/analyze", json={"description": "Server outage"})
    assert analysis.status_code == 200
    body = analysis.json()
    assert body["description"] == "Server outage"
    assert body["predicted_priority"] == "high"
    assert isinstance(body["predicted_classification"], str)

    summary = client.get("/analytics/summary").json()
    assert summary["by_priority"]["high"] == 1
    assert summary["by_classification"] == {updated.json()["classification"]: 1}

    deleted = client.delete(f"/tickets/{ticket_id}").json()
    assert deleted == {"message": f"Ticket {ticket_id} deleted successfully"}
    assert client.get(f"/tickets/{ticket_id}").status_code == 404
    assert all_tickets(client) == []
    assert client.get("/analytics/summary").json()["total"] == 0


def test_new_text_rescores_priority_and_classification(client: TestClient) -> None:
    ticket = create(client, title="Keyboard", description="please order a new keyboard")
    assert ticket["priority"] == "low"
    assert ticket["classification"] == "hardware"
    changed = client.put(
        f"/tickets/{ticket['id']}",
        json={"title": "VPN outage", "description": "the vpn is down for all users"},
    ).json()
    assert changed["priority"] == "high"
    assert changed["classification"] == "network"
    history = client.get(f"/tickets/{ticket['id']}/history").json()
    assert [event["action"] for event in history] == ["created", "updated"]
    assert history[1]["changes"]["priority"] == ["low", "high"]
    assert history[1]["changes"]["classification"] == ["hardware", "network"]


def test_given_impact_and_urgency_use_the_matrix(client: TestClient) -> None:
    ticket = create(client, impact=3, urgency=2)
    assert (ticket["itil_priority"], ticket["priority"]) == (4, "low")
    # the text changes, but a person's impact and urgency stay
    again = client.put(f"/tickets/{ticket['id']}", json={"description": "everything is on fire"})
    assert (again.json()["impact"], again.json()["urgency"]) == (3, 2)
    raised = client.put(f"/tickets/{ticket['id']}", json={"impact": 1})
    assert (raised.json()["itil_priority"], raised.json()["priority"]) == (2, "high")


def test_workflow_timestamps_and_refusals(client: TestClient) -> None:
    ticket_id = create(client)["id"]
    started = client.put(
        f"/tickets/{ticket_id}", json={"status": "in_progress", "assignee": "ana", "actor": "ana"}
    ).json()
    assert started["started_at"] is not None
    assert started["assignee"] == "ana"
    resolved = client.put(f"/tickets/{ticket_id}", json={"status": "resolved"}).json()
    assert resolved["resolved_at"] is not None
    reopened = client.put(f"/tickets/{ticket_id}", json={"status": "open"}).json()
    assert reopened["resolved_at"] is None
    closed = client.put(f"/tickets/{ticket_id}", json={"status": "closed"}).json()
    assert closed["closed_at"] is not None
    assert closed["resolved_at"] is not None

    refused = client.put(f"/tickets/{ticket_id}", json={"status": "open"})
    assert refused.status_code == 409
    assert "final" in refused.json()["message"]
    edit = client.put(f"/tickets/{ticket_id}", json={"description": "changed"})
    assert edit.status_code == 409
    assert client.get(f"/tickets/{ticket_id}").json() == closed

    history = client.get(f"/tickets/{ticket_id}/history").json()
    statuses = [e["changes"]["status"][1] for e in history if e["action"] == "status"]
    assert statuses == ["in_progress", "resolved", "open", "closed"]
    assert history[1]["actor"] == "ana"


def test_summary_backlog_and_time_to_resolve(client: TestClient) -> None:
    first, second, _third = (create(client)["id"] for _ in range(3))
    client.put(f"/tickets/{first}", json={"status": "resolved"})
    client.put(f"/tickets/{second}", json={"status": "in_progress"})
    summary = client.get("/analytics/summary").json()
    assert summary["by_status"] == {"open": 1, "in_progress": 1, "resolved": 1, "closed": 0}
    assert summary["backlog"] == 2
    assert summary["total"] == 3
    assert summary["by_source"] == {"user": 3}
    assert summary["mean_time_to_resolve_hours"] >= 0.0


def test_a_correction_is_kept_and_retraining_learns_it(client: TestClient) -> None:
    texts = [
        ("Toner", "the toner cartridge smudges every printed page"),
        ("Toner again", "toner cartridge leaks and smudges pages on floor 3"),
    ]
    ids = [create(client, title=t, description=d)["id"] for t, d in texts]
    for ticket_id in ids:
        corrected = client.put(f"/tickets/{ticket_id}", json={"classification": "printing"}).json()
        assert corrected["classification"] == "printing"
        assert corrected["classification_corrected"] is True
    kept = client.put(f"/tickets/{ids[0]}", json={"description": "toner cartridge still smudges"})
    assert kept.json()["classification"] == "printing"

    retrained = client.post("/tickets/classifier/retrain")
    assert retrained.status_code == 200
    body = retrained.json()
    assert body["corrections"] == 2
    assert (body["task"], body["version"], body["promoted"]) == ("tickets-classifier", 2, True)
    assert "printing" in body["classes"]
    assert 0.0 <= body["holdout_macro_f1"] <= 1.0
    info = client.get("/tickets/classifier").json()
    assert (info["version"], info["corrections"]) == (2, 2)
    assert info["trained_on"] == body["trained_on"]
    guess = client.post(
        "/tickets/analyze", json={"description": "toner cartridge smudges the printed pages"}
    ).json()
    assert guess["model_classification"] == "printing"


def test_a_classification_at_creation_is_a_correction(client: TestClient) -> None:
    ticket = create(client, classification="facilities")
    assert ticket["classification"] == "facilities"
    assert ticket["classification_method"] == "manual"
    assert ticket["classification_corrected"] is True


def test_low_confidence_falls_back_to_the_rules(client_factory: Any) -> None:
    client = client_factory(ticket_confidence_threshold=1.0)
    result = client.post("/tickets/analyze", json={"description": "I am locked out of my account"})
    assert result.json()["method"] == "rules"
    assert result.json()["predicted_classification"] == "access"
    assert "locked out" in result.json()["matched_keywords"]
    sure = client_factory(ticket_confidence_threshold=0.0)
    assert sure.post("/tickets/analyze", json={"description": "x"}).json()["method"] == "model"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "", "description": "x"}, "title"),
        ({"title": "   ", "description": "x"}, "title"),
        ({"title": "t"}, "description"),
        ({"title": "t", "description": "x" * (DESCRIPTION_LIMIT + 1)}, "description"),
        ({"title": "t" * 201, "description": "x"}, "title"),
        ({"title": "t", "description": "x", "impact": 4}, "impact"),
        ({"title": "t", "description": "x", "classification": "Not A Label"}, "classification"),
        ({"title": "t", "description": "x", "source": "fax"}, "source"),
        ({"title": "t", "description": "x", "colour": "red"}, "colour"),
        ({"title": 5, "description": "x"}, "title"),
    ],
)
def test_bad_tickets_are_refused_and_nothing_is_written(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/tickets/", json=body)
    assert response.status_code == 422
    assert field in response.json()["message"]
    assert all_tickets(client) == []
    assert client.get("/analytics/summary").json()["total"] == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": ""}, "title"),
        ({"status": "done"}, "status"),
        ({"urgency": 0}, "urgency"),
        ({"description": "x" * (DESCRIPTION_LIMIT + 1)}, "description"),
        ({"priority": "high"}, "priority"),
    ],
)
def test_bad_updates_change_nothing(client: TestClient, body: dict[str, Any], field: str) -> None:
    ticket = create(client)
    response = client.put(f"/tickets/{ticket['id']}", json=body)
    assert response.status_code == 422
    assert field in response.json()["message"]
    assert client.get(f"/tickets/{ticket['id']}").json() == ticket
    assert len(client.get(f"/tickets/{ticket['id']}/history").json()) == 1


def test_unknown_and_malformed_ids(client: TestClient) -> None:
    assert client.get("/tickets/99").status_code == 404
    assert "99" in client.get("/tickets/99").json()["message"]
    assert client.put("/tickets/99", json={"title": "x"}).status_code == 404
    assert client.delete("/tickets/99").status_code == 404
    assert client.get("/tickets/99/history").status_code == 404
    assert client.get("/tickets/abc").status_code == 422
    assert client.get("/tickets/0").status_code == 422
    assert client.post("/tickets/analyze", json={"description": ""}).status_code == 422


def test_filters_sorting_and_pages(client: TestClient) -> None:
    low = create(client, title="Keyboard", description="please order a new keyboard")["id"]
    medium = create(client, title="Slow report", description="the report page is slow")["id"]
    high = create(client)["id"]
    alert = create(
        client, title="Password", description="password reset", source="alert", alert_id="a-1"
    )["id"]
    client.put(f"/tickets/{high}", json={"status": "in_progress"})

    by_priority = client.get("/tickets/", params={"sort": "priority"}).json()
    ranks = {"high": 0, "medium": 1, "low": 2}
    assert [ranks[t["priority"]] for t in by_priority] == sorted(
        ranks[t["priority"]] for t in by_priority
    )
    newest = client.get("/tickets/", params={"sort": "-id"}).json()
    assert [t["id"] for t in newest] == [alert, high, medium, low]

    in_progress = client.get("/tickets/", params={"status": "in_progress"}).json()
    assert [t["id"] for t in in_progress] == [high]
    alerts = client.get("/tickets/", params={"source": "alert"}).json()
    assert [(t["id"], t["alert_id"]) for t in alerts] == [(alert, "a-1")]
    mediums = client.get("/tickets/", params={"priority": "medium"}).json()
    assert [t["id"] for t in mediums] == [medium]
    assert client.get("/tickets/", params={"classification": "access"}).json()[0]["id"] == alert

    page = client.get("/tickets/", params={"limit": 2, "offset": 1})
    assert [t["id"] for t in page.json()] == [medium, high]
    assert page.headers["x-total-count"] == "4"
    filtered = client.get("/tickets/", params={"source": "user", "limit": 1})
    assert filtered.headers["x-total-count"] == "3"
    assert len(filtered.json()) == 1


@pytest.mark.parametrize(
    "params",
    [{"sort": "title; drop table"}, {"limit": 0}, {"limit": 5000}, {"offset": -1}, {"status": "x"}],
)
def test_bad_list_parameters(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get("/tickets/", params=params)
    assert response.status_code == 422
    assert response.json()["message"]


def test_daily_counts_in_long_format(client: TestClient) -> None:
    create(client, title="VPN", description="vpn times out")
    create(client, title="Password", description="password reset")
    create(client, title="VPN", description="vpn keeps dropping")
    daily = client.get("/analytics/incidents/daily").json()
    assert {row["unique_id"] for row in daily} == {"network", "access"}
    assert {row["unique_id"]: row["y"] for row in daily} == {"network": 2, "access": 1}
    assert all(set(row) == {"unique_id", "ds", "y"} for row in daily)
    only = client.get("/analytics/incidents/daily", params={"classification": "access"}).json()
    assert [row["unique_id"] for row in only] == ["access"]
    wrong_way = client.get(
        "/analytics/incidents/daily", params={"start": "2025-02-01", "end": "2025-01-01"}
    )
    assert wrong_way.status_code == 422


def test_created_tickets_are_counted_in_prometheus(client: TestClient) -> None:
    def count() -> float:
        for line in client.get("/metrics").text.splitlines():
            if line.startswith('opscast_tickets_total{classification="access",priority="low"}'):
                return float(line.split()[-1])
        return 0.0

    before = count()
    create(client, title="Password", description="password reset")
    assert count() == before + 1
