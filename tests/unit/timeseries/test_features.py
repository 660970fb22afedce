from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.timeseries import FrameValidationError, add_calendar, add_lags, add_rolling


def series(values: list[float], uid: str = "s") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": uid,
            "ds": pd.date_range("2024-01-05", periods=len(values), freq="D"),
            "y": values,
        }
    )


def test_lags_shift_within_each_series() -> None:
    data = pd.concat([series([1, 2, 3], "a"), series([10, 20, 30], "b")])
    lagged = add_lags(data, [1, 2])
    assert lagged["lag1"].tolist()[:3] == pytest.approx([np.nan, 1, 2], nan_ok=True)
    assert np.isnan(lagged["lag1"].iloc[3]), "no value leaks from series a into b"
    assert lagged["lag2"].tolist()[3:] == pytest.approx([np.nan, np.nan, 10], nan_ok=True)


def test_rolling_uses_only_earlier_points() -> None:
    rolled = add_rolling(series([1, 2, 3, 10]), [2], stats=["mean", "max"])
    assert rolled["rolling_mean_2"].tolist() == pytest.approx([np.nan, 1.0, 1.5, 2.5], nan_ok=True)
    assert rolled["rolling_max_2"].tolist() == pytest.approx([np.nan, 1.0, 2.0, 3.0], nan_ok=True)


def test_calendar_features() -> None:
    calendar = add_calendar(series([1, 2, 3]))
    assert calendar["dayofweek"].tolist() == [4, 5, 6]
    assert calendar["is_weekend"].tolist() == [False, True, True]
    assert calendar["quarter"].tolist() == [1, 1, 1]
    assert calendar["week"].tolist() == [1, 1, 1]


def test_bad_parameters_are_refused() -> None:
    with pytest.raises(FrameValidationError, match="positive"):
        add_lags(series([1, 2]), [0])
    with pytest.raises(FrameValidationError, match="unknown rolling"):
        add_rolling(series([1, 2]), [2], stats=["median"])
    with pytest.raises(FrameValidationError, match="timestamps"):
        add_calendar(pd.DataFrame({"unique_id": "s", "ds": [1, 2], "y": [1.0, 2.0]}))


@settings(max_examples=80, deadline=None)
@given(
    values=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=4, max_size=40),
    cut=st.integers(0, 39),
    change=st.floats(-1e3, 1e3, allow_nan=False),
)
def test_features_never_look_ahead(values: list[float], cut: int, change: float) -> None:
    """Changing any value at or after row t leaves every feature at row t unchanged."""
    cut = cut % len(values)
    altered = values[:cut] + [v + change + 1.0 for v in values[cut:]]
    before = add_rolling(add_lags(series(values), [1, 3]), [2, 5])
    after = add_rolling(add_lags(series(altered), [1, 3]), [2, 5])
    features = [c for c in before.columns if c.startswith(("lag", "rolling_"))]
    pd.testing.assert_frame_equal(before.loc[:cut, features], after.loc[:cut, features])
