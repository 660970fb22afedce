"""The self-maintenance story end to end, on SQLite and PostgreSQL with a real model store.

Incident history is trained into champions; a shifted batch fed through POST /detect_drift
flags drift, which queues a retrain by the default policy; the retrain registers
challengers and promotes only those not worse than the champion on the same windows; a
second flag within the cooldown does not retrain again. Every step is visible in /jobs,
/models, /models/{task}/history, /drift/reports and /metrics.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient

from conftest import wait_for_job
from opscast.db import Database
from opscast.series.service import ingest_frame
from opscast.simulate import simulate_incidents

ClientFactory = Callable[..., TestClient]
GRANULARITIES = ("daily", "weekly", "monthly", "quarterly")


def finished(client: TestClient, job_id: int, timeout: float = 600) -> dict[str, Any]:
    job = wait_for_job(client, job_id, timeout)
    assert job["status"] == "succeeded", job
    return job


def counter(metrics: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in metrics.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_drift_retrains_by_policy_and_only_better_models_serve(
    model_store_ready: Path, client_factory: ClientFactory
) -> None:
    client = client_factory(run_jobs=True)
    database: Database = client.app.state.services.database  # type: ignore[attr-defined]
    history = simulate_incidents(start="2023-01-01", days=3 * 365, categories=["Software"], seed=5)
    with database.session() as session:
        ingest_frame(session, history, kind="incidents", source="test", freq="D")

    first = client.post("/retrain", json={"target": "incidents"})
    assert first.status_code == 202, first.text
    trained = finished(client, first.json()["job_id"])
    assert trained["result"]["promoted"] == len(GRANULARITIES)
    tasks = {f"incidents-software-{level}" for level in GRANULARITIES}
    models = {m["task"]: m for m in client.get("/models").json()["models"]}
    assert tasks <= set(models)
    assert all(models[task]["aliases"]["champion"] == 1 for task in tasks)

    monthly = history.set_index("ds")["y"].resample("MS").sum()
    shifted_level = 1.6 * float(monthly.iloc[-13:-1].mean())
    new_data = [
        {"ds": day.strftime("%Y-%m-%d"), "y": shifted_level}
        for day in pd.date_range("2026-01-01", periods=3, freq="MS")
    ]
    check = client.post(
        "/detect_drift",
        json={"category": "Software", "granularity": "monthly", "new_data": new_data},
    )
    assert check.status_code == 200, check.text
    flagged = check.json()
    assert flagged["drift_detected"] is True
    assert flagged["message"] == "Data drift detected. Consider retraining models."
    assert flagged["retrain_job_id"] is not None

    retrained = finished(client, flagged["retrain_job_id"])
    assert retrained["requested_by"] == f"drift:report-{flagged['report_id']}"
    rows = retrained["result"]["tasks"]
    assert {row["task"] for row in rows} == tasks
    for task in tasks:
        latest = client.get(f"/models/{task}/history").json()[0]
        assert latest["requested_by"] == f"job:{retrained['id']}"
        assert latest["previous_version"] == 1
        if latest["action"] == "promoted":
            assert latest["challenger_value"] <= latest["champion_value"] * (1 + 1e-9)
        else:
            assert latest["action"] == "refused"
            assert latest["challenger_value"] > latest["champion_value"]
        champion = {m["task"]: m for m in client.get("/models").json()["models"]}[task]
        expected = 2 if latest["action"] == "promoted" else 1
        assert champion["aliases"]["champion"] == expected

    again = client.post(
        "/detect_drift",
        json={"category": "Software", "granularity": "monthly", "new_data": new_data},
    ).json()
    assert again["drift_detected"] is True
    assert again["retrain_job_id"] is None
    assert re.search(r"cooldown 360 min", again["retrain"])

    reports = client.get("/drift/reports").json()
    assert reports["total"] == 2
    jobs = client.get("/jobs", params={"kind": "retrain"}).json()
    assert [job["requested_by"] for job in jobs] == [retrained["requested_by"], "api"]
    metrics = client.get("/metrics").text
    assert counter(metrics, "opscast_drift_checks_total", result="drift") >= 2
    promoted = sum(1 for row in rows if row["promoted"]) + len(GRANULARITIES)
    assert counter(metrics, "opscast_retrains_total", status="promoted") >= promoted
