"""Limits that keep one client from knocking the service over: each refusal is clear."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

ClientFactory = Callable[..., TestClient]
KEY_A = "a" * 32
KEY_B = "b" * 32


def test_the_expensive_endpoints_are_rate_limited_per_key(client_factory: ClientFactory) -> None:
    """Every request counts, refused ones too; an empty body is refused at once (422)."""
    client = client_factory(rate_limit_per_minute=2, api_keys=[KEY_A, KEY_B])
    first_key = {"X-API-Key": KEY_A}
    assert client.post("/detect_drift", json={}, headers=first_key).status_code == 422
    assert client.post("/forecast", json={}, headers=first_key).status_code == 422
    refused = client.post("/detect_drift", json={}, headers=first_key)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "OPSCAST_RATE_LIMIT_PER_MINUTE" in refused.json()["message"]
    other_key = {"Authorization": f"Bearer {KEY_B}"}
    assert client.post("/detect_drift", json={}, headers=other_key).status_code == 422
    assert client.get("/tickets/", headers=first_key).status_code == 200


def test_zero_switches_the_rate_limit_off(client_factory: ClientFactory) -> None:
    client = client_factory(rate_limit_per_minute=0)
    statuses = {client.post("/detect_drift", json={}).status_code for _ in range(5)}
    assert statuses == {422}


def test_an_oversized_body_is_refused_with_413(client_factory: ClientFactory) -> None:
    client = client_factory(max_upload_bytes=1000)
    response = client.post("/tickets/", json={"title": "t", "description": "x" * 2000})
    assert response.status_code == 413
    assert "OPSCAST_MAX_UPLOAD_BYTES" in response.json()["message"]


def test_a_ticket_text_beyond_its_limit_is_refused(client: TestClient) -> None:
    response = client.post("/tickets/", json={"title": "t" * 201, "description": "d"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "title"]
    assert client.get("/tickets/").json() == []


def upload_traffic_csv(client: TestClient, rows: str, *, horizon: int) -> Any:
    """Seed 5's CSV upload with the given data rows under its header."""
    return client.post(
        "/forecast/predict/csv",
        files={"file": ("traffic.csv", "timestamp,requests_count\n" + rows, "text/csv")},
        data={"horizon": str(horizon), "model_type": "xgboost", "timeframe": "5m"},
    )


def test_a_csv_with_too_many_rows_is_refused(client: TestClient) -> None:
    rows = "".join(f"1995-08-01 00:{i // 60 % 60:02d}:{i % 60:02d},1\n" for i in range(100_001))
    response = upload_traffic_csv(client, rows, horizon=3)
    assert response.status_code == 400
    assert "more than 100000 rows" in response.json()["message"]


TRAFFIC = {"horizon": 3, "model_type": "xgboost", "timeframe": "5m"}


def points(count: int) -> list[dict[str, object]]:
    return [{"ds": f"1995-08-01 00:{5 * i:02d}:00", "y": 1.0} for i in range(count)]


def test_every_fixed_limit_has_a_setting_that_moves_it(client_factory: ClientFactory) -> None:
    """Each limit, lowered by its setting, refuses what the default lets through, and the
    answer names the setting; nothing is computed or written."""
    client = client_factory(
        max_posted_points=3, forecast_max_horizon=2, ticket_description_max_chars=20
    )
    long = "d" * 21
    refusals = [
        (client.post("/forecast/predict", json={**TRAFFIC, "data": points(4)}), 400, "data"),
        (client.post("/forecast/backtest", json={**TRAFFIC, "data": points(4)}), 400, "data"),
        (
            client.post(
                "/detect_drift",
                json={
                    "category": "Software",
                    "granularity": "quarterly",
                    "new_data": [{"ds": f"2024-0{m}-01", "y": 1.0} for m in range(1, 5)],
                },
            ),
            422,
            "new_data",
        ),
        (client.post("/forecast/predict", json={**TRAFFIC, "data": points(2)}), 400, "horizon"),
        (
            client.post("/tickets/", json={"title": "t", "description": "d" * 21}),
            422,
            "description",
        ),
        (client.post("/tickets/analyze", json={"description": long}), 422, "description"),
    ]
    settings = {
        "data": "OPSCAST_MAX_POSTED_POINTS",
        "new_data": "OPSCAST_MAX_POSTED_POINTS",
        "horizon": "OPSCAST_FORECAST_MAX_HORIZON",
        "description": "OPSCAST_TICKET_DESCRIPTION_MAX_CHARS",
    }
    for response, status, field in refusals:
        assert response.status_code == status, response.text
        assert response.json()["detail"][0]["loc"] == ["body", field]
        assert settings[field] in response.json()["message"]
    rows = "".join(f"1995-08-01 00:{5 * i:02d}:00,1\n" for i in range(4))
    upload = upload_traffic_csv(client, rows, horizon=2)
    assert upload.status_code == 400
    assert "more than 3 rows" in upload.json()["message"]
    assert client.get("/tickets/").json() == []
    raised = client_factory(ticket_description_max_chars=50_000)
    long_text = {"title": "t", "description": "disk full " * 1_500}  # 15,000 characters
    assert raised.post("/tickets/", json=long_text).status_code == 201
