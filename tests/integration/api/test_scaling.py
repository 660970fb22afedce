"""Contract of the scaling endpoints (seed 5): simulate and recommend, good input and bad."""

from __future__ import annotations

import io
import math
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from conftest import make_settings
from opscast.api.app import create_app
from opscast.capacity.service import parse_scaling_csv
from opscast.simulate import simulate_traffic


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, mlflow_template: Path) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("scaling")
    var_dir = tmp / "var"
    var_dir.mkdir()
    shutil.copyfile(mlflow_template, var_dir / "mlflow.db")
    empty = tmp / "no-data"
    empty.mkdir()
    with TestClient(create_app(make_settings(var_dir, data_dir=empty))) as client:
        yield client


def seed_csv(days: int = 2) -> bytes:
    """Traffic in the seed's CSV shape: timestamp, requests_count, is_burst, is_event."""
    frame = simulate_traffic(days=days, freq="5min", seed=5).drop(columns="unique_id")
    frame = frame.rename(columns={"ds": "timestamp", "y": "requests_count"})
    return frame.to_csv(index=False).encode()


def seed_points(days: int = 2) -> list[dict[str, Any]]:
    return [point.model_dump(mode="json") for point in parse_scaling_csv(seed_csv(days))]


def simulate(client: TestClient, **body: Any) -> Any:
    return client.post("/scaling/simulate", json={"timeframe": "5m", **body})


def test_simulate_compares_the_three_policies_on_the_seed_csv(client: TestClient) -> None:
    points = seed_points()
    response = simulate(client, data=points, capacity_per_replica=5, max_replicas=40)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["points"] == len(points)
    assert set(body["policies"]) == {"reactive", "predictive", "oracle"}
    load = np.array([point["y"] for point in points])
    oracle = body["policies"]["oracle"]
    for name, outcome in body["policies"].items():
        assert outcome["requests"] == pytest.approx(load.sum())
        assert outcome["served"] + outcome["unserved"] == pytest.approx(load.sum())
        assert outcome["cost"] == pytest.approx(outcome["replica_hours"] * 0.10, rel=1e-3)
        replicas = body["timeline"]["replicas"][name]
        assert len(replicas) == len(points)
        assert min(replicas) >= 1
        assert max(replicas) <= 40
        assert oracle["sla_violation_minutes"] <= outcome["sla_violation_minutes"]
    assert oracle["unserved"] == 0
    savings = body["savings"]
    reactive, predictive = body["policies"]["reactive"], body["policies"]["predictive"]
    assert savings["cost"] == pytest.approx(reactive["cost"] - predictive["cost"], abs=1e-3)


def test_flagged_bursts_and_events_are_reported_one_by_one(client: TestClient) -> None:
    points = seed_points()
    body = simulate(client, data=points, capacity_per_replica=5).json()
    flags = pd.DataFrame(points)
    runs = {
        kind: int((flags[column] & ~flags[column].shift(fill_value=False)).sum())
        for kind, column in (("burst", "is_burst"), ("event", "is_event"))
    }
    reported = pd.Series([episode["kind"] for episode in body["episodes"]]).value_counts()
    assert runs["burst"] > 0
    for kind, count in runs.items():
        assert reported.get(kind, 0) == count
    for episode in body["episodes"]:
        assert episode["source"] == "flagged"
        assert set(episode["policies"]) == {"reactive", "predictive", "oracle"}
        assert episode["policies"]["oracle"]["unserved"] == 0


def test_bursts_are_detected_when_the_data_has_no_flags(client: TestClient) -> None:
    points = [{"ds": p["ds"], "y": p["y"]} for p in seed_points()]
    body = simulate(client, data=points, capacity_per_replica=5).json()
    assert body["episodes"], "a series with 3x-5x spikes has detected bursts"
    assert {episode["source"] for episode in body["episodes"]} == {"detected"}


def test_forecast_only_mode_leaves_the_hpa_in_charge(client: TestClient) -> None:
    points = seed_points(1)
    body = simulate(client, data=points, capacity_per_replica=5, mode="forecast_only").json()
    assert body["mode"] == "forecast_only"
    timeline = body["timeline"]
    assert timeline["replicas"]["predictive"] == timeline["replicas"]["reactive"]
    assert any(value > 1 for value in timeline["recommended"])


def test_a_missing_step_is_interpolated_and_counted(client: TestClient) -> None:
    points = seed_points(1)
    del points[10]
    body = simulate(client, data=points, capacity_per_replica=5).json()
    assert body["filled_points"] == 1
    assert body["points"] == len(points) + 1


def test_longer_provisioning_delay_costs_the_reactive_hpa_more_sla(client: TestClient) -> None:
    points = seed_points()
    quick = simulate(client, data=points, capacity_per_replica=5, provisioning_delay=0).json()
    slow = simulate(client, data=points, capacity_per_replica=5, provisioning_delay=600).json()
    minutes = [b["policies"]["reactive"]["sla_violation_minutes"] for b in (quick, slow)]
    assert minutes[0] < minutes[1]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"min_replicas": 5, "max_replicas": 2}, "min_replicas"),
        ({"capacity_per_replica": 0}, "capacity_per_replica"),
        ({"capacity_per_replica": -3}, "capacity_per_replica"),
        ({"timeframe": "2m"}, "timeframe"),
        ({"target_utilization": 1.5}, "target_utilization"),
        ({"sync_period": 7}, "sync_period"),
        ({"data": [{"ds": "2024-01-01 00:00", "y": 1}]}, "data"),
    ],
)
def test_bad_settings_are_a_422_naming_the_field(
    client: TestClient, change: dict[str, Any], field: str
) -> None:
    body = {"data": seed_points(1)[:50], "timeframe": "5m", **change}
    response = client.post("/scaling/simulate", json=body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert field in error["message"]
    assert [field] == [part for part in error["detail"][0]["loc"] if part == field]


def test_two_points_in_one_step_are_refused(client: TestClient) -> None:
    points = seed_points(1)[:20]
    points[5]["ds"] = points[4]["ds"]
    response = simulate(client, data=points)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "data.5.ds"]


def test_simulate_needs_the_api_key_once_keys_are_set(
    tmp_path: Path, mlflow_template: Path
) -> None:
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    shutil.copyfile(mlflow_template, var_dir / "mlflow.db")
    settings = make_settings(var_dir, api_keys=["s3cret-key-for-tests"])
    with TestClient(create_app(settings)) as keyed:
        body = {"data": seed_points(1)[:30], "timeframe": "5m"}
        assert keyed.post("/scaling/simulate", json=body).status_code == 401
        allowed = keyed.post(
            "/scaling/simulate", json=body, headers={"X-API-Key": "s3cret-key-for-tests"}
        )
        assert allowed.status_code == 200


FORECAST = [
    {"ds": "2024-01-01T00:00:00", "y": 1500},
    {"ds": "2024-01-01T00:05:00", "y": 3000, "upper": 4500},
    {"ds": "2024-01-01T00:10:00", "y": 900},
    {"ds": "2024-01-01T00:15:00", "y": 600},
]


def test_recommend_from_a_posted_forecast(client: TestClient) -> None:
    settings = {"capacity_per_replica": 2.0, "target_utilization": 0.5, "max_replicas": 100}
    response = client.post(
        "/scaling/recommend",
        json={
            "forecast": FORECAST,
            "timeframe": "5m",
            "current_replicas": 4,
            "current_load": 1200,
            "service": "checkout",
            **settings,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    lead = body["lead_steps"]
    assert lead == math.ceil((120 + 60) / 300)
    expected = np.array([p["y"] for p in FORECAST], dtype=float) / 300
    upper = np.array([p.get("upper", p["y"]) for p in FORECAST], dtype=float) / 300
    for i, step in enumerate(body["schedule"]):
        window = slice(i, i + lead + 1)
        at_target = math.ceil(expected[window].max() / (2.0 * 0.5))
        at_capacity = math.ceil(upper[window].max() / 2.0)
        assert step["replicas"] == max(at_target, at_capacity, 1)
    # the HPA's proposal: 1200 requests / 300 s over 4 replicas against a target of 1 rps
    assert body["reactive_replicas"] == math.ceil(4 * (1200 / 300 / 4) / 1.0)
    assert body["replicas"] == max(body["reactive_replicas"], body["predictive_replicas"])
    assert body["predictive_replicas"] == body["schedule"][0]["replicas"]
    assert body["forecast"]["source"] == "client"
    exposed = client.get("/metrics").text
    assert f'opscast_scaling_recommended_replicas{{service="checkout"}} {body["replicas"]}.0' in (
        exposed
    )


def test_recommend_forecasts_posted_traffic_with_the_traffic_model(client: TestClient) -> None:
    points = [{"ds": p["ds"], "y": p["y"]} for p in seed_points(1)[-48:]]
    response = client.post(
        "/scaling/recommend",
        json={
            "data": points,
            "timeframe": "5m",
            "model_type": "hybrid",
            "horizon": 6,
            "current_replicas": 2,
            "capacity_per_replica": 5,
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["forecast"]["source"] == "model"
    assert body["forecast"]["model_type"] == "hybrid"
    assert len(body["schedule"]) == 6
    assert all(step["upper"] >= step["expected"] >= 0 for step in body["schedule"])


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"forecast": None}, 422, "data"),
        ({"min_replicas": 9, "max_replicas": 3}, 422, "min_replicas"),
        ({"capacity_per_replica": 0}, 422, "capacity_per_replica"),
        ({"timeframe": "7m"}, 422, "timeframe"),
        (
            {"forecast": None, "data": [{"ds": "2024-01-01", "y": 5}], "timeframe": "1d"},
            422,
            "timeframe",
        ),
        (
            {"forecast": None, "data": [{"ds": "2024-01-01", "y": 5}], "model_type": "nope"},
            404,
            None,
        ),
    ],
)
def test_bad_recommend_requests(
    client: TestClient, change: dict[str, Any], status: int, field: str | None
) -> None:
    body = {"forecast": FORECAST, "timeframe": "5m", "current_replicas": 3, **change}
    body = {key: value for key, value in body.items() if value is not None}
    response = client.post("/scaling/recommend", json=body)
    assert response.status_code == status, response.text
    if field:
        assert field in response.json()["message"]


def test_the_seed_csv_parses_with_its_flags() -> None:
    points = parse_scaling_csv(seed_csv(1))
    frame = pd.read_csv(io.BytesIO(seed_csv(1)))
    assert len(points) == len(frame)
    assert sum(bool(p.is_burst) for p in points) == int(frame["is_burst"].sum())
