from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.timeseries import (
    FrameValidationError,
    infer_freq,
    long_to_wide,
    to_long,
    validate_long_frame,
    wide_to_long,
)


def frame(n: int = 6, ids: tuple[str, ...] = ("a", "b")) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": np.repeat(ids, n),
            "ds": np.tile(pd.date_range("2024-01-01", periods=n, freq="h"), len(ids)),
            "y": np.arange(n * len(ids), dtype=float),
        }
    )


def test_normalises_types_and_order() -> None:
    raw = pd.DataFrame(
        {
            "unique_id": [2, 1, 1],
            "ds": ["2024-01-02", "2024-01-02T00:00:00+01:00", "2024-01-01"],
            "y": ["3", 1, 2.5],
        }
    )
    clean = validate_long_frame(raw)
    assert clean["unique_id"].tolist() == ["1", "1", "2"]
    assert clean["ds"].dtype == "datetime64[ns]"
    assert clean["ds"].tolist() == [
        pd.Timestamp("2024-01-01"),
        pd.Timestamp("2024-01-01T23:00:00"),
        pd.Timestamp("2024-01-02"),
    ]
    assert clean["y"].tolist() == [2.5, 1.0, 3.0]
    assert raw["unique_id"].tolist() == [2, 1, 1], "the input is not modified"


def test_integer_steps_are_kept() -> None:
    clean = validate_long_frame(pd.DataFrame({"unique_id": "s", "ds": [3, 1, 2], "y": [1, 2, 3]}))
    assert clean["ds"].dtype == "int64"
    assert clean["ds"].tolist() == [1, 2, 3]


def test_missing_columns_are_listed() -> None:
    with pytest.raises(
        FrameValidationError, match=r"missing column.*y; found unique_id, ds"
    ) as caught:
        validate_long_frame(pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-01"]}))
    assert caught.value.column == "y"


@settings(max_examples=40, deadline=None)
@given(position=st.integers(0, 11), bad=st.sampled_from(["abc", "", "1,5"]))
def test_non_numbers_name_their_row(position: int, bad: str) -> None:
    data = frame().astype({"y": object})
    data.loc[position, "y"] = bad
    with pytest.raises(FrameValidationError) as caught:
        validate_long_frame(data)
    assert (caught.value.column, caught.value.row) == ("y", position)


@settings(max_examples=40, deadline=None)
@given(position=st.integers(1, 11))
def test_duplicates_name_the_second_row(position: int) -> None:
    data = frame()
    original = int(np.flatnonzero(data["unique_id"] == data.loc[position, "unique_id"])[0])
    if original == position:
        original = position - 1
        data.loc[position, "unique_id"] = data.loc[original, "unique_id"]
    data.loc[position, "ds"] = data.loc[original, "ds"]
    with pytest.raises(FrameValidationError, match="second value") as caught:
        validate_long_frame(data)
    assert caught.value.row == max(position, original)


@settings(max_examples=40, deadline=None)
@given(position=st.integers(0, 11))
def test_unparsable_times_name_their_row(position: int) -> None:
    data = frame().astype({"ds": object})
    data.loc[position, "ds"] = "next tuesday"
    with pytest.raises(FrameValidationError, match="not a timestamp") as caught:
        validate_long_frame(data)
    assert (caught.value.column, caught.value.row) == ("ds", position)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_missing_and_infinite_values_are_rejected_unless_allowed(value: float) -> None:
    data = frame()
    data.loc[4, "y"] = value
    with pytest.raises(FrameValidationError) as caught:
        validate_long_frame(data)
    assert caught.value.row == 4
    if np.isnan(value):
        assert validate_long_frame(data, allow_missing_y=True)["y"].isna().sum() == 1


def test_empty_ids_are_rejected() -> None:
    data = frame()
    data.loc[3, "unique_id"] = " "
    with pytest.raises(FrameValidationError) as caught:
        validate_long_frame(data)
    assert (caught.value.column, caught.value.row) == ("unique_id", 3)


def test_sort_order_is_checked_when_required() -> None:
    data = frame()
    swapped = data.iloc[[0, 2, 1, *range(3, 12)]].reset_index(drop=True)
    with pytest.raises(FrameValidationError, match="not sorted") as caught:
        validate_long_frame(swapped, require_sorted=True)
    assert caught.value.row == 2
    interleaved = data.iloc[[0, 6, 1, *range(7, 12), *range(2, 6)]].reset_index(drop=True)
    with pytest.raises(FrameValidationError, match="not sorted"):
        validate_long_frame(interleaved, require_sorted=True)
    assert validate_long_frame(swapped)["y"].is_monotonic_increasing


def test_gaps_are_reported_when_not_allowed() -> None:
    data = frame().drop(index=3).reset_index(drop=True)
    with pytest.raises(
        FrameValidationError, match="misses the point after 2024-01-01 02:00"
    ) as caught:
        validate_long_frame(data, allow_gaps=False, freq="h")
    assert caught.value.row == 3
    validate_long_frame(frame(), allow_gaps=False)
    steps = pd.DataFrame({"unique_id": "s", "ds": [1, 2, 4], "y": [1.0, 2.0, 3.0]})
    with pytest.raises(FrameValidationError, match="misses"):
        validate_long_frame(steps, allow_gaps=False)


@pytest.mark.parametrize(
    ("freq", "expected"),
    [
        ("min", "min"),
        ("5min", "5min"),
        ("h", "h"),
        ("D", "D"),
        ("W-MON", "W"),
        ("MS", "MS"),
        ("QS", "QS"),
    ],
)
def test_frequency_is_inferred(freq: str, expected: str) -> None:
    data = pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("2023-01-02", periods=9, freq=freq), "y": 1.0}
    )
    assert infer_freq(data) == expected


def test_named_columns_become_long_format() -> None:
    raw = pd.DataFrame(
        {
            "timestamp": ["2024-01-01 00:00", "2024-01-01 00:01"],
            "requests_count": [5, 7],
            "is_burst": [0, 1],
        }
    )
    long = to_long(raw, time_col="timestamp", value_col="requests_count", unique_id="web")
    assert long.columns.tolist() == ["unique_id", "ds", "y", "is_burst"]
    assert validate_long_frame(long)["y"].tolist() == [5.0, 7.0]
    with pytest.raises(FrameValidationError, match="missing column"):
        to_long(raw, time_col="time", value_col="requests_count", unique_id="web")
    with pytest.raises(FrameValidationError, match="name the series"):
        to_long(raw, time_col="timestamp", value_col="requests_count")


@settings(max_examples=30, deadline=None)
@given(
    values=st.lists(
        st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=5, max_size=5),
        min_size=1,
        max_size=4,
    )
)
def test_wide_long_round_trip(values: list[list[float]]) -> None:
    wide = pd.DataFrame(np.array(values).T, columns=[f"s{i}" for i in range(len(values))])
    wide.insert(0, "time", pd.date_range("2024-01-01", periods=5, freq="D"))
    long = wide_to_long(wide, time_col="time")
    assert len(long) == 5 * len(values)
    back = long_to_wide(validate_long_frame(long))
    pd.testing.assert_frame_equal(
        back.reset_index(drop=True), wide.drop(columns="time"), check_dtype=False
    )
