"""Tickets: filtered list, detail with its history, and a form that scores as you type.

The form and the buttons talk to the ticket API itself (POST /tickets/, PUT
/tickets/{id}, POST /tickets/analyze), so the page goes through the same validation and
API-key checks as any client.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from opscast.dependencies import SessionDep
from opscast.tickets import analytics, service
from opscast.tickets.priority import LEVELS, PriorityLevel
from opscast.tickets.repository import TicketFilter
from opscast.tickets.workflow import ALLOWED_MOVES, TicketStatus
from opscast.web.layout import render

router = APIRouter()

PAGE_SIZE = 20


@router.get("/ui/tickets", response_class=HTMLResponse)
def tickets_page(
    request: Request,
    session: SessionDep,
    status: TicketStatus | None = None,
    priority: PriorityLevel | None = None,
    classification: Annotated[str | None, Query(max_length=100)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    where = TicketFilter(
        status=status.value if status else None,
        priority=priority,
        classification=classification or None,
    )
    tickets, total = service.list_tickets(
        session, where, sort="-id", limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
    )
    summary = analytics.summary(session)
    query = {
        key: value
        for key, value in (
            ("status", status.value if status else None),
            ("priority", priority),
            ("classification", classification),
        )
        if value
    }
    return render(
        request,
        "tickets.html",
        {
            "tickets": tickets,
            "total": total,
            "summary": summary,
            "statuses": [s.value for s in TicketStatus],
            "levels": LEVELS,
            "classifications": sorted(summary.by_classification),
            "filters": query,
            "page_number": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
        },
        page="tickets",
    )


@router.get("/ui/tickets/{ticket_id}", response_class=HTMLResponse)
def ticket_detail(request: Request, session: SessionDep, ticket_id: int) -> HTMLResponse:
    ticket = service.get_ticket(session, ticket_id)
    current = TicketStatus(ticket.status)
    return render(
        request,
        "ticket_detail.html",
        {
            "ticket": ticket,
            "history": service.ticket_history(session, ticket_id),
            "moves": sorted(move.value for move in ALLOWED_MOVES[current]),
        },
        page="tickets",
    )
