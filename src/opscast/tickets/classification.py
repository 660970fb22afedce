"""One answer per ticket text: the learned classifier when it is sure, the rules when not.

The threshold is a setting (``OPSCAST_TICKET_CONFIDENCE_THRESHOLD``): a model guess
below it is replaced by the keyword rules, whose answer is at least explainable (the
matched keywords are returned). Without a trained model the rules answer alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from opscast.tickets.learned import LearnedClassifier
from opscast.tickets.rules import RuleSet

Method = Literal["model", "rules"]


@dataclass(frozen=True, slots=True)
class Classification:
    label: str
    confidence: float
    method: Method
    model_label: str | None
    model_confidence: float | None
    matched_keywords: tuple[str, ...]


def classify(
    text: str, model: LearnedClassifier | None, rules: RuleSet, threshold: float
) -> Classification:
    by_rules = rules.classify(text)
    if model is None:
        return Classification(
            by_rules.label, by_rules.confidence, "rules", None, None, by_rules.matched
        )
    guess = model.predict([text])[0]
    if guess.confidence >= threshold:
        return Classification(
            guess.label, guess.confidence, "model", guess.label, guess.confidence, by_rules.matched
        )
    return Classification(
        by_rules.label,
        by_rules.confidence,
        "rules",
        guess.label,
        guess.confidence,
        by_rules.matched,
    )
