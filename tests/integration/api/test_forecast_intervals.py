"""Intervals on both forecast endpoints: the seeds' shapes plus ``lower``/``upper`` per point
when a level is asked, nothing extra when not, and 422 naming ``level`` outside (0, 100)."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import make_settings
from opscast.api.app import create_app
from opscast.simulate import simulate_incidents

ClientFactory = Callable[..., TestClient]
TRAFFIC: dict[str, Any] = {
    "data": [{"ds": "1995-08-01 00:00:00", "y": 245}],
    "horizon": 12,
    "model_type": "lightgbm",
    "timeframe": "5m",
}
INCIDENTS: dict[str, Any] = {"category": "Network", "granularity": "monthly", "future_periods": 6}
BAD_LEVELS = [0, 100, -5, 150]


@pytest.fixture(scope="module")
def traffic(
    tmp_path_factory: pytest.TempPathFactory, mlflow_template: Path
) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("intervals")
    (tmp / "var").mkdir()
    (tmp / "no-data").mkdir()
    shutil.copyfile(mlflow_template, tmp / "var" / "mlflow.db")
    settings = make_settings(tmp / "var", data_dir=tmp / "no-data")
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def incidents(client_factory: ClientFactory) -> TestClient:
    client = client_factory(train_on_start=False)
    frame = simulate_incidents(start="2022-01-01", days=900, categories=["Network"], seed=3)
    points = [
        {"unique_id": "Network", "ds": ds.isoformat(), "y": float(y)}
        for ds, y in zip(frame["ds"], frame["y"], strict=True)
    ]
    response = client.post("/series/points", json={"kind": "incidents", "points": points})
    assert response.status_code == 201, response.text
    return client


def assert_bounds_around(points: list[dict[str, Any]], value: str) -> None:
    for point in points:
        assert point["lower"] <= point[value] <= point["upper"], point
        assert point["lower"] >= 0
    widths = [point["upper"] - point["lower"] for point in points]
    assert max(widths) > 0


def test_traffic_predict_without_level_keeps_the_seed_shape(traffic: TestClient) -> None:
    response = traffic.post("/forecast/predict", json=TRAFFIC)
    assert response.status_code == 200, response.text
    assert {tuple(sorted(p)) for p in response.json()["predictions"]} == {("ds", "y")}


def test_traffic_predict_with_level_adds_bounds(traffic: TestClient) -> None:
    plain = traffic.post("/forecast/predict", json=TRAFFIC).json()["predictions"]
    response = traffic.post("/forecast/predict", json={**TRAFFIC, "level": 95})
    assert response.status_code == 200, response.text
    points = response.json()["predictions"]
    assert [{"ds", "y", "lower", "upper"}] * len(plain) == [set(p) for p in points]
    assert [p["y"] for p in points] == [p["y"] for p in plain]  # same point forecast
    assert_bounds_around(points, "y")


def test_a_wider_level_gives_wider_traffic_intervals(traffic: TestClient) -> None:
    def widths(level: float) -> list[float]:
        points = traffic.post("/forecast/predict", json={**TRAFFIC, "level": level}).json()
        return [p["upper"] - p["lower"] for p in points["predictions"]]

    narrow, wide = widths(50), widths(95)
    assert all(w >= n for n, w in zip(narrow, wide, strict=True))
    assert sum(wide) > sum(narrow)


@pytest.mark.parametrize("level", BAD_LEVELS)
def test_traffic_level_outside_0_100_is_422_naming_it(traffic: TestClient, level: float) -> None:
    response = traffic.post("/forecast/predict", json={**TRAFFIC, "level": level})
    assert response.status_code == 422, response.text
    assert "level" in response.text


def test_incident_forecast_without_level_keeps_the_seed_shape(incidents: TestClient) -> None:
    response = incidents.post("/forecast", json=INCIDENTS)
    assert response.status_code == 200, response.text
    body = response.json()
    assert [set(p) for p in body["forecast"]] == [{"date", "predicted_value"}] * 6


def test_incident_forecast_with_level_adds_bounds(incidents: TestClient) -> None:
    plain = incidents.post("/forecast", json=INCIDENTS).json()["forecast"]
    response = incidents.post("/forecast", json={**INCIDENTS, "level": 90})
    assert response.status_code == 200, response.text
    points = response.json()["forecast"]
    assert [set(p) for p in points] == [{"date", "predicted_value", "lower", "upper"}] * 6
    assert [p["predicted_value"] for p in points] == [p["predicted_value"] for p in plain]
    assert_bounds_around(points, "predicted_value")


@pytest.mark.parametrize("level", BAD_LEVELS)
def test_incident_level_outside_0_100_is_422_naming_it(incidents: TestClient, level: float) -> None:
    response = incidents.post("/forecast", json={**INCIDENTS, "level": level})
    assert response.status_code == 422, response.text
    assert "level" in response.text
