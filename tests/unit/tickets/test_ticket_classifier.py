"""The learned classifier, the rule fallback under the threshold, and the var-dir store."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from opscast.simulate.tickets import simulate_tickets
from opscast.tickets.classification import classify
from opscast.tickets.learned import LearnedClassifier
from opscast.tickets.model_store import ClassifierInfo, VarDirClassifierStore
from opscast.tickets.rules import load_rules


@pytest.fixture(scope="module")
def model() -> LearnedClassifier:
    frame = simulate_tickets(400, seed=5)
    return LearnedClassifier.fit(
        (frame["title"] + ". " + frame["description"]).tolist(), frame["classification"].tolist()
    )


def test_learns_the_sample_well_on_unseen_tickets(model: LearnedClassifier) -> None:
    unseen = simulate_tickets(200, seed=99, label_noise=0.0)
    predictions = model.predict((unseen["title"] + ". " + unseen["description"]).tolist())
    accuracy = sum(
        p.label == label for p, label in zip(predictions, unseen["classification"], strict=True)
    ) / len(unseen)
    assert accuracy > 0.9
    assert all(0.0 < p.confidence <= 1.0 for p in predictions)


def test_model_answers_above_the_threshold_and_rules_below(model: LearnedClassifier) -> None:
    rules = load_rules()
    text = "the postgres cluster has replication lag for all users"
    sure = classify(text, model, rules, threshold=0.0)
    assert (sure.method, sure.label) == ("model", "database")
    deferred = classify(text, model, rules, threshold=1.0)
    assert deferred.method == "rules"
    assert deferred.label == rules.classify(text).label
    assert deferred.model_label == "database"
    assert deferred.model_confidence == sure.confidence


def test_without_a_model_the_rules_answer() -> None:
    result = classify("password reset", None, load_rules(), threshold=0.5)
    assert (result.method, result.label, result.model_label) == ("rules", "access", None)


def test_fit_refuses_a_single_class() -> None:
    with pytest.raises(ValueError, match="two classes"):
        LearnedClassifier.fit(["a", "b"], ["x", "x"])


def test_store_round_trip_and_version_guard(tmp_path: Path, model: LearnedClassifier) -> None:
    store = VarDirClassifierStore(tmp_path)
    assert store.load() is None
    info = ClassifierInfo("2025-01-01T00:00:00", 400, 0, model.classes, {"holdout_macro_f1": 0.9})
    store.save(model, info)
    loaded = VarDirClassifierStore(tmp_path).load()
    assert loaded is not None
    assert loaded.info == info
    assert loaded.model.predict(["vpn times out"])[0].label == "network"
    payload = pickle.loads(store.path.read_bytes())
    payload["sklearn"] = "0.0.0"
    store.path.write_bytes(pickle.dumps(payload))
    assert VarDirClassifierStore(tmp_path).load() is None
