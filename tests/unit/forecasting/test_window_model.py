"""The window-normalised global model: horizon, scale invariance, lags, recursion."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.forecasting.protocol import ForecastingError
from opscast.forecasting.window_model import WindowForecaster, window_lags


def seasonal_frame(series: int, length: int, season: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    parts = []
    for index in range(series):
        level = 10.0 ** rng.uniform(0, 4)
        steps = np.arange(length)
        shape = 1 + 0.5 * np.sin(2 * np.pi * (steps + index) / season)
        values = level * shape * (1 + 0.05 * rng.standard_normal(length))
        parts.append(pd.DataFrame({"unique_id": f"s{index}", "ds": steps, "y": values}))
    return pd.concat(parts, ignore_index=True)


@settings(max_examples=30, deadline=None)
@given(
    season=st.integers(1, 200),
    extra=st.lists(st.integers(2, 400), max_size=2),
)
def test_lags_cover_the_last_season_then_whole_cycles(season: int, extra: list[int]) -> None:
    lags = window_lags(season, extra)
    assert lags == sorted(set(lags))
    assert set(range(1, max(season, 7) + 1)) <= set(lags)
    longest = max([season, *extra, 1])
    assert max(lags) <= max(2 * longest, 14)
    for cycle in {season, *extra} - {1}:
        assert cycle in lags


def test_forecasts_follow_the_cycle_at_every_scale() -> None:
    frame = seasonal_frame(series=12, length=24 * 12, season=24)
    model = WindowForecaster(freq=1, season_length=24).fit(frame)
    result = model.predict(48)
    assert len(result) == 12 * 48
    for uid, group in result.groupby("unique_id"):
        history = frame.loc[frame["unique_id"] == uid]
        assert group["ds"].tolist() == list(range(len(history), len(history) + 48))
        # the same phase a season ago, within the noise: the cycle is carried forward
        previous_day = history["y"].to_numpy()[-24:]
        ratio = group["lightgbm_window"].to_numpy()[:24] / previous_day
        assert np.median(np.abs(ratio - 1)) < 0.15


def test_scaling_a_series_scales_its_forecast() -> None:
    """Each window is divided by its own level, so a series times 1,000 is forecast x1,000."""
    frame = seasonal_frame(series=8, length=200, season=12, seed=3)
    scaled = frame.assign(y=frame["y"] * 1000.0)
    plain = WindowForecaster(freq=1, season_length=12).fit(frame).predict(12)
    large = WindowForecaster(freq=1, season_length=12).fit(scaled).predict(12)
    np.testing.assert_allclose(
        large["lightgbm_window"], plain["lightgbm_window"] * 1000.0, rtol=1e-6
    )


def test_dates_continue_each_series_at_its_frequency() -> None:
    frame = seasonal_frame(series=3, length=120, season=7)
    frame["ds"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(frame["ds"], unit="D")
    result = WindowForecaster(freq="D", season_length=7).fit(frame).predict(5)
    firsts = result.groupby("unique_id")["ds"].min()
    assert (firsts == pd.Timestamp("2024-01-01") + pd.Timedelta(days=120)).all()


def test_too_little_history_says_what_to_use() -> None:
    tiny = pd.DataFrame({"unique_id": "a", "ds": range(6), "y": [1.0, 2, 3, 4, 5, 6]})
    with pytest.raises(ForecastingError, match="statistical model"):
        WindowForecaster(freq=1, season_length=1).fit(tiny)


def test_predict_before_fit_is_refused() -> None:
    with pytest.raises(ForecastingError, match="fit"):
        WindowForecaster(freq=1).predict(3)
