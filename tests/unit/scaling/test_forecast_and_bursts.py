"""The walk-forward bound sees no future; bursts are found where they are and only there."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.scaling.bursts import detect_bursts, episodes
from opscast.scaling.forecast_bound import lead_window_forecast

SEASON = 24


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(0, 1000, allow_nan=False), min_size=4 * SEASON, max_size=6 * SEASON),
    st.integers(0, 4 * SEASON - 1),
    st.floats(0, 5000, allow_nan=False),
)
def test_the_plan_of_a_step_ignores_that_step_and_later(
    values: list[float], cut: int, replacement: float
) -> None:
    y = np.array(values)
    changed = y.copy()
    changed[cut:] = replacement
    before = lead_window_forecast(y, SEASON, 3)
    after = lead_window_forecast(changed, SEASON, 3)
    for original, altered in zip(before, after, strict=True):
        np.testing.assert_allclose(original[: cut + 1], altered[: cut + 1])
        assert (altered >= 0).all()
    assert (before[1] >= before[0] - 1e-9).all()  # the upper bound is above the forecast


def test_the_bound_covers_most_of_a_steady_cycle() -> None:
    rng = np.random.default_rng(3)
    hours = np.arange(30 * SEASON)
    y = rng.poisson(200 + 150 * np.sin(2 * np.pi * hours / SEASON)).astype(float)
    expected, upper = lead_window_forecast(y, SEASON, 0, level=0.9)
    settled = slice(5 * SEASON, None)
    covered = float(np.mean(y[settled] <= upper[settled]))
    assert 0.8 <= covered <= 0.99
    assert float(np.mean(np.abs(expected[settled] - y[settled]) / y[settled])) < 0.2


def test_bursts_are_found_where_they_were_injected() -> None:
    rng = np.random.default_rng(5)
    y = rng.poisson(300, 2000).astype(float)
    quiet = detect_bursts(y, 60)
    assert not quiet.any()
    for start in (400, 1200, 1700):
        y[start : start + 5] *= 4
    found = episodes(detect_bursts(y, 60), "burst", "detected")
    assert [(e.start, e.end) for e in found] == [(400, 405), (1200, 1205), (1700, 1705)]
