"""Cron expressions: validation with a message a person can act on, and the next run time.

croniter does the calendar arithmetic (month lengths, day-of-week rules); this module only
pins the conventions opscast uses: five-field expressions, evaluated in UTC.
"""

from __future__ import annotations

from datetime import datetime

from opscast.errors import InvalidInputError

CRON_HINT = 'five fields "minute hour day-of-month month day-of-week", e.g. "0 3 * * 1"'


def check_cron(expression: str) -> str:
    from croniter import croniter

    cleaned = " ".join(expression.split())
    if len(cleaned.split(" ")) != 5 or not croniter.is_valid(cleaned):
        raise InvalidInputError(
            f"{expression!r} is not a cron expression; use {CRON_HINT} (UTC)", field="cron"
        )
    return cleaned


def next_run(expression: str, after: datetime) -> datetime:
    """The first time strictly after ``after`` that matches (naive UTC in, naive UTC out)."""
    from croniter import croniter

    following: datetime = croniter(expression, after).get_next(datetime)
    return following
