"""Ticket use cases: create, update through the workflow, classify, score, retrain, report.

Classification and priority are recomputed here whenever the text changes, except
what a person set: a label given by a person (a correction) and an impact or urgency
given by a person are kept until a person changes them. Every change is written to the
audit trail in the same unit of work as the change itself. Nothing here commits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from opscast.config import Settings
from opscast.db import utc_now
from opscast.errors import ConflictError, InvalidInputError, NotFoundError
from opscast.observability import PREDICTIONS, RETRAIN_DURATION, RETRAINS, TICKETS
from opscast.registry import Champion, ModelStore
from opscast.registry.service import GuardedOutcome, register_guarded
from opscast.tickets.classification import Classification, classify
from opscast.tickets.priority import LEVELS, PriorityScore, score_priority
from opscast.tickets.repository import TicketFilter, TicketRepository
from opscast.tickets.rules import RuleSet, load_rules
from opscast.tickets.schemas import (
    AnalyzeOut,
    DailyCount,
    RetrainOut,
    SummaryOut,
    TicketCreate,
    TicketSource,
    TicketUpdate,
)
from opscast.tickets.tables import Ticket, TicketEvent
from opscast.tickets.training import TrainingSet, fit_classifier, holdout_scores
from opscast.tickets.workflow import ACTIVE, TicketStatus, refusal

# the registry task of the learned classifier, and the retraining target that refits it
TASK = "tickets-classifier"
RETRAIN_TARGET = "tickets"
MODEL_NAME = "tfidf-logreg"
METRICS = ("accuracy", "macro_f1")
# macro-F1 decides first: helpdesk classes are unbalanced and a rare class often matters most
PREFERENCE = ("macro_f1", "accuracy")
SAMPLE_SIZE = 700
SAMPLE_SEED = 11
# A person's label counts as this many generated examples when retraining.
CORRECTION_WEIGHT = 5.0
MAX_DAILY_RANGE_DAYS = 3660
# one first training per process at a time; a second caller finds its result
_first_training = threading.Lock()


def ticket_text(title: str, description: str) -> str:
    return f"{title}. {description}"


@lru_cache(maxsize=1)
def _sample() -> tuple[tuple[str, ...], tuple[str, ...]]:
    from opscast.simulate.tickets import simulate_tickets

    frame = simulate_tickets(SAMPLE_SIZE, seed=SAMPLE_SEED)
    texts = tuple(
        ticket_text(t, d) for t, d in zip(frame["title"], frame["description"], strict=True)
    )
    return texts, tuple(frame["classification"])


def training_set(session: Session) -> tuple[TrainingSet, int]:
    """The generated sample plus every ticket a person labelled, and how many of those."""
    corrections = TicketRepository(session).corrected_examples()
    sample_texts, sample_labels = _sample()
    training = TrainingSet(
        texts=(*sample_texts, *(ticket_text(t, d) for t, d, _ in corrections)),
        labels=(*sample_labels, *(label for _, _, label in corrections)),
        weights=(1.0,) * len(sample_texts) + (CORRECTION_WEIGHT,) * len(corrections),
    )
    return training, len(corrections)


def _champion_scores(store: ModelStore, holdout: TrainingSet) -> dict[str, float | None] | None:
    """The serving classifier's scores on the challenger's holdout (None without one)."""
    try:
        champion = store.champion(TASK)
    except NotFoundError:
        return None
    return dict(holdout_scores(champion.model, holdout))


def train_classifier(
    store: ModelStore, session: Session, *, tolerance: float = 0.0, requested_by: str
) -> GuardedOutcome:
    """Fit on the sample and the corrections, register, and serve only if not worse.

    The one way a classifier version is made: on first use, by ``POST /retrain`` and
    ``opscast retrain``, and by ``POST /tickets/classifier/retrain``.
    """
    import sklearn

    started = time.perf_counter()
    try:
        training, corrections = training_set(session)
        train_rows, holdout_rows = training.split()
        train, holdout = training.rows(train_rows), training.rows(holdout_rows)
        model = fit_classifier(train)
        scores = holdout_scores(model, holdout)
    except Exception:
        RETRAINS.labels(task=TASK, status="failed").inc()
        raise
    outcome = register_guarded(
        store,
        session,
        TASK,
        model,
        data=training.frame(),
        params={
            "model": MODEL_NAME,
            "trained_on": len(train.texts),
            "holdout_size": len(holdout.texts),
            "corrections": corrections,
            "correction_weight": CORRECTION_WEIGHT,
            "classes": ",".join(model.classes),
            "sklearn": str(sklearn.__version__),
        },
        metrics=scores,
        champion_holdout=_champion_scores(store, holdout),
        challenger_holdout=scores,
        tags={"domain": "tickets"},
        tolerance=tolerance,
        requested_by=requested_by,
        required_metrics=METRICS,
        preference=PREFERENCE,
    )
    RETRAIN_DURATION.observe(time.perf_counter() - started)
    return outcome


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


def _get(repository: TicketRepository, ticket_id: int) -> Ticket:
    ticket = repository.get(ticket_id)
    if ticket is None:
        raise NotFoundError(f"no ticket {ticket_id}; GET /tickets/ lists them")
    return ticket


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _snapshot(ticket: Ticket, fields: Sequence[str]) -> dict[str, Any]:
    return {name: _plain(getattr(ticket, name)) for name in fields}


AUDITED = (
    "title",
    "description",
    "status",
    "priority",
    "itil_priority",
    "impact",
    "urgency",
    "classification",
    "classification_method",
    "assignee",
    "started_at",
    "resolved_at",
    "closed_at",
)


def create_ticket(
    session: Session,
    body: TicketCreate,
    scoring: Scoring,
    *,
    server_id: int | None = None,
    created_at: datetime | None = None,
    actor: str | None = None,
) -> Ticket:
    """Store a new open ticket, classified and scored; counted in ``opscast_tickets_total``."""
    now = created_at or utc_now()
    text = ticket_text(body.title, body.description)
    if body.classification is not None:
        label, confidence, method, corrected = body.classification, 1.0, "manual", True
    else:
        result = scoring.classify(session, text)
        label, confidence, method, corrected = (
            result.label,
            result.confidence,
            result.method,
            False,
        )
    score = scoring.priority(text, body.impact, body.urgency)
    repository = TicketRepository(session)
    ticket = repository.add(
        Ticket(
            title=body.title,
            description=body.description,
            status=TicketStatus.open.value,
            priority=score.level,
            itil_priority=score.itil_priority,
            impact=score.impact,
            urgency=score.urgency,
            impact_given=body.impact is not None,
            urgency_given=body.urgency is not None,
            classification=label,
            classification_confidence=confidence,
            classification_method=method,
            classification_corrected=corrected,
            assignee=body.assignee,
            source=body.source.value,
            alert_id=body.alert_id,
            server_id=server_id,
            created_at=now,
            updated_at=now,
        )
    )
    repository.add_event(
        ticket, at=now, action="created", changes=_snapshot(ticket, AUDITED), actor=actor
    )
    TICKETS.labels(classification=label, priority=score.level).inc()
    return ticket


def _apply_status(ticket: Ticket, wanted: TicketStatus, now: datetime) -> None:
    if wanted == TicketStatus.in_progress and ticket.started_at is None:
        ticket.started_at = now
    if wanted == TicketStatus.resolved:
        ticket.resolved_at = now
    if wanted == TicketStatus.closed:
        ticket.closed_at = now
        ticket.resolved_at = ticket.resolved_at or now
    if wanted in ACTIVE:
        ticket.resolved_at = None
    ticket.status = wanted.value


def update_ticket(
    session: Session,
    ticket_id: int,
    body: TicketUpdate,
    scoring: Scoring,
    *,
    at: datetime | None = None,
) -> Ticket:
    """Apply the fields sent; re-score on new text; refuse moves the workflow forbids (409).

    ``at`` dates the change (default now), for imports and demo data that replay history.
    """
    repository = TicketRepository(session)
    ticket = _get(repository, ticket_id)
    current = TicketStatus(ticket.status)
    sent = body.model_fields_set - {"actor", "note"}
    if current == TicketStatus.closed and sent:
        raise ConflictError(f"ticket {ticket_id} is closed, which is final; open a new ticket")
    if body.status is not None and (reason := refusal(current, body.status)):
        raise ConflictError(reason)
    now = at or utc_now()
    before = _snapshot(ticket, AUDITED)
    text_changed = False
    if body.title is not None and body.title != ticket.title:
        ticket.title, text_changed = body.title, True
    if body.description is not None and body.description != ticket.description:
        ticket.description, text_changed = body.description, True
    if body.impact is not None:
        ticket.impact, ticket.impact_given = body.impact, True
    if body.urgency is not None:
        ticket.urgency, ticket.urgency_given = body.urgency, True
    text = ticket_text(ticket.title, ticket.description)
    if body.classification is not None:
        ticket.classification = body.classification
        ticket.classification_confidence = 1.0
        ticket.classification_method = "manual"
        ticket.classification_corrected = True
    elif text_changed and not ticket.classification_corrected:
        result = scoring.classify(session, text)
        ticket.classification = result.label
        ticket.classification_confidence = result.confidence
        ticket.classification_method = result.method
    if text_changed or body.impact is not None or body.urgency is not None:
        score = scoring.priority(
            text,
            ticket.impact if ticket.impact_given else None,
            ticket.urgency if ticket.urgency_given else None,
        )
        ticket.priority, ticket.itil_priority = score.level, score.itil_priority
        ticket.impact, ticket.urgency = score.impact, score.urgency
    if body.assignee is not None:
        ticket.assignee = body.assignee
    if body.status is not None and body.status != current:
        _apply_status(ticket, body.status, now)
    after = _snapshot(ticket, AUDITED)
    changes = {name: [before[name], after[name]] for name in AUDITED if before[name] != after[name]}
    if changes or body.note:
        ticket.updated_at = now
        action = "status" if set(changes) & {"status"} else "updated"
        repository.add_event(
            ticket, at=now, action=action, changes=changes, actor=body.actor, note=body.note
        )
    session.flush()
    return ticket


def get_ticket(session: Session, ticket_id: int) -> Ticket:
    return _get(TicketRepository(session), ticket_id)


def delete_ticket(session: Session, ticket_id: int) -> None:
    repository = TicketRepository(session)
    repository.delete(_get(repository, ticket_id))


def ticket_history(session: Session, ticket_id: int) -> list[TicketEvent]:
    repository = TicketRepository(session)
    _get(repository, ticket_id)
    return repository.events(ticket_id)


def list_tickets(
    session: Session, where: TicketFilter, *, sort: str, limit: int, offset: int
) -> tuple[list[Ticket], int]:
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    return TicketRepository(session).page(
        where, sort=key, descending=descending, limit=limit, offset=offset
    )


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


def retrain_classifier(session: Session, scoring: Scoring) -> RetrainOut:
    """Retrain now, under the tickets retraining policy's tolerance, and say what serves."""
    from opscast.retraining.service import policy_or_default

    tolerance = policy_or_default(session, RETRAIN_TARGET).tolerance
    outcome = train_classifier(scoring.store, session, tolerance=tolerance, requested_by="api")
    return RetrainOut.of(outcome)


def open_server_ticket(
    session: Session, server_id: int, server_name: str, reason: str, scoring: Scoring
) -> tuple[Ticket, bool]:
    """A high-priority ticket for a failed server, or a note on the one already open for it.

    One failure storm should not bury the queue: while a ticket for the server is open
    or in progress, a new failure is recorded on it instead of opening another.
    """
    repository = TicketRepository(session)
    existing = repository.open_for_server(server_id, [status.value for status in ACTIVE])
    now = utc_now()
    if existing is not None:
        repository.add_event(
            existing, at=now, action="comment", changes={}, actor="simulator", note=reason
        )
        existing.updated_at = now
        return existing, False
    body = TicketCreate(
        title=f"Server {server_name} failed",
        description=f"Server {server_name} is down: {reason}",
        impact=1,
        urgency=1,
        source=TicketSource.server,
    )
    return create_ticket(session, body, scoring, server_id=server_id, actor="simulator"), True


def summary(session: Session) -> SummaryOut:
    repository = TicketRepository(session)
    by_priority = dict.fromkeys(LEVELS, 0) | repository.counts_by("priority")
    by_status = dict.fromkeys((s.value for s in TicketStatus), 0) | repository.counts_by("status")
    hours = repository.resolution_hours()
    return SummaryOut(
        total=sum(by_status.values()),
        by_classification=repository.counts_by("classification"),
        by_priority=by_priority,
        by_status=by_status,
        by_source=repository.counts_by("source"),
        backlog=sum(by_status[s.value] for s in ACTIVE),
        mean_time_to_resolve_hours=round(sum(hours) / len(hours), 3) if hours else None,
    )


def daily_counts(
    session: Session,
    *,
    start: date | None = None,
    end: date | None = None,
    classification: str | None = None,
) -> list[DailyCount]:
    """Tickets opened per day and classification, zero-filled over one common day range.

    Long format (``unique_id`` = classification, ``ds`` = day, ``y`` = count) with every
    class on every day of the range, so the series can go straight to a forecaster.
    """
    if start is not None and end is not None and start > end:
        raise InvalidInputError("'start' is after 'end'; swap them", field="start")
    rows = TicketRepository(session).creation_times(
        datetime.combine(start, datetime.min.time()) if start else None,
        datetime.combine(end + timedelta(days=1), datetime.min.time()) if end else None,
        classification,
    )
    if not rows:
        return []
    counts: dict[tuple[str, date], int] = {}
    for label, created in rows:
        counts[(label, created.date())] = counts.get((label, created.date()), 0) + 1
    first = start or min(day for _, day in counts)
    last = end or max(day for _, day in counts)
    if (last - first).days > MAX_DAILY_RANGE_DAYS:
        raise InvalidInputError(
            f"the range spans more than {MAX_DAILY_RANGE_DAYS} days; narrow start and end",
            field="start",
        )
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    return [
        DailyCount(unique_id=label, ds=day.isoformat(), y=counts.get((label, day), 0))
        for label in sorted({label for label, _ in counts})
        for day in days
    ]
