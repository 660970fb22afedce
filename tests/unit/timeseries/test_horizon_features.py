"""Horizon-safe features: nothing a forecast `horizon` steps ahead could not have known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.timeseries import FrameValidationError
from opscast.timeseries.horizon_features import HorizonSpec, complete_grid, horizon_features


def sales(days: int, series: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = [
        pd.DataFrame(
            {
                "unique_id": f"s{index}",
                "ds": pd.date_range("2024-01-01", periods=days, freq="D"),
                "y": rng.poisson(20, days).astype(float),
                "store": index,
            }
        )
        for index in range(series)
    ]
    return pd.concat(frames, ignore_index=True)


@settings(max_examples=25, deadline=None)
@given(
    horizon=st.integers(1, 30),
    cut=st.integers(10, 80),
    seed=st.integers(0, 10_000),
    shift=st.floats(-50, 500, allow_nan=False),
)
def test_changing_sales_after_a_cutoff_leaves_features_up_to_cutoff_plus_horizon(
    horizon: int, cut: int, seed: int, shift: float
) -> None:
    spec = HorizonSpec(
        horizon=horizon,
        lags=(horizon, horizon + 7, horizon + 30),
        windows=(1, 7, 28),
        weekday_weeks=3,
        statics=("store",),
    )
    data = sales(120, 2, seed)
    cutoff = data["ds"].min() + pd.Timedelta(days=cut)
    changed = data.copy()
    later = changed["ds"] > cutoff
    changed.loc[later, "y"] = changed.loc[later, "y"] * 3 + shift
    until = data["ds"].max() + pd.Timedelta(days=horizon)
    before = horizon_features(data, spec, until=until)
    after = horizon_features(changed, spec, until=until)
    known = before["ds"] <= cutoff + pd.Timedelta(days=horizon)
    pd.testing.assert_frame_equal(
        before.loc[known, spec.columns], after.loc[known, spec.columns], check_exact=True
    )
    # and the features do react to the change further out: the test can fail
    assert not before.loc[~known, spec.columns].equals(after.loc[~known, spec.columns])


def test_lags_and_windows_reach_back_exactly_the_horizon() -> None:
    data = pd.DataFrame(
        {"unique_id": "a", "ds": pd.date_range("2024-01-01", periods=10), "y": np.arange(10.0)}
    )
    spec = HorizonSpec(horizon=3, lags=(3,), windows=(2,), weekday_weeks=0, calendar=())
    features = horizon_features(data, spec, until=pd.Timestamp("2024-01-12"))
    assert len(features) == 12, "the grid reaches the last forecastable day"
    assert features["lag3"].tolist()[3:6] == [0.0, 1.0, 2.0]
    # the mean of the 2 values ending 3 days back: days t-4 and t-3
    assert features["rolling_mean_2"].iloc[5] == pytest.approx((1.0 + 2.0) / 2)
    assert features["lag3"].iloc[-1] == 8.0, "day 12 knows day 9, the last observed"


def test_a_gap_in_the_data_stays_a_gap_not_a_shift() -> None:
    data = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-04"]),
            "y": [1.0, 2.0, 4.0],
        }
    )
    grid = complete_grid(data)
    assert grid["ds"].dt.day.tolist() == [1, 2, 3, 4]
    assert np.isnan(grid["y"].iloc[2])


def test_a_lag_shorter_than_the_horizon_is_refused() -> None:
    with pytest.raises(FrameValidationError, match="shorter than the horizon 90"):
        HorizonSpec(horizon=90, lags=(7, 364))
