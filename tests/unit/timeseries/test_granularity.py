from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from opscast.timeseries import (
    FrameValidationError,
    Granularity,
    fill_gaps,
    period_start,
    resample,
    validate_long_frame,
)


def points(times: list[str], values: list[float], uid: str = "s") -> pd.DataFrame:
    return pd.DataFrame({"unique_id": uid, "ds": pd.to_datetime(times), "y": values})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daily", Granularity.daily),
        ("D", Granularity.daily),
        ("5min", Granularity.five_minutes),
        ("H", Granularity.hourly),
        ("quarterly", Granularity.quarterly),
        ("Q", Granularity.quarterly),
        ("monthly", Granularity.monthly),
        ("1m", Granularity.minute),
        ("1min", Granularity.minute),
        ("15m", Granularity.fifteen_minutes),
        ("weekly", Granularity.weekly),
        ("W", Granularity.weekly),
        ("M", Granularity.monthly),
        ("MS", Granularity.monthly),
        (" Hourly ", Granularity.hourly),
        ("QUARTERLY", Granularity.quarterly),
    ],
)
def test_granularity_aliases(text: str, expected: Granularity) -> None:
    assert Granularity.parse(text) is expected


@pytest.mark.parametrize("text", ["fortnightly", "1M", "m", "5M", ""])
def test_unknown_or_ambiguous_granularity_lists_the_valid_ones(text: str) -> None:
    """ "1M" is a month to pandas and a minute to us: refusing it beats guessing."""
    with pytest.raises(
        FrameValidationError, match="1m, 5m, 15m, hourly, daily, weekly, monthly, quarterly"
    ) as caught:
        Granularity.parse(text)
    assert caught.value.column == "granularity"


def test_offsets_step_from_one_period_start_to_the_next() -> None:
    starts = {g: pd.date_range("2024-01-01", periods=3, freq=g.offset) for g in Granularity}
    assert starts[Granularity.weekly].dayofweek.tolist() == [0, 0, 0]
    assert starts[Granularity.monthly].strftime("%m-%d").tolist() == ["01-01", "02-01", "03-01"]
    assert starts[Granularity.quarterly].strftime("%m-%d").tolist() == ["01-01", "04-01", "07-01"]
    assert starts[Granularity.fifteen_minutes][1] == pd.Timestamp("2024-01-01 00:15")
    for granularity, stamps in starts.items():
        assert (period_start(pd.Series(stamps), granularity) == stamps).all()


def test_periods_are_labelled_by_their_start() -> None:
    data = points(["2024-02-14 10:00", "2024-03-31 23:59", "2024-05-01 00:00"], [1, 2, 4])
    quarterly = resample(data, "quarterly")
    assert quarterly["ds"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-04-01"]
    assert quarterly["y"].tolist() == [3.0, 4.0]
    monthly = resample(data, "monthly")
    assert monthly["ds"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-02-01",
        "2024-03-01",
        "2024-04-01",
        "2024-05-01",
    ]
    assert monthly["y"].tolist() == [1.0, 2.0, 0.0, 4.0]
    weekly = resample(points(["2024-01-07 12:00", "2024-01-08 00:00"], [1, 1]), "weekly")
    assert weekly["ds"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-01-08"]
    assert set(weekly["ds"].dt.dayofweek) == {0}


@pytest.mark.parametrize(
    ("agg", "fill", "expected"),
    [
        ("sum", "zero", [3.0, 0.0, 10.0]),
        ("mean", "nan", [1.5, np.nan, 5.0]),
        ("max", "ffill", [2.0, 2.0, 6.0]),
        ("min", "interpolate", [1.0, 2.5, 4.0]),
        ("last", "drop", [2.0, 6.0]),
        ("count", "zero", [2.0, 0.0, 2.0]),
    ],
)
def test_aggregation_and_fill_policies(agg: str, fill: str, expected: list[float]) -> None:
    data = points(
        ["2024-01-01 00:10", "2024-01-01 00:50", "2024-01-01 02:05", "2024-01-01 02:55"],
        [1, 2, 4, 6],
    )
    result = resample(data, "hourly", agg=agg, fill=fill)  # type: ignore[arg-type]
    np.testing.assert_array_equal(result["y"].to_numpy(), np.array(expected))


def test_series_are_filled_only_within_their_own_span() -> None:
    data = pd.concat(
        [
            points(["2024-01-01", "2024-01-03"], [1, 1], "early"),
            points(["2024-01-05", "2024-01-06"], [2, 2], "late"),
        ]
    )
    result = resample(data, "daily")
    spans = result.groupby("unique_id")["ds"].agg(["min", "max", "count"])
    assert spans.loc["early", "count"] == 3
    assert spans.loc["late", "min"] == pd.Timestamp("2024-01-05")


def test_raw_events_with_shared_timestamps_and_time_zones_are_aggregated() -> None:
    events = pd.DataFrame(
        {
            "unique_id": [7, 7, 7, 7],
            "ds": pd.to_datetime(
                [
                    "2024-01-01T00:30:00+01:00",
                    "2024-01-01T00:30:00+01:00",
                    "2024-01-01T01:10:00+01:00",
                    "2024-01-01T03:59:00+01:00",
                ]
            ),
            "y": [1.0, 1.0, np.nan, 1.0],
        }
    )
    counts = resample(events, "hourly", agg="count")
    # in UTC the events fall at 23:30, 23:30, 00:10 and 02:59
    assert counts["unique_id"].tolist() == ["7"] * 4
    assert counts["ds"].dt.strftime("%H:%M").tolist() == ["23:00", "00:00", "01:00", "02:00"]
    assert counts["y"].tolist() == [2.0, 1.0, 0.0, 1.0]
    means = resample(events, "hourly", agg="mean", fill="nan")
    np.testing.assert_array_equal(means["y"], [1.0, np.nan, np.nan, 1.0])


def test_bad_choices_and_steps_are_refused() -> None:
    data = points(["2024-01-01"], [1])
    with pytest.raises(FrameValidationError, match="unknown agg"):
        resample(data, "daily", agg="median")  # type: ignore[arg-type]
    with pytest.raises(FrameValidationError, match="unknown fill"):
        resample(data, "daily", fill="guess")  # type: ignore[arg-type]
    with pytest.raises(FrameValidationError, match="timestamps"):
        resample(pd.DataFrame({"unique_id": "s", "ds": [1, 2], "y": [1.0, 2.0]}), "daily")


timestamps = st.lists(
    st.datetimes(
        min_value=pd.Timestamp("2023-01-01").to_pydatetime(),
        max_value=pd.Timestamp("2024-12-31").to_pydatetime(),
    ),
    min_size=1,
    max_size=60,
    unique=True,
)


@settings(max_examples=60, deadline=None)
@given(
    times=timestamps,
    granularity=st.sampled_from(list(Granularity)),
    seed=st.integers(0, 1000),
)
def test_sum_preserves_totals_and_result_is_valid(
    times: list, granularity: Granularity, seed: int
) -> None:  # type: ignore[type-arg]
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "unique_id": rng.choice(["a", "b"], len(times)),
            "ds": pd.to_datetime(times),
            "y": rng.integers(0, 100, len(times)).astype(float),
        }
    )
    if granularity in {
        Granularity.minute,
        Granularity.five_minutes,
        Granularity.fifteen_minutes,
        Granularity.hourly,
    }:
        # keep sub-daily cases within six hours so the filled grid stays small
        data["ds"] = pd.Timestamp("2024-01-01") + (
            data["ds"] - data["ds"].dt.floor("D")
        ) % pd.Timedelta(hours=6)
        data = data.drop_duplicates(["unique_id", "ds"])
    result = resample(data, granularity, agg="sum", fill="zero")
    validate_long_frame(result, require_sorted=True, allow_gaps=False, freq=granularity.offset)
    totals = data.groupby("unique_id")["y"].sum()
    assert result.groupby("unique_id")["y"].sum().to_dict() == pytest.approx(totals.to_dict())


@settings(max_examples=60, deadline=None)
@given(
    times=timestamps,
    granularity=st.sampled_from(
        [Granularity.daily, Granularity.weekly, Granularity.monthly, Granularity.quarterly]
    ),
)
def test_every_point_lands_in_the_period_labelled_by_its_start(
    times: list, granularity: Granularity
) -> None:  # type: ignore[type-arg]
    ds = pd.Series(pd.to_datetime(times))
    starts = period_start(ds, granularity)
    following = starts + pd.tseries.frequencies.to_offset(granularity.offset)
    assert ((starts <= ds) & (ds < following)).all()
    assert (period_start(starts, granularity) == starts).all(), "a start is its own period"


def test_fill_gaps_policies_on_integer_steps() -> None:
    steps = pd.DataFrame({"unique_id": "s", "ds": [0, 2, 6], "y": [1.0, 3.0, 7.0]})
    nan = fill_gaps(steps, 2, "nan")
    assert nan["ds"].tolist() == [0, 2, 4, 6]
    np.testing.assert_array_equal(nan["y"], [1.0, 3.0, np.nan, 7.0])
    assert fill_gaps(steps, 2, "interpolate")["y"].tolist() == [1.0, 3.0, 5.0, 7.0]
    assert fill_gaps(steps, 2, "ffill")["y"].tolist() == [1.0, 3.0, 3.0, 7.0]
    assert fill_gaps(steps, 1, "zero")["y"].tolist() == [1, 0, 3, 0, 0, 0, 7]
    with pytest.raises(FrameValidationError, match="not on the 4 grid") as caught:
        fill_gaps(steps, 4, "zero")
    assert caught.value.row == 1


def test_interpolation_never_crosses_from_one_series_into_the_next() -> None:
    data = pd.DataFrame(
        {
            "unique_id": ["a", "a", "a", "b", "b", "b"],
            "ds": [1, 2, 4, 1, 3, 4],
            "y": [1.0, np.nan, 4.0, np.nan, 10.0, 20.0],
            "promo": [1, 0, 0, 1, 1, 0],
        }
    )
    filled = fill_gaps(data, 1, "interpolate")
    assert filled["unique_id"].tolist() == ["a"] * 4 + ["b"] * 4
    np.testing.assert_array_equal(filled["y"], [1.0, 2.0, 3.0, 4.0, np.nan, np.nan, 10.0, 20.0])
    np.testing.assert_array_equal(filled["promo"], [1, 0, np.nan, 0, 1, np.nan, 1, 0])
    assert fill_gaps(data, 1, "drop")["y"].notna().all()
    assert len(fill_gaps(data, 1, "drop")) == 4


@settings(max_examples=40, deadline=None)
@given(
    keep=st.lists(st.booleans(), min_size=30, max_size=30),
    granularity=st.sampled_from([Granularity.hourly, Granularity.weekly, Granularity.monthly]),
)
def test_filling_holes_restores_the_grid_and_keeps_observed_points(
    keep: list[bool], granularity: Granularity
) -> None:
    grid = pd.date_range("2024-01-01", periods=15, freq=granularity.offset)
    complete = pd.DataFrame(
        {
            "unique_id": np.repeat(["a", "b"], 15),
            "ds": np.tile(grid, 2),
            "y": np.arange(30, dtype=float),
        }
    )
    assume(any(keep))
    observed = complete[keep]
    filled = fill_gaps(observed, granularity, "nan")
    validate_long_frame(filled, allow_gaps=False, freq=granularity.offset, allow_missing_y=True)
    pd.testing.assert_frame_equal(
        filled.dropna().reset_index(drop=True),
        validate_long_frame(observed),
    )
    spans = observed.groupby("unique_id")["ds"].agg(["min", "max"])
    assert filled.groupby("unique_id")["ds"].agg(["min", "max"]).equals(spans)
    interpolated = fill_gaps(observed, granularity.offset, "interpolate")
    # y rises by one per step, so linear interpolation must restore it exactly
    within = complete.merge(interpolated[["unique_id", "ds"]], on=["unique_id", "ds"])
    np.testing.assert_allclose(interpolated["y"], within["y"])
