"""The stable holdout of the ticket classifier and the scores each version carries."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opscast.simulate.tickets import simulate_tickets
from opscast.tickets.learned import Prediction
from opscast.tickets.training import (
    HOLDOUT_SHARE,
    MIN_CLASS_FOR_HOLDOUT,
    TrainingSet,
    fit_classifier,
    holdout_scores,
    is_held_out,
)

examples = st.lists(
    st.tuples(st.text(min_size=1, max_size=30), st.sampled_from(["a", "b", "c", "d"])),
    max_size=60,
)


def labelled(rows: list[tuple[str, str]]) -> TrainingSet:
    return TrainingSet(
        tuple(text for text, _ in rows), tuple(label for _, label in rows), (1.0,) * len(rows)
    )


@given(examples)
def test_the_split_covers_every_row_once_and_learns_small_classes_whole(
    rows: list[tuple[str, str]],
) -> None:
    training = labelled(rows)
    train, holdout = training.split()
    assert sorted(train + holdout) == list(range(len(rows)))
    sizes = Counter(training.labels)
    for row in holdout:
        assert sizes[training.labels[row]] >= MIN_CLASS_FOR_HOLDOUT
        assert is_held_out(training.texts[row])


@given(examples, examples)
def test_new_examples_never_move_old_ones_across_the_split(
    first: list[tuple[str, str]], more: list[tuple[str, str]]
) -> None:
    """Once its class is big enough to be scored, a text keeps its side whatever is added."""
    before = labelled(first)
    after = labelled(first + more)
    _, held_before = before.split()
    _, held_after = after.split()
    sizes = Counter(before.labels)
    for row in range(len(first)):
        if sizes[before.labels[row]] >= MIN_CLASS_FOR_HOLDOUT:
            assert (row in held_before) == (row in held_after)


def test_identical_texts_stay_on_one_side() -> None:
    training = labelled([("vpn is down", "network")] * 3 + [("disk full", "storage")] * 3)
    train, holdout = training.split()
    for side in (train, holdout):
        assert len({training.texts[row] for row in side}) <= 2


def test_about_a_fifth_of_every_class_is_held_out() -> None:
    frame = simulate_tickets(700, seed=11)
    training = labelled(
        list(
            zip(frame["title"] + ". " + frame["description"], frame["classification"], strict=True)
        )
    )
    _, holdout = training.split()
    held = Counter(training.labels[row] for row in holdout)
    for label, size in Counter(training.labels).items():
        assert abs(held[label] / size - HOLDOUT_SHARE) < 0.12, label


class Oracle:
    """Knows the answer for the texts it was given, and says "other" to anything else."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers

    def predict(self, texts: tuple[str, ...]) -> list[Prediction]:
        return [Prediction(self.answers.get(text, "other"), 1.0) for text in texts]


def test_holdout_scores_are_accuracy_and_macro_f1() -> None:
    holdout = labelled([("a1", "a"), ("a2", "a"), ("b1", "b"), ("b2", "b")])
    perfect = Oracle(dict(zip(holdout.texts, holdout.labels, strict=True)))
    assert holdout_scores(perfect, holdout) == {"accuracy": 1.0, "macro_f1": 1.0}  # type: ignore[arg-type]
    half = Oracle({"a1": "a", "a2": "a"})
    scores = holdout_scores(half, holdout)  # type: ignore[arg-type]
    assert scores["accuracy"] == 0.5
    # a is always right; b and the made-up "other" are never right
    assert scores["macro_f1"] == pytest.approx((1.0 + 0.0 + 0.0) / 3)


def test_an_empty_holdout_is_refused() -> None:
    with pytest.raises(ValueError, match="holdout is empty"):
        holdout_scores(Oracle({}), labelled([]))  # type: ignore[arg-type]


def test_a_training_set_is_fitted_once_per_process() -> None:
    frame = simulate_tickets(120, seed=3)
    training = labelled(list(zip(frame["title"], frame["classification"], strict=True)))
    assert fit_classifier(training) is fit_classifier(
        labelled(list(zip(frame["title"], frame["classification"], strict=True)))
    )
