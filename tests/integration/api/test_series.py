"""Contract of the stored-series endpoints, including bad input that must write nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

ClientFactory = Callable[..., TestClient]
KEY = "test-key-0123456789abcdef"


def hourly_points(unique_id: str, hours: int, start_value: float = 0.0) -> list[dict[str, Any]]:
    return [
        {"unique_id": unique_id, "ds": f"2024-01-01T{hour:02d}:30:00", "y": start_value + hour}
        for hour in range(hours)
    ]


def stored(client: TestClient) -> dict[str, int]:
    return {row["unique_id"]: row["points"] for row in client.get("/series").json()}


def test_upload_list_read_delete(client: TestClient) -> None:
    body = {
        "kind": "traffic",
        "freq": "h",
        "labels": {"team": "web"},
        "points": hourly_points("web", 6),
    }
    response = client.post("/series/points", json=body)
    assert response.status_code == 201, response.text
    assert response.json() == {"series_created": 1, "points_written": 6, "unique_ids": ["web"]}

    listing = client.get("/series", params={"kind": "traffic"}).json()
    assert len(listing) == 1
    assert listing[0]["labels"] == {"team": "web"}
    assert listing[0]["points"] == 6
    assert listing[0]["first_ds"] == "2024-01-01T00:30:00Z"
    assert client.get("/series", params={"kind": "demand"}).json() == []

    points = client.get("/series/web/points").json()["points"]
    assert [p["y"] for p in points] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]

    deleted = client.delete("/series/web")
    assert deleted.json() == {"message": "Series web deleted successfully"}
    assert client.get("/series/web/points").status_code == 404


def test_reupload_replaces_values(client: TestClient) -> None:
    client.post("/series/points", json={"points": hourly_points("a", 3)})
    again = client.post("/series/points", json={"points": hourly_points("a", 3, start_value=10)})
    assert again.json()["series_created"] == 0
    assert [p["y"] for p in client.get("/series/a/points").json()["points"]] == [10.0, 11.0, 12.0]


def test_points_aggregate_to_a_granularity(client: TestClient) -> None:
    points = [
        {"unique_id": "inc", "ds": f"2024-01-{day:02d}T{hour:02d}:00:00", "y": 1.0}
        for day in (1, 2, 4)
        for hour in (9, 13)
    ]
    client.post("/series/points", json={"kind": "incidents", "points": points})
    daily = client.get("/series/inc/points", params={"granularity": "daily"}).json()
    assert daily["granularity"] == "daily"
    assert [(p["ds"][:10], p["y"]) for p in daily["points"]] == [
        ("2024-01-01", 2.0),
        ("2024-01-02", 2.0),
        ("2024-01-03", 0.0),
        ("2024-01-04", 2.0),
    ]
    window = client.get(
        "/series/inc/points",
        params={
            "granularity": "daily",
            "start": "2024-01-02T00:00:00",
            "end": "2024-01-02T23:59:59",
        },
    ).json()
    assert [p["y"] for p in window["points"]] == [2.0]


def test_timezone_aware_input_is_stored_in_utc(client: TestClient) -> None:
    points = [{"unique_id": "tz", "ds": "2024-01-01T02:00:00+02:00", "y": 1.0}]
    client.post("/series/points", json={"points": points})
    assert client.get("/series/tz/points").json()["points"][0]["ds"] == "2024-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("points", "field"),
    [
        ([{"unique_id": "x", "ds": "2024-01-01T00:00:00", "y": "lots"}], "points.0.y"),
        ([{"unique_id": "x", "ds": "yesterday", "y": 1}], "points.0.ds"),
        ([{"unique_id": "x", "y": 1}], "points.0.ds"),
        ([{"unique_id": "has space", "ds": "2024-01-01T00:00:00", "y": 1}], "points.0.unique_id"),
        ([{"unique_id": "x/y", "ds": "2024-01-01T00:00:00", "y": 1}], "points.0.unique_id"),
        ([{"unique_id": "x", "ds": "2024-01-01T00:00:00", "y": 1, "extra": 2}], "points.0.extra"),
        ([], "points"),
    ],
)
def test_invalid_points_are_rejected_and_nothing_is_written(
    client: TestClient, points: list[dict[str, Any]], field: str
) -> None:
    valid = hourly_points("ok", 2)
    response = client.post("/series/points", json={"points": valid + points if points else []})
    assert response.status_code == 422
    body = response.json()
    shifted = field.replace("points.0", f"points.{len(valid)}") if points else field
    assert shifted in body["message"]
    assert stored(client) == {}


def test_nan_and_infinity_are_rejected(client: TestClient) -> None:
    raw = '{"points": [{"unique_id": "x", "ds": "2024-01-01T00:00:00", "y": NaN}]}'
    response = client.post(
        "/series/points", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert stored(client) == {}


def test_duplicate_points_name_the_row(client: TestClient) -> None:
    points = [*hourly_points("d", 4), {"unique_id": "d", "ds": "2024-01-01T02:30:00", "y": 9}]
    response = client.post("/series/points", json={"points": points})
    assert response.status_code == 422
    assert "4" in response.json()["message"]
    assert response.json()["detail"][0]["loc"][-1] in {"ds", "unique_id"}
    assert stored(client) == {}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"granularity": "fortnightly"}, 422),
        ({"agg": "median"}, 422),
        ({"start": "not-a-date"}, 422),
        ({"start": "2024-02-01T00:00:00", "end": "2024-01-01T00:00:00"}, 422),
    ],
)
def test_bad_read_parameters(client: TestClient, params: dict[str, str], status: int) -> None:
    client.post("/series/points", json={"points": hourly_points("r", 2)})
    response = client.get("/series/r/points", params=params)
    assert response.status_code == status
    assert response.json()["message"]


def test_unknown_series(client: TestClient) -> None:
    assert client.get("/series/ghost/points").status_code == 404
    response = client.delete("/series/ghost")
    assert response.status_code == 404
    assert "GET /series" in response.json()["message"]


def test_oversized_bodies_are_refused(client_factory: ClientFactory) -> None:
    client = client_factory(max_upload_bytes=500)
    response = client.post("/series/points", json={"points": hourly_points("big", 24)})
    assert response.status_code == 413
    assert "OPSCAST_MAX_UPLOAD_BYTES" in response.json()["message"]
    assert stored(client) == {}


def test_oversized_streamed_bodies_are_refused(client_factory: ClientFactory) -> None:
    client = client_factory(max_upload_bytes=2_000)

    def chunks() -> Any:
        yield b'{"points": ['
        for index in range(200):
            yield b'{"unique_id": "s", "ds": "2024-01-01T00:00:00", "y": 1},' if index else b""
        yield b"]}"

    response = client.post(
        "/series/points", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert stored(client) == {}


def test_too_many_points_per_request(client_factory: ClientFactory) -> None:
    client = client_factory(max_points_per_request=3)
    response = client.post("/series/points", json={"points": hourly_points("many", 4)})
    assert response.status_code == 422
    assert "split the upload" in response.json()["message"]
    assert stored(client) == {}


def test_reads_and_writes_need_a_key_once_auth_is_on(client_factory: ClientFactory) -> None:
    client = client_factory(api_keys=[KEY])
    body = {"points": hourly_points("secure", 2)}
    missing = client.post("/series/points", json=body)
    assert missing.status_code == 401
    assert "X-API-Key" in missing.json()["message"]
    wrong = client.post("/series/points", json=body, headers={"X-API-Key": "x" * 24})
    assert wrong.status_code == 401
    assert client.delete("/series/secure").status_code == 401
    assert client.get("/series").status_code == 401
    assert client.get("/series", headers={"X-API-Key": KEY}).json() == []

    assert client.post("/series/points", json=body, headers={"X-API-Key": KEY}).status_code == 201
    bearer = client.post("/series/points", json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert bearer.status_code == 201
    assert client.get("/series", headers={"X-API-Key": KEY}).status_code == 200
    assert client.get("/health").status_code == 200
