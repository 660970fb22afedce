"""What the ticket classifier learns from, and the holdout every version is scored on.

A retrained classifier replaces the serving one only if it is not worse on the same
holdout, and that comparison is fair only if neither model trained on the holdout. A
random split drawn afresh at each retrain would hand the serving model test tickets it
had learnt. So being held out is a property of the text: a ticket is in the holdout
when the hash of its text falls in the first ``HOLDOUT_SHARE`` of the hash range. Every
text stays on the same side in every retrain, and identical texts never straddle the
split. Drawn ticket by ticket, the holdout takes about a fifth of every class (a
stratified sample in expectation rather than by count, which a stable split cannot
be). A class with fewer than ``MIN_CLASS_FOR_HOLDOUT`` examples is learnt whole: with
one or two tickets of a new class a person labelled, learning them matters more than
scoring them. The model that serves is the one fitted on the training side, so the
accuracy and macro-F1 it carries are measured on tickets it never saw.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

from opscast.tickets.learned import LearnedClassifier

HOLDOUT_SHARE = 0.2
MIN_CLASS_FOR_HOLDOUT = 5
_HASH_RANGE = 2**64


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """Labelled texts with their weights, split once into training and holdout rows."""

    texts: tuple[str, ...]
    labels: tuple[str, ...]
    weights: tuple[float, ...]

    def __post_init__(self) -> None:
        if not len(self.texts) == len(self.labels) == len(self.weights):
            raise ValueError("texts, labels and weights differ in length")

    def frame(self) -> pd.DataFrame:
        """The rows as a frame, for the registry's data fingerprint."""
        return pd.DataFrame({"text": self.texts, "label": self.labels, "weight": self.weights})

    def split(self) -> tuple[list[int], list[int]]:
        """Row numbers of the training side and of the holdout."""
        sizes = Counter(self.labels)
        train: list[int] = []
        holdout: list[int] = []
        for row, (text, label) in enumerate(zip(self.texts, self.labels, strict=True)):
            held = sizes[label] >= MIN_CLASS_FOR_HOLDOUT and is_held_out(text)
            (holdout if held else train).append(row)
        return train, holdout

    def rows(self, indices: Sequence[int]) -> TrainingSet:
        return TrainingSet(
            tuple(self.texts[i] for i in indices),
            tuple(self.labels[i] for i in indices),
            tuple(self.weights[i] for i in indices),
        )


def is_held_out(text: str) -> bool:
    digest = hashlib.sha256(text.encode()).digest()
    return int.from_bytes(digest[:8], "big") < HOLDOUT_SHARE * _HASH_RANGE


def holdout_scores(model: LearnedClassifier, holdout: TrainingSet) -> dict[str, float]:
    """Accuracy and macro-F1 of ``model`` on ``holdout`` (unweighted: every ticket counts once)."""
    from sklearn.metrics import accuracy_score, f1_score

    if not holdout.texts:
        raise ValueError("the holdout is empty; a classifier needs more labelled tickets")
    predicted = [prediction.label for prediction in model.predict(holdout.texts)]
    truth = list(holdout.labels)
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "macro_f1": float(f1_score(truth, predicted, average="macro", zero_division=0)),
    }


@lru_cache(maxsize=2)
def fit_classifier(training: TrainingSet) -> LearnedClassifier:
    """The classifier of ``training``; fitting is deterministic, so a process fits a set once.

    Every fresh registry starts from the same generated sample, and a retrain without new
    corrections sees the same rows again: neither needs a second fit.
    """
    return LearnedClassifier.fit(training.texts, training.labels, training.weights)
