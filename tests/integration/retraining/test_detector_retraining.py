"""Detectors retrained through the jobs system on stored points, and the stream following them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fastapi.testclient import TestClient

from conftest import wait_for_job
from opscast.anomaly.training import METRICS
from opscast.streaming.detector_retraining import task_name
from opscast.streaming.pipeline import new_batch_id, store_batch
from opscast.streaming.schemas import MetricBatch

ClientFactory = Callable[..., TestClient]
TASK = task_name("isolation_forest")
START = pd.Timestamp("2026-03-01")
HOSTS = ("web-1", "web-2", "web-3")
METRIC_LEVELS = {"cpu_pct": 40.0, "latency_ms": 120.0}


def values(host: str, metric: str, n: int) -> np.ndarray:
    rng = np.random.default_rng(HOSTS.index(host) * 7 + len(metric))
    t = np.arange(n)
    return METRIC_LEVELS[metric] + 5 * np.sin(t / 150) + rng.normal(0, 1, n)


def store_points(client: TestClient, start: int, stop: int) -> None:
    points = [
        {
            "host": host,
            "metric": metric,
            "timestamp": (START + pd.Timedelta(minutes=i)).isoformat() + "Z",
            "value": float(value),
        }
        for host in HOSTS
        for metric in METRIC_LEVELS
        for i, value in zip(range(start, stop), values(host, metric, stop)[start:], strict=True)
    ]
    batch = MetricBatch.model_validate({"points": points, "batch_id": new_batch_id()})
    store_batch(client.app.state.services.database, batch)  # type: ignore[attr-defined]


def retrain_detectors(client: TestClient) -> dict[str, Any]:
    response = client.post("/retrain", json={"target": "detectors"})
    assert response.status_code == 202, response.text
    body = wait_for_job(client, response.json()["job_id"])
    assert body["status"] == "succeeded", body
    result: dict[str, Any] = body["result"]
    return result


def new_point(i: int, host: str = "web-1") -> pd.DataFrame:
    """A point the stream scores but that is not stored: the stored points stay the same."""
    return pd.DataFrame(
        {
            "unique_id": f"{host}:cpu_pct",
            "host": host,
            "metric": "cpu_pct",
            "ds": [START + pd.Timedelta(minutes=i)],
            "y": [float(values(host, "cpu_pct", i + 1)[i])],
            "labels": [{}],
        }
    )


def follow(predictor: Any, version: int, minute: int) -> int:
    """Feed the stream a point a second until it serves ``version``; the next free minute."""
    deadline = time.monotonic() + 30
    while True:
        predictor.predict(new_point(minute))
        minute += 1
        if predictor.version == version:
            return minute
        assert time.monotonic() < deadline, f"the stream never picked up version {version}"
        time.sleep(0.5)


def test_detectors_retrain_nightly_on_stored_points_and_the_stream_follows_the_champion(
    client_factory: ClientFactory, model_store_ready: Path
) -> None:
    client = client_factory(stream_detector="isolation_forest", run_jobs=True)
    store_points(client, 0, 1200)

    policy = client.put(
        "/retrain/policies/detectors", json={"mode": "scheduled", "cron": "0 2 * * *"}
    )
    assert policy.status_code == 200, policy.text
    schedules = {row["name"]: row for row in client.get("/jobs/schedules").json()}
    assert schedules["retrain-detectors"]["cron"] == "0 2 * * *"
    assert schedules["retrain-detectors"]["task"] == "detectors"

    first = retrain_detectors(client)
    assert [(row["task"], row["promoted"]) for row in first["tasks"]] == [(TASK, True)]
    store = client.app.state.services.model_store  # type: ignore[attr-defined]
    champion = store.get_task(TASK).champion
    assert champion.version == 1
    assert set(METRICS) <= set(champion.metrics)
    assert champion.params["series"] == "6"

    # the live predictor moves to the champion and scores with its forest
    predictor = client.app.state.services.stream.predictor  # type: ignore[attr-defined]
    minute = follow(predictor, 1, 1200)
    # a series first seen now is warmed on its stored points and scored by the forest
    point = new_point(minute, host="web-2")
    scored = predictor.predict(point).points
    forest = store.champion(TASK).model.for_metric("cpu_pct")
    stored = values("web-2", "cpu_pct", 1200)
    expected = forest.score(np.append(stored, point["y"].iloc[0]))[-1]
    assert scored["score"].iloc[0] == np.float64(expected)

    # a retrain on the same points is not worse: it becomes champion and the stream moves
    second = retrain_detectors(client)
    assert second["tasks"][0]["promoted"], second
    assert "detector_error" in second["tasks"][0]["reason"]
    follow(predictor, 2, minute + 1)


def test_retraining_detectors_without_stored_metrics_registers_nothing(
    client_factory: ClientFactory, model_store_ready: Path
) -> None:
    client = client_factory(run_jobs=True)
    result = retrain_detectors(client)
    assert result["tasks"] == []
