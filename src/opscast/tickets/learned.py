"""The learned ticket classifier: TF-IDF word uni- and bigrams into a logistic regression.

A linear model on TF-IDF is the field's standard baseline for short support texts:
it trains in about a second on thousands of tickets, needs no GPU or downloaded
weights, and its class probabilities give the confidence the service needs to defer
to the rules. Character n-grams were tried and dropped: slower to train and no
better on the real helpdesk set (see docs/benchmarks.md). Classes are weighted
inversely to their frequency, because helpdesk classes are very unbalanced and a
rare class is often the one that matters. scikit-learn is imported inside the
functions: the API and CLI start without it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class Prediction:
    label: str
    confidence: float


def build_pipeline(*, balanced: bool = True) -> Any:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    features = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    model = LogisticRegression(C=10.0, max_iter=2000, class_weight="balanced" if balanced else None)
    return Pipeline([("tfidf", features), ("model", model)])


class LearnedClassifier:
    """A fitted pipeline and the classes it knows; pickled whole by the model store."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        self.classes: tuple[str, ...] = tuple(str(c) for c in pipeline.classes_)

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        labels: Sequence[str],
        sample_weight: Sequence[float] | None = None,
    ) -> LearnedClassifier:
        if len(texts) != len(labels):
            raise ValueError("texts and labels differ in length")
        if len(set(labels)) < 2:
            raise ValueError("a classifier needs examples of at least two classes")
        pipeline = build_pipeline()
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        pipeline.fit(list(texts), list(labels), model__sample_weight=weights)
        return cls(pipeline)

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        probabilities = self.pipeline.predict_proba(list(texts))
        best = probabilities.argmax(axis=1)
        return [
            Prediction(self.classes[index], float(row[index]))
            for index, row in zip(best, probabilities, strict=True)
        ]
