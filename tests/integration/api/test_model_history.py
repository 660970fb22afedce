"""Contract of POST /models/{task}/rollback and GET /models/{task}/history."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
from fastapi.testclient import TestClient

from opscast.db import Database
from opscast.registry import ModelStore
from opscast.registry.service import register_guarded

ClientFactory = Callable[..., TestClient]
KEY = "r" * 24
SCORES = {"mae": 1.0, "rmse": 1.0, "mape": 0.1, "smape": 0.1, "mase": 1.0}
FRAME = pd.DataFrame({"unique_id": ["a"], "ds": [pd.Timestamp("2025-01-01")], "y": [1.0]})


def two_versions(client: TestClient, task: str) -> None:
    store: ModelStore = client.app.state.services.model_store  # type: ignore[attr-defined]
    database: Database = client.app.state.services.database  # type: ignore[attr-defined]
    for level in (1, 2):
        with database.session() as session:
            register_guarded(
                store,
                session,
                task,
                {"level": level},
                data=FRAME,
                params={"model": "constant"},
                metrics=SCORES,
                champion_holdout=SCORES,
                challenger_holdout=SCORES,
            )


def test_rollback_and_history(model_store_ready: Path, client: TestClient) -> None:
    two_versions(client, "demo-api")
    response = client.post(
        "/models/demo-api/rollback",
        json={"reason": "forecasts doubled overnight"},
        headers={"X-Requested-By": "alice"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["action"], body["version"], body["previous_version"]) == ("rolled_back", 1, 2)
    assert (body["requested_by"], body["reason"]) == ("alice", "forecasts doubled overnight")
    models = client.get("/models").json()["models"]
    assert models[0]["aliases"]["champion"] == 1

    history = client.get("/models/demo-api/history").json()
    assert [event["action"] for event in history] == ["rolled_back", "promoted", "promoted"]
    assert history[1]["reason"].startswith("mase 1 is as good as")
    assert client.get("/models/demo-api/history", params={"limit": 1}).json() == history[:1]


def test_rollback_refusals_write_nothing(model_store_ready: Path, client: TestClient) -> None:
    assert client.post("/models/unknown-task/rollback").status_code == 404
    two_versions(client, "demo-refusals")
    already = client.post("/models/demo-refusals/rollback", json={"version": 2})
    assert already.status_code == 409
    assert "already the champion" in already.json()["message"]
    missing = client.post("/models/demo-refusals/rollback", json={"version": 7})
    assert missing.status_code == 404
    assert client.post("/models/demo-refusals/rollback", json={"version": 0}).status_code == 422
    assert client.post("/models/demo-refusals/rollback", json={"v": 1}).status_code == 422
    assert client.post("/models/bad%20name/rollback").status_code == 422
    history = client.get("/models/demo-refusals/history").json()
    assert [event["action"] for event in history] == ["promoted", "promoted"]


def test_rollback_needs_a_key_once_auth_is_on(
    model_store_ready: Path, client_factory: ClientFactory
) -> None:
    client = client_factory(api_keys=[KEY])
    two_versions(client, "demo-auth")
    assert client.post("/models/demo-auth/rollback").status_code == 401
    ok = client.post("/models/demo-auth/rollback", headers={"X-API-Key": KEY})
    assert ok.status_code == 200
