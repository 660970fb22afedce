"""The LSTM residual learner: learns short-range structure, forecasts any context, pickles."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import require_extra
from opscast.forecasting.lstm_residuals import (
    LSTMConfig,
    LSTMResidualLearner,
    future_stamps,
)
from opscast.forecasting.protocol import ForecastingError

PHI = 0.8


def autoregressive(n: int, rng: np.random.Generator, phi: float = PHI) -> np.ndarray:
    values = np.zeros(n)
    noise = rng.normal(size=n)
    for k in range(1, n):
        values[k] = phi * values[k - 1] + noise[k]
    return values


@pytest.fixture(scope="module")
def learner() -> LSTMResidualLearner:
    require_extra("torch", "neural")
    rng = np.random.default_rng(1)
    series = [autoregressive(600, rng) for _ in range(4)]
    return LSTMResidualLearner(LSTMConfig(epochs=5, seed=3)).fit(series)


def test_it_learns_the_autocorrelation_a_baseline_leaves(learner: LSTMResidualLearner) -> None:
    rng = np.random.default_rng(7)
    tests = [autoregressive(200, rng) for _ in range(300)]
    predicted = learner.forecast([series[:-1] for series in tests], 1)[:, 0]
    actual = np.array([series[-1] for series in tests])
    last = np.array([series[-2] for series in tests])
    error = np.mean((predicted - actual) ** 2)
    # predicting the mean costs the variance (2.8 for phi 0.8); the true AR(1) rule costs 1
    assert error < 0.6 * np.mean(actual**2)
    assert error < 1.3 * np.mean((PHI * last - actual) ** 2)


def test_a_pickled_learner_forecasts_the_same(learner: LSTMResidualLearner) -> None:
    contexts = [np.sin(np.arange(100) / 5.0), np.linspace(0, 3, 80)]
    restored = pickle.loads(pickle.dumps(learner))
    np.testing.assert_allclose(restored.forecast(contexts, 6), learner.forecast(contexts, 6))


def test_the_same_seed_fits_the_same_network() -> None:
    require_extra("torch", "neural")
    rng = np.random.default_rng(2)
    series = [autoregressive(300, rng)]
    config = LSTMConfig(epochs=2, seed=5)
    first = LSTMResidualLearner(config).fit(series).forecast(series, 4)
    again = LSTMResidualLearner(config).fit(series).forecast(series, 4)
    np.testing.assert_array_equal(first, again)


def test_too_little_history_is_refused_with_the_alternative() -> None:
    require_extra("torch", "neural")
    with pytest.raises(ForecastingError, match="default hybrid"):
        LSTMResidualLearner().fit([np.arange(20.0)])


@settings(max_examples=25, deadline=None)
@given(
    h=st.integers(min_value=1, max_value=30),
    lengths=st.lists(st.integers(min_value=1, max_value=120), min_size=1, max_size=5),
    level=st.floats(min_value=-1e4, max_value=1e4),
)
def test_forecasts_are_finite_and_shaped_for_any_context(
    learner: LSTMResidualLearner, h: int, lengths: list[int], level: float
) -> None:
    contexts = [level + np.cos(np.arange(n) / 3.0) for n in lengths]
    result = learner.forecast(contexts, h)
    assert result.shape == (len(lengths), h)
    assert np.isfinite(result).all()


def test_a_flat_context_continues_at_its_level(learner: LSTMResidualLearner) -> None:
    result = learner.forecast([np.full(60, 42.0)], 5)
    # a flat context has no spread: the forecast stays on its level
    np.testing.assert_allclose(result, 42.0, atol=2.0)


def test_future_stamps_follow_the_grid() -> None:
    assert list(future_stamps(10, 2, 3)) == [12, 14, 16]
    stamps = future_stamps(pd.Timestamp("2024-01-01 23:55"), "5min", 2)
    assert list(stamps) == [pd.Timestamp("2024-01-02 00:00"), pd.Timestamp("2024-01-02 00:05")]
