"""Classifying and prioritising a ticket's text: the serving classifier, the rules and the
confidence threshold, and a dry run that stores nothing."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session

from opscast.config import Settings
from opscast.errors import NotFoundError
from opscast.observability import PREDICTIONS
from opscast.registry import Champion, ModelStore
from opscast.tickets.classification import Classification, classify
from opscast.tickets.classifier import TASK, ticket_text, train_classifier
from opscast.tickets.priority import PriorityScore, score_priority
from opscast.tickets.rules import RuleSet, load_rules
from opscast.tickets.schemas import AnalyzeOut

# one first training per process at a time; a second caller finds its result
_first_training = threading.Lock()


@dataclass(frozen=True, slots=True)
class Scoring:
    """What classifying and scoring need: the model registry, the rules, the threshold."""

    store: ModelStore
    rules: RuleSet
    threshold: float

    @classmethod
    def from_settings(cls, settings: Settings, store: ModelStore | None = None) -> Scoring:
        return cls(
            store=store or ModelStore.from_settings(settings),
            rules=load_rules(),
            threshold=settings.ticket_confidence_threshold,
        )

    def serving(self, session: Session) -> Champion:
        """The champion classifier; a registry without one gets its first version now.

        The first version is trained in the caller's unit of work, so its audit entry is
        kept or dropped with the request that needed it.
        """
        try:
            return self.store.champion(TASK)
        except NotFoundError:
            pass
        with _first_training:
            try:
                return self.store.champion(TASK)  # trained meanwhile
            except NotFoundError:
                pass
            train_classifier(self.store, session, requested_by="serving")
            return self.store.champion(TASK)

    def classify(self, session: Session, text: str) -> Classification:
        return classify(text, self.serving(session).model, self.rules, self.threshold)

    def priority(self, text: str, impact: int | None, urgency: int | None) -> PriorityScore:
        return score_priority(text, self.rules, impact=impact, urgency=urgency)


def analyze(
    session: Session,
    description: str,
    scoring: Scoring,
    *,
    title: str | None = None,
    impact: int | None = None,
    urgency: int | None = None,
) -> AnalyzeOut:
    """Classify and score a text without storing anything."""
    text = ticket_text(title, description) if title else description
    result = scoring.classify(session, text)
    score = scoring.priority(text, impact, urgency)
    PREDICTIONS.labels(task=TASK, model=result.method).inc()
    return AnalyzeOut(
        description=description,
        predicted_classification=result.label,
        predicted_priority=score.level,
        confidence=round(result.confidence, 4),
        method=result.method,
        model_classification=result.model_label,
        model_confidence=None
        if result.model_confidence is None
        else round(result.model_confidence, 4),
        matched_keywords=list(result.matched_keywords),
        itil_priority=score.itil_priority,
        impact=score.impact,
        urgency=score.urgency,
        estimated=list(score.estimated),
        priority_reasons=list(score.reasons),
    )
