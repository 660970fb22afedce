"""Temporal reconciliation: every level is the sum of its days, and coherent input is kept."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.incidents.reconciliation import reconcile
from opscast.timeseries import Granularity
from opscast.timeseries.granularity import period_start

LEVELS = (Granularity.weekly, Granularity.monthly, Granularity.quarterly)


def level_labels(days: pd.DatetimeIndex, level: Granularity) -> pd.Series:
    return pd.Series(period_start(pd.Series(days), level).to_numpy(), index=days)


def random_levels(
    days: pd.DatetimeIndex, rng: np.random.Generator, scale: float
) -> dict[Granularity, pd.Series]:
    out = {}
    for level in LEVELS:
        periods = pd.DatetimeIndex(level_labels(days, level).unique())
        out[level] = pd.Series(rng.gamma(2.0, scale * 30, len(periods)), index=periods)
    return out


windows = st.tuples(
    st.dates(
        min_value=pd.Timestamp("2020-01-01").date(), max_value=pd.Timestamp("2030-01-01").date()
    ),
    st.integers(min_value=1, max_value=400),
    st.integers(min_value=0, max_value=2**32 - 1),
)


@settings(max_examples=60, deadline=None)
@given(window=windows, scale=st.floats(0.01, 100.0))
def test_every_level_is_the_sum_of_its_reconciled_days(
    window: tuple[object, int, int], scale: float
) -> None:
    start, length, seed = window
    rng = np.random.default_rng(seed)
    days = pd.date_range(pd.Timestamp(start), periods=length, freq="D")  # type: ignore[arg-type]
    daily = pd.Series(rng.gamma(2.0, scale, length), index=days)
    result = reconcile(daily, random_levels(days, rng, scale))

    assert (result.daily >= 0).all()
    for level, values in result.levels.items():
        labels = level_labels(days, level)
        sums = result.daily.groupby(labels).sum()
        np.testing.assert_allclose(
            values.to_numpy(), sums.loc[values.index].to_numpy(), rtol=1e-9, atol=1e-9
        )
        # only periods that end inside the window take part
        after = period_start(pd.Series([days[-1] + pd.Timedelta(days=1)]), level).iloc[0]
        assert after not in values.index
    months, quarters = result.levels[Granularity.monthly], result.levels[Granularity.quarterly]
    for quarter, value in quarters.items():
        inside = months[
            (months.index >= quarter) & (months.index < quarter + pd.DateOffset(months=3))
        ]
        if len(inside) == 3:
            assert value == pytest.approx(inside.sum(), rel=1e-9)


@settings(max_examples=30, deadline=None)
@given(window=windows)
def test_coherent_forecasts_are_left_unchanged(window: tuple[object, int, int]) -> None:
    start, length, seed = window
    rng = np.random.default_rng(seed)
    days = pd.date_range(pd.Timestamp(start), periods=length, freq="D")  # type: ignore[arg-type]
    daily = pd.Series(rng.gamma(2.0, 5.0, length), index=days)
    coherent = {level: daily.groupby(level_labels(days, level)).sum() for level in LEVELS}
    result = reconcile(daily, coherent)
    np.testing.assert_allclose(result.daily.to_numpy(), daily.to_numpy(), rtol=1e-8)


def test_disagreeing_levels_meet_between_their_forecasts() -> None:
    days = pd.date_range("2024-01-01", "2024-03-31", freq="D")
    daily = pd.Series(10.0, index=days)  # says 910 for the quarter
    quarter = pd.Series([1820.0], index=pd.DatetimeIndex(["2024-01-01"]))  # says twice that
    result = reconcile(daily, {Granularity.quarterly: quarter})
    total = result.levels[Granularity.quarterly].iloc[0]
    assert 910.0 < total < 1820.0
    assert result.daily.sum() == pytest.approx(total)
    # structural weights: the quarter (91 days) counts like its 91 days together
    assert total == pytest.approx((910.0 + 1820.0) / 2)


def test_levels_without_a_forecast_for_a_period_leave_it_out() -> None:
    days = pd.date_range("2024-01-01", "2024-02-29", freq="D")
    daily = pd.Series(1.0, index=days)
    only_february = pd.Series([100.0], index=pd.DatetimeIndex(["2024-02-01"]))
    result = reconcile(daily, {Granularity.monthly: only_february})
    assert list(result.levels[Granularity.monthly].index) == [pd.Timestamp("2024-02-01")]
    assert result.daily.loc["2024-01-15"] == pytest.approx(1.0)


def test_days_must_be_consecutive() -> None:
    days = pd.DatetimeIndex(["2024-01-01", "2024-01-03"])
    with pytest.raises(ValueError, match="consecutive"):
        reconcile(pd.Series([1.0, 2.0], index=days), {})
