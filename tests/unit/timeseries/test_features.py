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
    assert calendar["day_of_week"].tolist() == [4, 5, 6]
    assert calendar["is_weekend"].tolist() == [False, True, True]
    assert calendar["quarter"].tolist() == [1, 1, 1]
    assert calendar["week_of_year"].tolist() == [1, 1, 1]


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


def test_calendar_follows_a_local_clock_when_asked() -> None:
    # 2024-03-31 22:30 UTC is Monday 00:30 in Berlin (summer time, UTC+2)
    data = pd.DataFrame({"unique_id": "s", "ds": [pd.Timestamp("2024-03-31 22:30")], "y": 1.0})
    utc = add_calendar(data)
    local = add_calendar(data, tz="Europe/Berlin")
    assert utc[["hour", "day_of_week", "day_of_month", "month", "quarter"]].iloc[0].tolist() == [
        22,
        6,
        31,
        3,
        1,
    ]
    assert bool(utc["is_weekend"].iloc[0])
    assert local[["hour", "day_of_week", "day_of_month", "month", "quarter"]].iloc[0].tolist() == [
        0,
        0,
        1,
        4,
        2,
    ]
    assert not bool(local["is_weekend"].iloc[0])
    assert local["week_of_year"].iloc[0] == 14
    assert local["ds"].iloc[0] == data["ds"].iloc[0], "ds itself is unchanged"


def test_rolling_std_and_min_per_series() -> None:
    data = pd.concat([series([4, 2, 6, 0], "a"), series([5, 5], "b")])
    rolled = add_rolling(data, [3], stats=["std", "min"])
    # row 3 of a sees 4, 2, 6: sample std 2
    np.testing.assert_allclose(
        rolled["rolling_std_3"], [np.nan, np.nan, np.sqrt(2.0), 2.0, np.nan, np.nan]
    )
    np.testing.assert_array_equal(rolled["rolling_min_3"], [np.nan, 4, 2, 2, np.nan, 5])


@settings(max_examples=60, deadline=None)
@given(
    a=st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=25),
    b=st.lists(st.floats(-1e3, 1e3), min_size=2, max_size=25),
    data=st.data(),
)
def test_no_look_ahead_across_shuffled_multi_series_frames(
    a: list[float], b: list[float], data: st.DataObject
) -> None:
    """Changing y at time t in one series moves no feature at times <= t, in any series."""
    frame = pd.concat([series(a, "a"), series(b, "b")], ignore_index=True)
    row = data.draw(st.integers(0, len(frame) - 1), label="row")
    change = data.draw(st.floats(1.0, 1e3), label="change")
    altered = frame.copy()
    altered.loc[row, "y"] += change
    shuffle = data.draw(st.permutations(list(range(len(frame)))), label="shuffle")

    def features(df: pd.DataFrame) -> pd.DataFrame:
        return add_rolling(add_lags(df.iloc[shuffle], [1, 2]), [1, 3, 30])

    before, after = features(frame), features(altered)
    at_or_before = before["ds"] <= frame.loc[row, "ds"]
    columns = [c for c in before.columns if c.startswith(("lag", "rolling_"))]
    pd.testing.assert_frame_equal(
        before.loc[at_or_before, columns], after.loc[at_or_before, columns]
    )
    later_in_series = (before["unique_id"] == frame.loc[row, "unique_id"]) & ~at_or_before
    if later_in_series.any():
        assert not before.loc[later_in_series, columns].equals(
            after.loc[later_in_series, columns]
        ), "the next row's lag1 must see the change"
