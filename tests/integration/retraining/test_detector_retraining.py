"""Detectors retrained through the jobs system on stored points, and the stream following them."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from fastapi.testclient import TestClient

from opscast.anomaly.retraining import task_name
from opscast.anomaly.training import METRICS
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
    store_batch(client.app.state.database, batch)  # type: ignore[attr-defined]


def finished(client: TestClient, job_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while (body := client.get(f"/jobs/{job_id}").json())["status"] in {"queued", "running"}:
        assert time.monotonic() < deadline, body
        time.sleep(0.1)
    return body


def retrain_detectors(client: TestClient) -> dict[str, Any]:
    response = client.post("/retrain", json={"target": "detectors"})
    assert response.status_code == 202, response.text
    body = finished(client, response.json()["job_id"])
    assert body["status"] == "succeeded", body
    result: dict[str, Any] = body["result"]
    return result


def new_points(i: int) -> pd.DataFrame:
    stamp = START + pd.Timedelta(minutes=i)
    return pd.DataFrame(
        {
            "unique_id": "web-1:cpu_pct",
            "host": "web-1",
            "metric": "cpu_pct",
            "ds": [stamp],
            "y": [float(values("web-1", "cpu_pct", i + 1)[i])],
            "labels": [{}],
        }
    )


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
    store = client.app.state.model_store  # type: ignore[attr-defined]
    champion = store.get_task(TASK).champion
    assert champion.version == 1
    assert set(METRICS) <= set(champion.metrics)
    assert champion.params["series"] == "6"

    # the live predictor scores with the champion's forest, not one it fits itself
    predictor = client.app.state.stream.predictor  # type: ignore[attr-defined]
    scored = predictor.predict(new_points(1200)).points
    assert predictor.version == 1
    forest = store.champion(TASK).model.for_metric("cpu_pct")
    history = values("web-1", "cpu_pct", 1201)
    expected = forest.score(history[-forest.context - 1 :])[-1]
    assert scored["score"].iloc[0] == np.float64(expected)

    # a retrain on the same points is not worse: it becomes champion and the stream moves
    second = retrain_detectors(client)
    assert second["tasks"][0]["promoted"], second
    assert "detector_error" in second["tasks"][0]["reason"]
    deadline = time.monotonic() + 30
    minute = 1201
    while predictor.version != 2:
        assert time.monotonic() < deadline, "the stream never picked up version 2"
        store_points(client, minute, minute + 1)
        predictor.predict(new_points(minute))
        minute += 1
        time.sleep(0.5)


def test_retraining_detectors_without_stored_metrics_registers_nothing(
    client_factory: ClientFactory, model_store_ready: Path
) -> None:
    client = client_factory(run_jobs=True)
    result = retrain_detectors(client)
    assert result["tasks"] == []
