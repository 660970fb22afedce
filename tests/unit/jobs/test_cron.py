"""Cron arithmetic: the next run is strictly later, on the grid, and never skips a slot."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opscast.errors import InvalidInputError
from opscast.jobs.cron import check_cron, next_run

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1))


@given(moments)
def test_quarter_hourly_runs_are_the_next_quarter(after: datetime) -> None:
    following = next_run("*/15 * * * *", after)
    assert after < following <= after + timedelta(minutes=15)
    assert following.minute % 15 == 0
    assert (following.second, following.microsecond) == (0, 0)


@given(moments)
def test_weekly_runs_fall_on_the_named_day_within_a_week(after: datetime) -> None:
    following = next_run("30 2 * * 0", after)  # Sundays 02:30
    assert after < following <= after + timedelta(days=7)
    assert following.weekday() == 6
    assert (following.hour, following.minute) == (2, 30)


def test_expressions_are_normalised_and_checked() -> None:
    assert check_cron("  0   3 * * 1 ") == "0 3 * * 1"
    with pytest.raises(InvalidInputError, match="five fields"):
        check_cron("@daily-ish")
