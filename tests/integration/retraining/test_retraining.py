"""Retraining end to end: POST /retrain, the job, guarded registration, policies, drift cooldown."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from conftest import wait_for_job
from opscast.db import Database, utc_now
from opscast.forecasting import backtest
from opscast.forecasting.zoo import ModelSpec, single_model
from opscast.registry.service import GuardedOutcome, register_guarded
from opscast.retraining import service
from opscast.retraining.retrainer import RetrainRequest

ClientFactory = Callable[..., TestClient]
TASK = "weekly-demo"


def weekly_frame() -> pd.DataFrame:
    rng = np.random.default_rng(11)
    days = pd.date_range("2025-01-01", periods=8 * 7, freq="D")
    cycle = np.tile([5.0, 20, 22, 21, 19, 8, 4], 8)
    return pd.DataFrame({"unique_id": "a", "ds": days, "y": cycle + rng.normal(0, 1, 56)})


def weekly_trainer(request: RetrainRequest) -> list[GuardedOutcome]:
    """A domain trainer as a plugin: fits ``params["model"]``, guards against the champion."""
    frame = weekly_frame()
    name = str(request.params.get("model", "seasonal_naive"))
    champion = request.store.champion_version(TASK)
    champion_model = (
        request.store.get_task(TASK).champion.model_name  # type: ignore[union-attr]
        if champion is not None
        else None
    )
    request.progress(0.2, "backtesting")
    names = sorted({name, *([champion_model] if champion_model else [])})
    scores = backtest(frame, names, 7, n_windows=2, season_length=7).overall
    fitted = single_model(name, ModelSpec(freq="D", season_length=7))().fit(frame)
    with request.database.session() as session:
        outcome = register_guarded(
            request.store,
            session,
            TASK,
            fitted,
            data=frame,
            params={"model": name},
            metrics=scores[name],
            champion_holdout=scores[champion_model] if champion_model else None,
            challenger_holdout=scores[name],
            tolerance=request.tolerance,
            requested_by=request.requested_by,
        )
    request.progress(1.0, f"{TASK} version {outcome.version.version}")
    return [outcome]


def with_trainer(client: TestClient) -> TestClient:
    client.app.state.services.jobs.handlers["retrain"].trainers["weekly"] = weekly_trainer  # type: ignore[attr-defined]
    return client


def retrain(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/retrain", json=body)
    assert response.status_code == 202, response.text
    return response.json()


def test_retrain_runs_in_the_background_and_guards_promotion(
    model_store_ready: Path, client_factory: ClientFactory
) -> None:
    client = with_trainer(client_factory(run_jobs=True))
    first = retrain(client, target="weekly")
    assert first["message"].startswith("Model retraining initiated in the background.")
    assert f"/jobs/{first['job_id']}" in first["message"]
    job = wait_for_job(client, first["job_id"])
    assert job["status"] == "succeeded", job
    assert job["result"]["promoted"] == 1
    assert any(line["message"] == "weekly: backtesting" for line in job["logs"])

    # naive ignores the weekly cycle: worse on the same windows, so it must not serve
    def naive_trainer(request: RetrainRequest) -> list[GuardedOutcome]:
        return weekly_trainer(dataclasses.replace(request, params={"model": "naive"}))

    client.app.state.services.jobs.handlers["retrain"].trainers["weekly"] = naive_trainer  # type: ignore[attr-defined]
    second = wait_for_job(client, retrain(client, target="weekly")["job_id"])
    assert second["result"]["refused"] == 1
    (task,) = second["result"]["tasks"]
    assert "worse than the champion's" in task["reason"]
    model = client.get("/models").json()["models"][0]
    assert model["aliases"] == {"champion": 1, "challenger": 2}
    history = client.get(f"/models/{TASK}/history").json()
    assert [event["action"] for event in history] == ["refused", "promoted"]
    assert history[0]["requested_by"] == f"job:{second['id']}"


def test_a_retrain_asked_twice_is_queued_once(
    model_store_ready: Path, client_factory: ClientFactory
) -> None:
    client = with_trainer(client_factory())
    first = retrain(client, target="weekly")
    again = retrain(client, target="weekly")
    assert (again["job_id"], again["already_queued"]) == (first["job_id"], True)
    everything = retrain(client)
    assert everything["target"] == "all"
    assert everything["job_id"] != first["job_id"]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (
            {"target": "nothing"},
            422,
            "choose from demand, detectors, incidents, tickets, weekly, all",
        ),
        ({"file_path": "../../etc/passwd"}, 422, "outside the data directory"),
        ({"file_path": "itsm/no_such_export.csv"}, 404, "no file"),
        ({"file_path": "itsm/x.csv", "target": "weekly"}, 422, "goes with target incidents"),
        ({"surprise": True}, 422, "surprise"),
    ],
)
def test_bad_retrain_requests_queue_nothing(
    model_store_ready: Path, client: TestClient, body: dict[str, Any], status: int, words: str
) -> None:
    with_trainer(client)
    response = client.post("/retrain", json=body)
    assert response.status_code == status
    assert words in response.json()["message"]
    assert client.get("/jobs").json() == []


def test_policies_default_to_drift_and_scheduled_ones_get_a_cron_schedule(
    model_store_ready: Path, client: TestClient
) -> None:
    with_trainer(client)
    policies = {row["target"]: row for row in client.get("/retrain/policies").json()}
    assert set(policies) == {"demand", "detectors", "incidents", "tickets", "weekly"}
    default = policies["weekly"]
    assert (default["target"], default["mode"], default["cooldown_minutes"]) == (
        "weekly",
        "drift",
        360,
    )
    missing_cron = client.put("/retrain/policies/weekly", json={"mode": "scheduled"})
    assert missing_cron.status_code == 422
    assert client.get("/jobs/schedules").json() == []
    scheduled = client.put(
        "/retrain/policies/weekly", json={"mode": "scheduled", "cron": "0 4 * * *"}
    )
    assert scheduled.status_code == 200, scheduled.text
    (schedule,) = client.get("/jobs/schedules").json()
    assert (schedule["name"], schedule["task"], schedule["enabled"]) == (
        "retrain-weekly",
        "weekly",
        True,
    )
    manual = client.put("/retrain/policies/weekly", json={"mode": "manual"})
    assert manual.json()["mode"] == "manual"
    assert client.get("/jobs/schedules").json()[0]["enabled"] is False
    unknown = client.put("/retrain/policies/nothing", json={"mode": "manual"})
    assert unknown.status_code == 422


def test_drift_triggers_one_retrain_per_cooldown(database: Database) -> None:
    known = ["weekly"]
    now = utc_now()

    def flag(at: Any) -> service.DriftResponse:
        with database.session() as session:
            return service.retrain_on_drift(
                session, "weekly", known=known, requested_by="drift:1", reason="mean +40%", now=at
            )

    first = flag(now)
    assert first.job_id is not None
    held = flag(now + timedelta(minutes=30))
    assert held.job_id is None
    assert "cooldown 360 min" in held.reason
    later = flag(now + timedelta(minutes=361))
    assert later.job_id == first.job_id  # cooled down, but the first retrain is still queued

    with database.session() as session:
        service.set_policy(session, "weekly", mode=service.PolicyMode.manual, known=known)
    manual = flag(now + timedelta(days=2))
    assert manual.job_id is None
    assert "policy is manual" in manual.reason
    with database.session() as session:
        unknown = service.retrain_on_drift(
            session, "nobody", known=known, requested_by="drift:2", reason="x"
        )
    assert unknown.job_id is None
