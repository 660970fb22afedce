"""Ticket use cases: create, read, update through the workflow, delete, and the ticket a
failed server opens.

Classification and priority are recomputed here whenever the text changes, except
what a person set: a label given by a person (a correction) and an impact or urgency
given by a person are kept until a person changes them. Every change is written to the
audit trail in the same unit of work as the change itself. Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from opscast.db import utc_now
from opscast.errors import ConflictError, NotFoundError
from opscast.observability import TICKETS
from opscast.tickets.classifier import ticket_text
from opscast.tickets.repository import TicketFilter, TicketRepository
from opscast.tickets.schemas import (
    TicketCreate,
    TicketSource,
    TicketUpdate,
)
from opscast.tickets.scoring import Scoring
from opscast.tickets.tables import Ticket, TicketEvent
from opscast.tickets.workflow import ACTIVE, TicketStatus, refusal


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
