"""Every query on tickets and their audit trail, and nothing else."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, delete, func, select
from sqlalchemy.orm import Session

from opscast.tickets.tables import Ticket, TicketEvent

PRIORITY_RANK = case({"high": 1, "medium": 2, "low": 3}, value=Ticket.priority, else_=4)
SORTABLE: dict[str, Any] = {
    "id": Ticket.id,
    "created_at": Ticket.created_at,
    "updated_at": Ticket.updated_at,
    "priority": PRIORITY_RANK,
    "status": Ticket.status,
    "classification": Ticket.classification,
}


@dataclass(frozen=True, slots=True)
class TicketFilter:
    status: str | None = None
    priority: str | None = None
    classification: str | None = None
    source: str | None = None
    assignee: str | None = None
    server_id: int | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        for column, value in (
            (Ticket.status, self.status),
            (Ticket.priority, self.priority),
            (Ticket.classification, self.classification),
            (Ticket.source, self.source),
            (Ticket.assignee, self.assignee),
            (Ticket.server_id, self.server_id),
        ):
            if value is not None:
                query = query.where(column == value)
        return query


class TicketRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, ticket: Ticket) -> Ticket:
        self.session.add(ticket)
        self.session.flush()
        return ticket

    def get(self, ticket_id: int) -> Ticket | None:
        return self.session.get(Ticket, ticket_id)

    def count(self, where: TicketFilter | None = None) -> int:
        query = select(func.count()).select_from(Ticket)
        return self.session.scalar((where or TicketFilter()).apply(query)) or 0

    def page(
        self, where: TicketFilter, *, sort: str, descending: bool, limit: int, offset: int
    ) -> tuple[list[Ticket], int]:
        """One page in the asked order (ties broken by id) and the total that matches."""
        total = self.count(where)
        key = SORTABLE[sort]
        order = [
            key.desc() if descending else key.asc(),
            Ticket.id.desc() if descending else Ticket.id,
        ]
        rows = self.session.scalars(
            where.apply(select(Ticket)).order_by(*order).limit(limit).offset(offset)
        )
        return list(rows), total

    def open_for_server(self, server_id: int, statuses: Sequence[str]) -> Ticket | None:
        query = (
            select(Ticket)
            .where(Ticket.server_id == server_id, Ticket.status.in_(statuses))
            .order_by(Ticket.id.desc())
            .limit(1)
        )
        return self.session.scalar(query)

    def delete(self, ticket: Ticket) -> None:
        self.session.execute(delete(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
        self.session.delete(ticket)
        self.session.flush()

    def add_event(
        self,
        ticket: Ticket,
        *,
        at: datetime,
        action: str,
        changes: dict[str, Any],
        actor: str | None = None,
        note: str | None = None,
    ) -> None:
        self.session.add(
            TicketEvent(
                ticket_id=ticket.id, at=at, action=action, changes=changes, actor=actor, note=note
            )
        )

    def events(self, ticket_id: int) -> list[TicketEvent]:
        query = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
        return list(self.session.scalars(query.order_by(TicketEvent.at, TicketEvent.id)))

    def corrected_examples(self) -> list[tuple[str, str, str]]:
        """(title, description, classification) of every ticket a person labelled."""
        query = select(Ticket.title, Ticket.description, Ticket.classification).where(
            Ticket.classification_corrected.is_(True)
        )
        return [(title, text, label) for title, text, label in self.session.execute(query)]

    def counts_by(self, column_name: str) -> dict[str, int]:
        column = getattr(Ticket, column_name)
        rows = self.session.execute(select(column, func.count()).group_by(column))
        return {str(value): int(count) for value, count in rows}

    def resolution_hours(self) -> list[float]:
        """Hours from creation to resolution of every resolved (or closed) ticket."""
        rows = self.session.execute(
            select(Ticket.created_at, Ticket.resolved_at).where(Ticket.resolved_at.is_not(None))
        )
        return [
            (resolved - created).total_seconds() / 3600.0
            for created, resolved in rows
            if resolved is not None
        ]

    def creation_times(
        self, start: datetime | None, end: datetime | None, classification: str | None
    ) -> list[tuple[str, datetime]]:
        query = select(Ticket.classification, Ticket.created_at)
        if start is not None:
            query = query.where(Ticket.created_at >= start)
        if end is not None:
            query = query.where(Ticket.created_at < end)
        if classification is not None:
            query = query.where(Ticket.classification == classification)
        return [(label, created) for label, created in self.session.execute(query)]
