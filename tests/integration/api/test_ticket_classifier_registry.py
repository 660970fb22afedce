"""The learned ticket classifier as a registry task: first version, retraining, the guard."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi.testclient import TestClient

from conftest import wait_for_job
from opscast.db import Database
from opscast.registry import ModelStore
from opscast.tickets.classifier import METRICS, TASK, training_set
from opscast.tickets.learned import Prediction

ClientFactory = Callable[..., TestClient]


class Oracle:
    """A classifier that knows every label of the training set: no retrain can beat it."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.classes = tuple(sorted(set(answers.values())))

    def predict(self, texts: Any) -> list[Prediction]:
        return [Prediction(self.answers.get(text, "general"), 1.0) for text in texts]


def counter(client: TestClient, status: str) -> float:
    prefix = f'opscast_retrains_total{{status="{status}",task="{TASK}"}}'
    other = f'opscast_retrains_total{{task="{TASK}",status="{status}"}}'
    for line in client.get("/metrics").text.splitlines():
        if line.startswith((prefix, other)):
            return float(line.split()[-1])
    return 0.0


def test_first_use_registers_a_measured_champion(
    model_store_ready: Path, client: TestClient
) -> None:
    assert client.get("/models", params={"prefix": "tickets-"}).json()["count"] == 0
    analysis = client.post("/tickets/analyze", json={"description": "vpn keeps dropping"})
    assert analysis.status_code == 200
    (task,) = client.get("/models", params={"prefix": "tickets-"}).json()["models"]
    assert (task["task"], task["aliases"], task["tags"]) == (
        TASK,
        {"champion": 1},
        {"domain": "tickets"},
    )
    champion = task["champion"]
    assert champion["model"] == "tfidf-logreg"
    assert set(METRICS) <= set(champion["metrics"])
    assert 0.8 < champion["metrics"]["macro_f1"] <= 1.0
    assert int(champion["params"]["trained_on"]) + int(champion["params"]["holdout_size"]) == 700
    assert champion["data_fingerprint"].startswith("sha256:")
    (event,) = client.get(f"/models/{TASK}/history").json()
    assert (event["action"], event["requested_by"], event["version"]) == ("promoted", "serving", 1)
    info = client.get("/tickets/classifier").json()
    assert (info["task"], info["version"], info["store"]) == (TASK, 1, "registry")
    assert info["metrics"] == champion["metrics"]


def test_post_retrain_refits_the_classifier_under_guard(
    model_store_ready: Path, client_factory: ClientFactory
) -> None:
    client = client_factory(run_jobs=True)
    client.post("/tickets/", json={"title": "Toner", "description": "toner smudges the pages"})
    promoted_before = counter(client, "promoted")
    response = client.post("/retrain", json={"target": "tickets"})
    assert response.status_code == 202, response.text
    job = wait_for_job(client, response.json()["job_id"])
    assert job["status"] == "succeeded", job
    (row,) = job["result"]["tasks"]
    # version 1 served the ticket above; the retrain sees the same data: as good, so promoted
    assert (row["task"], row["version"], row["promoted"]) == (TASK, 2, True)
    assert "as good as" in row["reason"]
    assert counter(client, "promoted") == promoted_before + 1
    assert counter(client, "ok") == 0.0
    assert client.get("/tickets/classifier").json()["version"] == 2


def test_a_worse_challenger_is_refused_and_the_champion_keeps_serving(
    model_store_ready: Path, client: TestClient, database_url: str
) -> None:
    database = Database(database_url)
    with database.session() as session:
        training, _ = training_set(session)
    database.dispose()
    store: ModelStore = client.app.state.services.model_store  # type: ignore[attr-defined]
    oracle = Oracle(dict(zip(training.texts, training.labels, strict=True)))
    store.register(
        TASK,
        oracle,
        data=pd.DataFrame({"text": training.texts}),
        params={"model": "oracle", "trained_on": 700, "corrections": 0, "classes": "x"},
        metrics={"accuracy": 1.0, "macro_f1": 1.0},
        required_metrics=METRICS,
        promote=True,
    )
    refused_before = counter(client, "refused")
    retrained = client.post("/tickets/classifier/retrain")
    assert retrained.status_code == 200, retrained.text
    body = retrained.json()
    assert (body["version"], body["promoted"]) == (2, False)
    assert "macro_f1" in body["reason"]
    assert "worse than the champion's 1" in body["reason"]
    assert "refused" in body["message"]
    assert counter(client, "refused") == refused_before + 1
    (task,) = client.get("/models", params={"prefix": TASK}).json()["models"]
    assert task["aliases"] == {"champion": 1, "challenger": 2}
    guess = client.post("/tickets/analyze", json={"description": training.texts[0]}).json()
    assert guess["model_classification"] == training.labels[0]
    assert guess["model_confidence"] == 1.0  # the oracle answered
    (event, *_) = client.get(f"/models/{TASK}/history").json()
    assert (event["action"], event["metric"], event["champion_value"]) == (
        "refused",
        "macro_f1",
        1.0,
    )
