"""The ticket status table."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from opscast.tickets.workflow import ALLOWED_MOVES, TicketStatus, refusal

statuses = st.sampled_from(list(TicketStatus))


@given(statuses, statuses)
def test_refusal_agrees_with_the_table(current: TicketStatus, wanted: TicketStatus) -> None:
    allowed = current == wanted or wanted in ALLOWED_MOVES[current]
    reason = refusal(current, wanted)
    assert (reason is None) == allowed
    if reason is not None:
        assert current.value in reason


def test_closed_is_final_and_resolved_can_reopen() -> None:
    assert ALLOWED_MOVES[TicketStatus.closed] == frozenset()
    assert "final" in (refusal(TicketStatus.closed, TicketStatus.open) or "")
    assert refusal(TicketStatus.resolved, TicketStatus.open) is None


def test_every_status_can_reach_closed() -> None:
    for status in TicketStatus:
        assert status == TicketStatus.closed or TicketStatus.closed in ALLOWED_MOVES[status]
