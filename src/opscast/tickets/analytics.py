"""Reports over stored tickets: totals by field, and daily counts ready for a forecaster."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from opscast.errors import InvalidInputError
from opscast.tickets.priority import LEVELS
from opscast.tickets.repository import TicketRepository
from opscast.tickets.schemas import DailyCount, SummaryOut
from opscast.tickets.workflow import ACTIVE, TicketStatus

MAX_DAILY_RANGE_DAYS = 3660


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
