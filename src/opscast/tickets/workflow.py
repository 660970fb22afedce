"""The ticket status workflow, as a table of allowed moves.

A closed ticket is final (reopening one would rewrite a record people signed off);
a resolved ticket may be reopened while it is not closed.
"""

from __future__ import annotations

from enum import StrEnum


class TicketStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    resolved = "resolved"
    closed = "closed"


ALLOWED_MOVES: dict[TicketStatus, frozenset[TicketStatus]] = {
    TicketStatus.open: frozenset(
        {TicketStatus.in_progress, TicketStatus.resolved, TicketStatus.closed}
    ),
    TicketStatus.in_progress: frozenset(
        {TicketStatus.open, TicketStatus.resolved, TicketStatus.closed}
    ),
    TicketStatus.resolved: frozenset(
        {TicketStatus.open, TicketStatus.in_progress, TicketStatus.closed}
    ),
    TicketStatus.closed: frozenset(),
}
ACTIVE = frozenset({TicketStatus.open, TicketStatus.in_progress})


def refusal(current: TicketStatus, wanted: TicketStatus) -> str | None:
    """Why ``current -> wanted`` is not allowed, or None when it is (staying put is allowed)."""
    if current == wanted or wanted in ALLOWED_MOVES[current]:
        return None
    if not ALLOWED_MOVES[current]:
        return f"ticket is {current.value}, which is final; open a new ticket instead"
    allowed = ", ".join(sorted(status.value for status in ALLOWED_MOVES[current]))
    return (
        f"a ticket cannot go from {current.value} to {wanted.value}; "
        f"from {current.value} it can go to {allowed}"
    )
