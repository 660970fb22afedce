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


def frame(n: int = 6, ids: tuple[str, ...] = ("a", "b"), freq: str = "h") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": np.repeat(ids, n),
            "ds": np.tile(pd.date_range("2024-01-01", periods=n, freq=freq), len(ids)),
            "y": np.arange(n * len(ids), dtype=float),
        }
    )


def test_normalises_types_and_order() -> None:
    raw = pd.DataFrame(
        {
            "unique_id": [2, 1, 1],
            "ds": ["2024-01-02", "2024-01-02T00:00:00+01:00", "2024-01-01"],
            "y": ["3", 1, 2.5],
            "promo": [True, False, True],
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
    assert clean["promo"].tolist() == [True, False, True], "exogenous columns travel along"
    assert clean.index.tolist() == [0, 1, 2]
    assert raw["unique_id"].tolist() == [2, 1, 1], "the input is not modified"


def test_timezone_aware_times_become_naive_utc() -> None:
    ds = pd.date_range("2024-03-31 00:00", periods=4, freq="h", tz="Europe/Berlin")
    clean = validate_long_frame(pd.DataFrame({"unique_id": "s", "ds": ds, "y": 1.0}))
    assert clean["ds"].dt.tz is None
    # Berlin is UTC+1 before 02:00 on 2024-03-31 and UTC+2 after
    assert clean["ds"].dt.strftime("%d %H:%M").tolist() == [
        "30 23:00",
        "31 00:00",
        "31 01:00",
        "31 02:00",
    ]


@pytest.mark.parametrize(
    "ds",
    [[3, 1, 2], [3.0, 1.0, 2.0], pd.Series([3, 1, 2], dtype=object)],
    ids=["int", "whole-float", "object-int"],
)
def test_integer_steps_are_kept(ds: object) -> None:
    clean = validate_long_frame(pd.DataFrame({"unique_id": "s", "ds": ds, "y": [1, 2, 3]}))
    assert clean["ds"].dtype == "int64"
    assert clean["ds"].tolist() == [1, 2, 3]
    assert clean["y"].tolist() == [2.0, 3.0, 1.0]


def test_missing_columns_are_listed() -> None:
    with pytest.raises(
        FrameValidationError, match=r"missing column.*y; found unique_id, ds"
    ) as caught:
        validate_long_frame(pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-01"]}))
    assert caught.value.column == "y"
    assert caught.value.message == str(caught.value)
    assert caught.value.message.startswith("column 'y': missing column(s) y")


def test_empty_frame_is_refused() -> None:
    with pytest.raises(FrameValidationError, match="no rows"):
        validate_long_frame(pd.DataFrame({"unique_id": [], "ds": [], "y": []}))


@settings(max_examples=40, deadline=None)
@given(position=st.integers(0, 11), bad=st.sampled_from(["abc", "", "1,5", "ten"]))
def test_non_numbers_name_their_row(position: int, bad: str) -> None:
    data = frame().astype({"y": object})
    data.loc[position, "y"] = bad
    with pytest.raises(FrameValidationError, match="not a number; send numbers only") as caught:
        validate_long_frame(data)
    assert (caught.value.column, caught.value.row) == ("y", position)
    assert caught.value.message.startswith(f"column 'y' row {position}: value {bad!r}")


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_duplicates_name_the_later_row(data: st.DataObject) -> None:
    rows = frame(n=8, ids=("a", "b", "c"))
    later = data.draw(st.integers(1, len(rows) - 1), label="later")
    earlier = data.draw(st.integers(0, later - 1), label="earlier")
    rows.loc[later, ["unique_id", "ds"]] = rows.loc[earlier, ["unique_id", "ds"]].to_numpy()
    with pytest.raises(FrameValidationError, match="second value") as caught:
        validate_long_frame(rows)
    assert (caught.value.column, caught.value.row) == ("ds", later)


@settings(max_examples=40, deadline=None)
@given(position=st.integers(0, 10))
def test_unsorted_rows_name_the_first_out_of_order_row(position: int) -> None:
    rows = frame()
    order = list(range(len(rows)))
    order[position], order[position + 1] = order[position + 1], order[position]
    swapped = rows.iloc[order].reset_index(drop=True)
    with pytest.raises(FrameValidationError, match="not sorted") as caught:
        validate_long_frame(swapped, require_sorted=True)
    assert caught.value.row == position + 1
    pd.testing.assert_frame_equal(validate_long_frame(swapped), validate_long_frame(rows))


def test_series_that_resume_later_are_unsorted() -> None:
    rows = frame(n=3)
    interleaved = rows.iloc[[0, 1, 3, 2, 4, 5]].reset_index(drop=True)
    with pytest.raises(FrameValidationError, match="not sorted") as caught:
        validate_long_frame(interleaved, require_sorted=True)
    assert caught.value.row == 3


@settings(max_examples=40, deadline=None)
@given(position=st.integers(0, 11), bad=st.sampled_from(["next tuesday", "2024-13-45", "x"]))
def test_unparsable_times_name_their_row(position: int, bad: str) -> None:
    data = frame().astype({"ds": object})
    data.loc[position, "ds"] = bad
    with pytest.raises(FrameValidationError, match="not a timestamp; use ISO 8601") as caught:
        validate_long_frame(data)
    assert (caught.value.column, caught.value.row) == ("ds", position)


def test_missing_times_and_mixed_kinds_are_refused() -> None:
    data = frame()
    data.loc[5, "ds"] = pd.NaT
    with pytest.raises(FrameValidationError, match="time is missing") as caught:
        validate_long_frame(data)
    assert (caught.value.column, caught.value.row) == ("ds", 5)
    mixed = pd.DataFrame({"unique_id": "s", "ds": ["2024-01-01", 7, "2024-01-03"], "y": 1.0})
    with pytest.raises(FrameValidationError, match="one kind") as caught:
        validate_long_frame(mixed)
    assert caught.value.row == 1
    with pytest.raises(FrameValidationError, match="whole step") as caught:
        validate_long_frame(pd.DataFrame({"unique_id": "s", "ds": [1.0, 2.5], "y": 1.0}))
    assert caught.value.row == 1


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, None])
def test_missing_and_infinite_values_are_rejected_unless_allowed(value: float | None) -> None:
    data = frame().astype({"y": object})
    data.loc[4, "y"] = value
    with pytest.raises(FrameValidationError, match="missing or infinite") as caught:
        validate_long_frame(data)
    assert (caught.value.column, caught.value.row) == ("y", 4)
    if value is None or np.isnan(value):
        assert validate_long_frame(data, allow_missing_y=True)["y"].isna().sum() == 1
    else:
        with pytest.raises(FrameValidationError):
            validate_long_frame(data, allow_missing_y=True)


@pytest.mark.parametrize("blank", [" ", "", None])
def test_empty_ids_are_rejected(blank: str | None) -> None:
    data = frame().astype({"unique_id": object})
    data.loc[3, "unique_id"] = blank
    with pytest.raises(FrameValidationError, match="name the series") as caught:
        validate_long_frame(data)
    assert (caught.value.column, caught.value.row) == ("unique_id", 3)


@settings(max_examples=40, deadline=None)
@given(
    dropped=st.integers(1, 6),
    series=st.sampled_from(["a", "b"]),
    permutation=st.permutations(list(range(15))),
)
def test_gaps_name_the_series_and_the_first_missing_time(
    dropped: int, series: str, permutation: list[int]
) -> None:
    complete = frame(n=8)
    start = 0 if series == "a" else 8
    holey = complete.drop(index=start + dropped).reset_index(drop=True)
    shuffled = holey.iloc[permutation].reset_index(drop=True)
    validate_long_frame(shuffled)  # gaps are fine unless refused
    with pytest.raises(FrameValidationError, match="fill the gaps") as caught:
        validate_long_frame(shuffled, allow_gaps=False, freq="h")
    missing = pd.Timestamp("2024-01-01") + pd.Timedelta(hours=dropped)
    assert f"series {series!r} has no point at {missing}" in caught.value.message
    after = (shuffled["unique_id"] == series) & (shuffled["ds"] == missing + pd.Timedelta("1h"))
    assert caught.value.row == int(np.flatnonzero(after)[0])
    with pytest.raises(FrameValidationError, match="fill the gaps"):
        validate_long_frame(shuffled, allow_gaps=False)  # frequency inferred


@pytest.mark.parametrize("freq", ["h", "D", "W-MON", "W-SUN", "MS", "ME", "QS", "QE"])
def test_complete_series_pass_the_gap_check_with_an_inferred_frequency(freq: str) -> None:
    validate_long_frame(frame(n=9, freq=freq), allow_gaps=False)


def test_integer_steps_gap_check() -> None:
    steps = pd.DataFrame({"unique_id": "s", "ds": [1, 2, 4], "y": [1.0, 2.0, 3.0]})
    with pytest.raises(FrameValidationError, match="no point at 3") as caught:
        validate_long_frame(steps, allow_gaps=False)
    assert caught.value.row == 2
    validate_long_frame(steps.assign(ds=[2, 4, 6]), allow_gaps=False, freq=2)


def test_points_off_the_frequency_grid_are_refused() -> None:
    data = frame(n=4)
    data.loc[2, "ds"] = pd.Timestamp("2024-01-01 02:30")
    with pytest.raises(FrameValidationError, match="not on the 'h' grid") as caught:
        validate_long_frame(data, allow_gaps=False, freq="h")
    assert caught.value.row == 2
    with pytest.raises(FrameValidationError, match="unknown frequency"):
        validate_long_frame(frame(), allow_gaps=False, freq="fortnightly")


@pytest.mark.parametrize(
    ("freq", "expected"),
    [
        ("min", "min"),
        ("5min", "5min"),
        ("h", "h"),
        ("D", "D"),
        ("W-MON", "W-MON"),
        ("MS", "MS"),
        ("QS", "QS"),
    ],
)
def test_frequency_is_inferred(freq: str, expected: str) -> None:
    data = pd.DataFrame(
        {"unique_id": "s", "ds": pd.date_range("2023-01-02", periods=9, freq=freq), "y": 1.0}
    )
    assert infer_freq(data) == expected


@pytest.mark.parametrize(
    "freq",
    ["15min", "6h", "2D", "W-WED", "2W-SUN", "MS", "ME", "QS-FEB", "QE", "QE-NOV", "YS", "YE"],
)
@pytest.mark.parametrize("start", ["2021-11-30", "2023-02-15 00:00"])
def test_inferred_frequency_reproduces_the_grid(freq: str, start: str) -> None:
    ds = pd.date_range(start, periods=12, freq=freq)
    data = pd.DataFrame({"unique_id": "s", "ds": ds, "y": 1.0}).iloc[::-1]
    inferred = infer_freq(data)
    assert inferred is not None
    assert pd.date_range(ds[0], periods=12, freq=inferred).equals(ds)


def test_frequency_is_the_most_common_step_across_series() -> None:
    hourly = frame(n=10, ids=("busy",))
    daily = frame(n=4, ids=("quiet",), freq="D")
    assert infer_freq(pd.concat([daily, hourly])) == "h"
    assert infer_freq(frame(n=1)) is None
    assert infer_freq(pd.DataFrame({"unique_id": "s", "ds": [1, 2], "y": 1.0})) is None
    mid_month = pd.date_range("2024-01-01", periods=5, freq="MS") + pd.Timedelta(days=14)
    assert infer_freq(pd.DataFrame({"unique_id": "s", "ds": mid_month, "y": 1.0})) is None


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
    assert long["unique_id"].tolist() == ["web", "web"]
    assert validate_long_frame(long)["y"].tolist() == [5.0, 7.0]
    by_host = to_long(
        raw.assign(host=["a", "b"]), id_col="host", time_col="timestamp", value_col="is_burst"
    )
    assert by_host[["unique_id", "y"]].to_numpy().tolist() == [["a", 0], ["b", 1]]
    with pytest.raises(FrameValidationError, match="missing column"):
        to_long(raw, time_col="time", value_col="requests_count", unique_id="web")
    with pytest.raises(FrameValidationError, match="name the series"):
        to_long(raw, time_col="timestamp", value_col="requests_count")
    with pytest.raises(FrameValidationError, match="overwritten") as caught:
        to_long(raw.assign(y=1), time_col="timestamp", value_col="requests_count", unique_id="w")
    assert caught.value.column == "y"


@settings(max_examples=30, deadline=None)
@given(
    values=st.lists(
        st.lists(st.floats(-1e6, 1e6) | st.none(), min_size=5, max_size=5),
        min_size=1,
        max_size=4,
    )
)
def test_wide_long_round_trip(values: list[list[float | None]]) -> None:
    wide = pd.DataFrame(
        np.array(values, dtype=float).T, columns=[f"s{i}" for i in range(len(values))]
    )
    wide.insert(0, "time", pd.date_range("2024-01-01", periods=5, freq="D"))
    long = wide_to_long(wide, time_col="time")
    assert len(long) == int(wide.drop(columns="time").notna().sum().sum())
    assert long["y"].notna().all()
    if long.empty:
        return
    back = long_to_wide(validate_long_frame(long), time_col="time")
    # series or times with no value at all cannot come back
    expected = wide.set_index("time").dropna(how="all").dropna(axis=1, how="all").reset_index()
    pd.testing.assert_frame_equal(back, expected, check_dtype=False, check_freq=False)
