"""The learned classifier and the rule fallback under the threshold."""

from __future__ import annotations

import pytest

from opscast.simulate.tickets import simulate_tickets
from opscast.tickets.classification import classify
from opscast.tickets.learned import LearnedClassifier
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
