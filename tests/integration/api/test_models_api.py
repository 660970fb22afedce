"""Contract of GET /models: registered tasks with versions, aliases and metrics."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from opscast.registry import ModelStore, data_fingerprint

METRICS = {"mae": 2.0, "rmse": 2.5, "mape": 0.2, "smape": 0.18, "mase": float("nan")}
FRAME = pd.DataFrame(
    {"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=4, freq="D"), "y": 1.0}
)


@pytest.fixture
def store(model_store_ready: Path, client: TestClient) -> ModelStore:
    model_store: ModelStore = client.app.state.services.model_store  # type: ignore[attr-defined]
    return model_store


def test_models_lists_versions_aliases_and_metrics(client: TestClient, store: ModelStore) -> None:
    assert client.get("/models").json() == {"count": 0, "models": []}
    for promote in (True, False):
        store.register(
            "demo-a",
            {"k": 1},
            data=FRAME,
            params={"model": "ets"},
            metrics=METRICS,
            tags={"domain": "demo"},
            promote=promote,
        )
    store.register("other-b", {"k": 2}, data=FRAME, params={"model": "naive"}, metrics=METRICS)

    body = client.get("/models").json()
    assert body["count"] == 2
    first, second = body["models"]
    assert first["task"] == "demo-a"
    assert first["aliases"] == {"champion": 1}
    assert first["tags"] == {"domain": "demo"}
    assert [v["version"] for v in first["versions"]] == [2, 1]
    assert first["champion"]["version"] == 1
    assert first["champion"]["model"] == "ets"
    assert first["champion"]["metrics"] == {**METRICS, "mase": None}  # NaN is not JSON
    assert first["champion"]["data_fingerprint"] == data_fingerprint(FRAME)
    assert second["task"] == "other-b"
    assert second["champion"] is None

    only = client.get("/models", params={"prefix": "other"}).json()
    assert [task["task"] for task in only["models"]] == ["other-b"]


@pytest.mark.parametrize(("prefix", "status"), [("x" * 201, 422), ("it's", 422), ("no-such-", 200)])
def test_models_prefix_is_checked(
    client: TestClient, model_store_ready: Path, prefix: str, status: int
) -> None:
    response = client.get("/models", params={"prefix": prefix})
    assert response.status_code == status, response.text
    if status == 422:
        assert "prefix" in response.json()["message"]
    else:
        assert response.json() == {"count": 0, "models": []}
