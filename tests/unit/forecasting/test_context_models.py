"""Traffic models trained once: forecasting from new context, baseline, rolling-origin scores."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import require_extra
from opscast.forecasting import ForecastingError
from opscast.forecasting.context_models import (
    CONTEXT_MODELS,
    NEURAL_CONTEXT_MODELS,
    PROFILE_DAYS,
    TreeForecaster,
    context_forecaster,
    profile_baseline,
    rolling_origin,
    score,
)
from opscast.forecasting.tree_recursion import feature_steps
from opscast.simulate import simulate_traffic

SEASON = 96  # 15-minute steps per day


@pytest.fixture(scope="module")
def traffic() -> pd.Series:
    frame = simulate_traffic(days=12, freq="15min", seed=3)
    return pd.Series(frame["y"].to_numpy(dtype=np.float64), index=pd.DatetimeIndex(frame["ds"]))


@pytest.fixture(scope="module", params=(*CONTEXT_MODELS, *NEURAL_CONTEXT_MODELS))
def fitted(request: pytest.FixtureRequest, traffic: pd.Series) -> object:
    if request.param in NEURAL_CONTEXT_MODELS:
        require_extra("torch", "neural")
    model = context_forecaster(request.param, freq="15min", season_length=SEASON)
    return model.fit(traffic.iloc[: 9 * SEASON])


def test_forecasts_follow_the_context_they_are_given(fitted: object, traffic: pd.Series) -> None:
    model = fitted
    context = traffic.iloc[: 10 * SEASON]
    forecast = model.predict(context, 8)  # type: ignore[attr-defined]
    expected = pd.date_range(context.index[-1], periods=9, freq="15min")[1:]
    assert forecast.index.equals(expected)
    assert (forecast >= 0).all()
    assert np.isfinite(forecast).all()
    # the same timestamps carrying other days' traffic give another forecast: the model
    # reads the context it is handed, not the history it was fitted on
    other = pd.Series(
        traffic.iloc[SEASON // 2 : SEASON // 2 + len(context)].to_numpy(), context.index
    )
    assert not np.allclose(model.predict(other, 8), forecast)  # type: ignore[attr-defined]


def test_the_hybrid_scales_to_the_level_of_the_context(traffic: pd.Series) -> None:
    model = context_forecaster("hybrid", freq="15min", season_length=SEASON)
    model.fit(traffic.iloc[: 9 * SEASON])
    context = traffic.iloc[: 10 * SEASON]
    assert model.predict(context / 2, 8).mean() < 0.75 * model.predict(context, 8).mean()


def test_a_fitted_model_survives_pickling(fitted: object, traffic: pd.Series) -> None:
    context = traffic.iloc[: 10 * SEASON]
    again = pickle.loads(pickle.dumps(fitted))
    pd.testing.assert_series_equal(again.predict(context, 5), fitted.predict(context, 5))  # type: ignore[attr-defined]


def test_models_beat_repeating_yesterday(fitted: object, traffic: pd.Series) -> None:
    points = rolling_origin(fitted, traffic, h=8, step=12, n_windows=8)  # type: ignore[arg-type]
    scores = score(points, traffic.iloc[: 9 * SEASON], SEASON)
    assert scores["mase"] < 1.0


def test_too_little_context_is_refused(fitted: object, traffic: pd.Series) -> None:
    with pytest.raises(ForecastingError, match="context"):
        fitted.predict(traffic.iloc[:10], 3)  # type: ignore[attr-defined]


def test_unknown_model_is_refused() -> None:
    with pytest.raises(ForecastingError, match="unknown traffic model"):
        context_forecaster("prophet", freq="5min", season_length=288)


@given(
    level=st.floats(min_value=1.0, max_value=1e4),
    h=st.integers(min_value=1, max_value=2 * SEASON),
)
@settings(max_examples=40, deadline=None)
def test_baseline_reproduces_a_steady_daily_cycle(level: float, h: int) -> None:
    day = level * (1.5 + np.sin(np.linspace(0, 2 * np.pi, SEASON, endpoint=False)))
    y = np.tile(day, 5)
    baseline = profile_baseline(y, SEASON, h, 4)
    start = PROFILE_DAYS * SEASON
    assert np.isnan(baseline[:start]).all()
    expected = np.tile(day, 8)[start : len(y) + h]
    np.testing.assert_allclose(baseline[start:], expected, rtol=1e-9)


def test_baseline_follows_the_recent_level() -> None:
    day = 100 + 50 * np.sin(np.linspace(0, 2 * np.pi, SEASON, endpoint=False))
    y = np.tile(day, 4)
    y[-4:] *= 2  # the last hour runs at twice the usual level
    future = profile_baseline(y, SEASON, 4, 4)[-4:]
    np.testing.assert_allclose(future, 2 * day[:4], rtol=0.02)


def test_rolling_origin_layout(traffic: pd.Series) -> None:
    model = context_forecaster("xgboost", freq="15min", season_length=SEASON, n_estimators=10)
    model.fit(traffic.iloc[: 9 * SEASON])
    points = rolling_origin(model, traffic, h=4, step=3, n_windows=5)
    assert len(points) == 20
    cutoffs = points["cutoff"].drop_duplicates()
    assert (cutoffs.diff().dropna() == pd.Timedelta(minutes=45)).all()
    assert points["ds"].iloc[-1] == traffic.index[-1]
    assert points["horizon"].tolist() == [1, 2, 3, 4] * 5
    np.testing.assert_array_equal(points["actual"], traffic.loc[points["ds"]].to_numpy())
    with pytest.raises(ForecastingError, match="too few"):
        rolling_origin(model, traffic.iloc[: model.context_length + 3], h=4, step=1, n_windows=1)


@pytest.fixture(scope="module")
def trees(traffic: pd.Series) -> dict[str, TreeForecaster]:
    return {
        learner: TreeForecaster(learner, freq="15min", season_length=SEASON).fit(
            traffic.iloc[: 9 * SEASON]
        )
        for learner in ("xgboost", "lightgbm")
    }


@settings(max_examples=20, deadline=None)
@given(
    learner=st.sampled_from(["xgboost", "lightgbm"]),
    end=st.integers(9 * SEASON, 12 * SEASON),
    h=st.integers(1, 2 * SEASON),
)
def test_the_numpy_recursion_forecasts_what_mlforecast_does(
    trees: dict[str, TreeForecaster], traffic: pd.Series, learner: str, end: int, h: int
) -> None:
    """Same lags, rolling means and calendar of each step, same trees: same forecast."""
    model = trees[learner]
    recent = traffic.iloc[:end].iloc[-model.context_length :]
    fast = model.predict(recent, h)
    reference = model.predict_with_mlforecast(recent, h)
    assert fast.index.equals(reference.index)
    np.testing.assert_allclose(fast.to_numpy(), reference.to_numpy(), rtol=1e-9, atol=1e-9)


def test_features_outside_the_plan_leave_the_recursion_to_mlforecast() -> None:
    assert feature_steps(["lag1", "rolling_mean_lag1_window_size4", "hour"]) is not None
    assert feature_steps(["lag1", "expanding_mean_lag1"]) is None
    assert feature_steps(["lag1", "week"]) is None
