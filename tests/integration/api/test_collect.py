"""Contract of POST /collect and the stored predictions it leads to, on the in-memory broker."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

ClientFactory = Callable[..., TestClient]
START = np.datetime64("2026-03-01T00:00:00")


def minute(i: int) -> str:
    return f"{START + np.timedelta64(i, 'm')}Z"


def fleet_points(n: int, spike_at: int) -> list[dict[str, Any]]:
    """Flat latency with one spike, and memory climbing towards 100 %."""
    rng = np.random.default_rng(7)
    points = []
    for i in range(n):
        latency = 20.0 + rng.normal(0, 0.5) + (60.0 if i == spike_at else 0.0)
        points.append(
            {"host": "web-1", "metric": "latency_ms", "timestamp": minute(i), "value": latency}
        )
        memory = 40.0 + 0.1 * i + rng.normal(0, 0.2)
        points.append(
            {
                "host": "web-1",
                "metric": "memory_pct",
                "timestamp": minute(i),
                "value": memory,
                "labels": {"role": "web"},
            }
        )
    return points


def stored(client: TestClient) -> dict[str, int]:
    return {row["unique_id"]: row["points"] for row in client.get("/series").json()}


def wait_for(client: TestClient, path: str, *, seconds: float = 60.0, **params: Any) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        body = client.get(path, params=params).json()
        if body:
            return body
        time.sleep(0.2)
    pytest.fail(f"nothing at {path} after {seconds} s")


def test_collect_stores_points_and_counts_logs(client: TestClient) -> None:
    body = {
        "points": [
            {"host": "db-1", "metric": "cpu_pct", "timestamp": minute(0), "value": 10.0},
            {"host": "db-1", "metric": "cpu_pct", "timestamp": minute(1), "value": 12.5},
            {"host": "shop", "metric": "orders", "timestamp": minute(0), "value": 31.0},
        ],
        "logs": [
            {"service": "checkout", "level": "error", "timestamp": "2026-03-01T00:00:05Z"},
            {"service": "checkout", "level": "error", "timestamp": "2026-03-01T00:00:50Z"},
            {"service": "checkout", "level": "info", "timestamp": "2026-03-01T00:01:10Z"},
        ],
    }
    response = client.post("/collect", json=body)
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["points_written"] == 3
    assert out["log_events_counted"] == 3
    assert out["series_created"] == 4
    assert out["published"] is True
    assert stored(client) == {
        "db-1:cpu_pct": 2,
        "shop:orders": 1,
        "checkout:log_error": 1,
        "checkout:log_info": 1,
    }
    errors = client.get("/series/checkout:log_error/points").json()["points"]
    assert errors == [{"ds": "2026-03-01T00:00:00Z", "y": 2.0}]

    again = client.post("/collect", json={"logs": body["logs"][:1]})
    assert again.status_code == 201
    errors = client.get("/series/checkout:log_error/points").json()["points"]
    assert errors == [{"ds": "2026-03-01T00:00:00Z", "y": 3.0}], "counts add up across batches"


def test_resending_points_replaces_them(client: TestClient) -> None:
    point = {"host": "db-1", "metric": "cpu_pct", "timestamp": minute(0), "value": 10.0}
    client.post("/collect", json={"points": [point]})
    client.post("/collect", json={"points": [{**point, "value": 11.0}]})
    values = client.get("/series/db-1:cpu_pct/points").json()["points"]
    assert values == [{"ds": "2026-03-01T00:00:00Z", "y": 11.0}]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"points": []}, "body"),
        (
            {"points": [{"host": "a:b", "metric": "x", "timestamp": minute(0), "value": 1}]},
            "points.0.host",
        ),
        (
            {
                "points": [
                    {"host": "a", "metric": "x", "timestamp": minute(0), "value": 1},
                    {"host": "a", "metric": "x", "timestamp": minute(1), "value": "NaN"},
                ]
            },
            "points.1.value",
        ),
        (
            {"points": [{"host": "a", "metric": "x", "timestamp": "yesterday", "value": 1}]},
            "points.0.timestamp",
        ),
        ({"logs": [{"service": "s", "level": "loud", "timestamp": minute(0)}]}, "logs.0.level"),
        (
            {
                "points": [
                    {"host": "a", "metric": "x", "timestamp": minute(0), "value": 1},
                    {"host": "a", "metric": "x", "timestamp": minute(0), "value": 2},
                ]
            },
            "points.1.timestamp",
        ),
    ],
)
def test_bad_batches_are_422_naming_the_row_and_write_nothing(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/collect", json=body)
    assert response.status_code == 422, response.text
    assert field in response.json()["message"] or any(
        ".".join(str(part) for part in error["loc"][1:]) == field
        for error in response.json()["detail"]
    )
    assert stored(client) == {}


def test_batches_over_the_size_limit_are_refused(client_factory: ClientFactory) -> None:
    client = client_factory(collect_max_items=2)
    points = [
        {"host": "a", "metric": "x", "timestamp": minute(i), "value": float(i)} for i in range(3)
    ]
    response = client.post("/collect", json={"points": points})
    assert response.status_code == 422
    assert "limit of 2" in response.json()["message"]
    assert stored(client) == {}


def test_collected_metrics_become_anomalies_and_time_to_failure(
    client_factory: ClientFactory,
) -> None:
    # a spike in a series of 400 points: the robust detector's case (the default
    # novelty detector rests through a young series' first patterns)
    client = client_factory(stream_detector="robust")
    points = fleet_points(400, spike_at=360)
    for start in range(0, len(points), 200):
        assert client.post("/collect", json={"points": points[start : start + 200]}).is_success

    anomalies = wait_for(client, "/anomalies", host="web-1", metric="latency_ms", min_score=0.5)
    spike = [row for row in anomalies if row["ds"] == "2026-03-01T06:00:00Z"]
    assert spike, anomalies
    assert spike[0]["score"] >= 0.5
    assert spike[0]["value"] == pytest.approx(80.0, abs=3)
    assert spike[0]["detector"] == "robust"
    assert spike[0]["explanation"], "a flagged point says which features drove it"
    assert sum(spike[0]["explanation"].values()) <= 1.0 + 1e-9

    ttf = wait_for(client, "/predictions/time-to-failure", host="web-1")
    memory = next(row for row in ttf if row["metric"] == "memory_pct")
    # 40 % + 0.1 %/min reaches 100 % at minute 600, 200 minutes after the last point
    assert memory["eta_hours"] == pytest.approx(200 / 60, rel=0.15)
    assert memory["limit"] == 100.0
    assert memory["sentence"].startswith("web-1 memory likely exhausted in about")
    assert memory["recommended_action"]

    metrics = client.get("/metrics").text
    assert "opscast_ingested_points_total" in metrics
    assert "opscast_anomalies_total" in metrics


def test_anomaly_filters_and_pages(client: TestClient) -> None:
    points = fleet_points(400, spike_at=360)
    client.post("/collect", json={"points": points})
    wait_for(client, "/anomalies", host="web-1", metric="latency_ms", min_score=0.5)
    everything = client.get("/anomalies", params={"limit": 1000})
    total = int(everything.headers["x-total-count"])
    assert total == len(everything.json()) >= 1
    first = client.get("/anomalies", params={"limit": 1})
    assert len(first.json()) == 1
    assert first.headers["x-total-count"] == str(total)
    second = client.get("/anomalies", params={"limit": 1, "offset": 1}).json()
    assert second != first.json() or total == 1
    strong = client.get("/anomalies", params={"min_score": 0.9}).json()
    assert all(row["score"] >= 0.9 for row in strong)
    window = client.get(
        "/anomalies",
        params={"start": "2026-03-01T05:59:00Z", "end": "2026-03-01T06:01:00Z"},
    ).json()
    assert all("2026-03-01T05:59" <= row["ds"] <= "2026-03-01T06:01" for row in window)
    assert client.get("/anomalies", params={"host": "nobody"}).json() == []


@pytest.mark.parametrize(
    "params",
    [
        {"min_score": 2},
        {"limit": 0},
        {"host": "a:b"},
        {"start": "2026-03-02T00:00:00", "end": "2026-03-01T00:00:00"},
    ],
)
def test_bad_anomaly_queries_are_422(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get("/anomalies", params=params)
    assert response.status_code == 422
    assert response.json()["message"]


def test_points_for_a_series_of_another_kind_are_409_and_write_nothing(
    client: TestClient,
) -> None:
    taken = {"unique_id": "web-9:load", "ds": "2026-03-01T00:00:00", "y": 1.0}
    assert client.post("/series/points", json={"kind": "custom", "points": [taken]}).is_success
    body = {
        "points": [
            {"host": "web-1", "metric": "load", "timestamp": minute(0), "value": 1.0},
            {"host": "web-9", "metric": "load", "timestamp": minute(1), "value": 2.0},
        ],
        "logs": [{"service": "web", "level": "error", "timestamp": minute(0)}],
    }
    response = client.post("/collect", json=body)
    assert response.status_code == 409, response.text
    assert "web-9:load" in response.json()["message"]
    assert stored(client) == {"web-9:load": 1}
