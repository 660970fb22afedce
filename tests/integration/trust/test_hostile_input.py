"""Input a client can send that once reached SQL or pandas unchecked: each is a clear 4xx.

Ids beyond SQL's 64-bit integers, timestamps beyond what pandas holds, a point that
would change a series' kind, and batches built to be expensive to refuse. Each answer
names the field, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

ClientFactory = Callable[..., TestClient]
TOO_BIG = 2**63
ID_TOO_BIG = 2**31  # ids are INTEGER columns: 32 bits on PostgreSQL

FAR_FUTURE = "3000-01-01T00:00:00"


def stored(client: TestClient) -> dict[str, int]:
    return {row["unique_id"]: row["points"] for row in client.get("/series").json()}


def field_of(response: Any) -> list[str]:
    return [".".join(str(part) for part in error["loc"]) for error in response.json()["detail"]]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/jobs?offset={TOO_BIG}", "query.offset"),
        (f"/jobs/{ID_TOO_BIG}", "path.job_id"),
        (f"/tickets/?offset={TOO_BIG}", "query.offset"),
        (f"/tickets/?server_id={ID_TOO_BIG}", "query.server_id"),
        (f"/tickets/{ID_TOO_BIG}", "path.ticket_id"),
        (f"/servers/{ID_TOO_BIG}", "path.server_id"),
        (f"/drift/reports/{ID_TOO_BIG}", "path.report_id"),
        (f"/drift/reports?offset={TOO_BIG}", "query.offset"),
        (f"/anomalies?offset={TOO_BIG}", "query.offset"),
    ],
)
def test_integers_beyond_sql_range_are_refused(client: TestClient, path: str, field: str) -> None:
    response = client.get(path)
    assert response.status_code == 422, response.text
    assert field in field_of(response)


def test_the_largest_sql_integers_are_served(client: TestClient) -> None:
    assert client.get(f"/tickets/{ID_TOO_BIG - 1}").status_code == 404
    assert client.get(f"/jobs?offset={TOO_BIG - 1}").status_code == 200


def far_future_requests() -> list[tuple[str, dict[str, Any], str, int]]:
    return [
        (
            "/series/points",
            {"points": [{"unique_id": "a", "ds": FAR_FUTURE, "y": 1.0}]},
            "body.points.0.ds",
            422,
        ),
        (
            "/collect",
            {"points": [{"host": "h", "metric": "m", "timestamp": FAR_FUTURE, "value": 1.0}]},
            "body.points.0.timestamp",
            422,
        ),
        (
            "/collect",
            {"logs": [{"service": "s", "level": "error", "timestamp": "1600-01-01T00:00:00Z"}]},
            "body.logs.0.timestamp",
            422,
        ),
        (
            "/forecast/predict",
            {
                "data": [{"ds": FAR_FUTURE, "y": 1.0}],
                "horizon": 3,
                "model_type": "xgboost",
                "timeframe": "5m",
            },
            "body.data.0.ds",
            400,  # the traffic endpoints answer invalid parameters with 400, as their seed does
        ),
        (
            "/detect_drift",
            {
                "category": "Software",
                "granularity": "weekly",
                "new_data": [{"ds": FAR_FUTURE, "y": 1.0}],
            },
            "body.new_data.0.ds",
            422,
        ),
    ]


@pytest.mark.parametrize(("path", "body", "field", "status"), far_future_requests())
def test_timestamps_beyond_pandas_range_are_refused(
    client: TestClient, path: str, body: dict[str, Any], field: str, status: int
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == status, response.text
    assert field in field_of(response)
    assert "between 1678-01-01 and 2262-01-01" in response.json()["message"]
    assert stored(client) == {}


def test_a_series_keeps_its_kind(client: TestClient) -> None:
    first = {"kind": "incidents", "points": [{"unique_id": "Software", "ds": "2024-01-01", "y": 3}]}
    assert client.post("/series/points", json=first).status_code == 201
    intruder = {
        "kind": "custom",
        "points": [
            {"unique_id": "Software", "ds": "2000-01-01", "y": 1},
            {"unique_id": "fresh", "ds": "2000-01-01", "y": 1},
        ],
    }
    response = client.post("/series/points", json=intruder)
    assert response.status_code == 409, response.text
    assert "'Software' holds incidents points" in response.json()["message"]
    assert stored(client) == {"Software": 1}


def test_collect_cannot_write_into_a_series_of_another_kind(client: TestClient) -> None:
    custom = {"points": [{"unique_id": "db:cpu", "ds": "2026-01-01", "y": 3}]}
    assert client.post("/series/points", json=custom).status_code == 201
    point = {"host": "db", "metric": "cpu", "timestamp": "2026-01-02T00:00:00Z", "value": 1.0}
    response = client.post("/collect", json={"points": [point]})
    assert response.status_code == 409, response.text
    assert stored(client) == {"db:cpu": 1}


def test_an_oversized_batch_is_refused_before_its_rows_are_read(
    client_factory: ClientFactory,
) -> None:
    client = client_factory(collect_max_items=1000)
    invalid = [{"host": "h", "metric": "m", "timestamp": "not a time", "value": "x"}] * 80_000
    response = client.post("/collect", json={"points": invalid})
    assert response.status_code == 422
    assert "80000 items exceed the limit of 1000" in response.json()["message"]
    assert len(response.content) < 1000


def test_many_bad_rows_give_a_bounded_error_list(client: TestClient) -> None:
    invalid = [{"host": "h", "metric": "m", "timestamp": "not a time", "value": 1.0}] * 5_000
    response = client.post("/collect", json={"points": invalid})
    assert response.status_code == 422
    body = response.json()
    assert len(body["detail"]) == 50
    assert "4950 more errors not listed" in body["message"]


def test_a_huge_wrong_typed_field_is_not_echoed_whole(client: TestClient) -> None:
    huge = "9" * 5_000_000
    response = client.post("/tickets/analyze", json={"description": ["not", "a", "string", huge]})
    assert response.status_code == 422
    assert len(response.content) < 2_000
    assert "characters)" in response.json()["detail"][0]["input"]
