from __future__ import annotations

from fastapi.testclient import TestClient


def test_overview_invites_loading_data_when_empty(client: TestClient) -> None:
    response = client.get("/ui")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "opscast demo" in response.text


def test_overview_lists_series_with_sparklines(client: TestClient) -> None:
    points = [
        {"unique_id": "cpu", "ds": f"2024-01-01T00:{m:02d}:00", "y": m % 7} for m in range(30)
    ]
    client.post("/series/points", json={"kind": "server_metrics", "points": points})
    page = client.get("/ui").text
    assert 'href="/series/cpu/points"' in page
    assert "server_metrics" in page
    assert '<path d="M0.0,' in page
    assert client.get("/static/opscast.css").status_code == 200
