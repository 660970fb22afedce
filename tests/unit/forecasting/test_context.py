"""Placing stored history before posted points: gap filling, weekly shifts, context layout."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.forecasting import ForecastingError
from opscast.forecasting.context import WEEK, build_context, fill_seasonal_gaps, history_shift

STEP = pd.Timedelta(hours=1)


def hourly(days: int, start: str = "2024-01-01") -> pd.Series:
    """A weekly-periodic hourly series: every value is a function of weekday and hour."""
    index = pd.date_range(start, periods=days * 24, freq="h")
    return pd.Series((index.dayofweek * 100 + index.hour).to_numpy(dtype=np.float64), index=index)


@given(
    start=st.integers(min_value=0, max_value=21 * 24 - 1),
    length=st.integers(min_value=1, max_value=5 * 24),
)
@settings(max_examples=60, deadline=None)
def test_a_gap_in_weekly_traffic_is_filled_with_its_true_values(start: int, length: int) -> None:
    truth = hourly(21)
    holed = truth.copy()
    holed.iloc[start : start + length] = np.nan
    filled = fill_seasonal_gaps(holed)
    assert filled.notna().all()
    np.testing.assert_array_equal(filled.to_numpy(), truth.to_numpy())


def test_what_no_period_reaches_is_interpolated() -> None:
    values = pd.Series([1.0, np.nan, 3.0], index=pd.date_range("2024-01-01", periods=3, freq="h"))
    assert fill_seasonal_gaps(values).tolist() == [1.0, 2.0, 3.0]


@given(
    offset_hours=st.integers(min_value=-3000, max_value=3000),
    length=st.integers(min_value=1, max_value=7 * 24),
)
@settings(max_examples=100, deadline=None)
def test_shifted_history_covers_the_span_before_the_first_point(
    offset_hours: int, length: int
) -> None:
    history = hourly(28)
    first = history.index[-1] + offset_hours * STEP
    weeks = history_shift(history, first, STEP, length)
    start, end = history.index[0] + weeks * WEEK, history.index[-1] + weeks * WEEK
    assert start <= first - length * STEP
    assert end >= first - STEP
    # the most recent weeks that reach: one week less would not
    if weeks != 0:
        assert history.index[-1] + (weeks - 1) * WEEK < first - STEP


def test_no_shift_when_the_history_already_covers_the_span() -> None:
    history = hourly(28)
    first = history.index[0] + 10 * 24 * STEP
    assert history_shift(history, first, STEP, 48) == 0


def test_history_shorter_than_the_context_is_refused() -> None:
    with pytest.raises(ForecastingError, match="too short"):
        history_shift(hourly(7), pd.Timestamp("2030-01-01"), STEP, 7 * 24)


def test_context_keeps_posted_values_and_calendar() -> None:
    history = hourly(28)
    first = pd.Timestamp("2031-05-06 10:00")  # far after the history, a Tuesday
    posted = pd.Series([5.0, 7.0], index=[first, first + 3 * STEP])
    context = build_context(history, posted, STEP, 48)
    values = context.values
    assert values.index[0] == first - 48 * STEP
    assert values.index[-1] == first + 3 * STEP
    assert pd.infer_freq(values.index) == "h"
    assert values[first] == 5.0
    assert values[first + 3 * STEP] == 7.0
    # history before the first point is the stored value for the same weekday and hour
    before = values[values.index < first]
    np.testing.assert_array_equal(
        before.to_numpy(), (before.index.dayofweek * 100 + before.index.hour).to_numpy()
    )
    assert context.history_points == 48
    assert context.filled_points == 2  # the two steps skipped between the posted points
    assert context.shift_weeks > 0


@given(
    offset_hours=st.integers(min_value=-500, max_value=3000),
    length=st.integers(min_value=1, max_value=7 * 24),
    dropped=st.sets(st.integers(min_value=0, max_value=28 * 24 - 1), max_size=200),
    shuffled=st.booleans(),
    utc_seconds=st.booleans(),
)
@settings(max_examples=100, deadline=None)
def test_the_context_takes_every_stored_point_of_its_span_and_no_other(
    offset_hours: int, length: int, dropped: set[int], shuffled: bool, utc_seconds: bool
) -> None:
    history = hourly(28)
    history = history.drop(history.index[sorted(dropped)])
    if utc_seconds:  # another zone and unit than the grid pandas builds by default
        history.index = history.index.tz_localize("UTC").as_unit("s")
    if shuffled:
        history = history.sample(frac=1.0, random_state=len(dropped))
    first = history.index.max() + offset_hours * STEP
    try:
        context = build_context(history, pd.Series([1.0], index=[first]), STEP, length)
    except ForecastingError:
        return  # the history is too short for this span: refused, as tested above
    span = first - length * STEP + np.arange(length) * STEP
    stored = history.index + context.shift_weeks * WEEK
    assert context.history_points == int(np.isin(span, stored).sum())
    before = context.values.iloc[:length]
    assert before.index.equals(pd.DatetimeIndex(span))
    # a weekly series: each stored point keeps the value of its weekday and hour
    kept = before[np.isin(span, stored)]
    np.testing.assert_array_equal(
        kept.to_numpy(), (kept.index.dayofweek * 100 + kept.index.hour).to_numpy()
    )
