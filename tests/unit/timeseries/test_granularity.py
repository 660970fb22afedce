from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.timeseries import FrameValidationError, Granularity, resample, validate_long_frame


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
        ("weekly", Granularity.weekly),
    ],
)
def test_granularity_aliases(text: str, expected: Granularity) -> None:
    assert Granularity.parse(text) is expected


def test_unknown_granularity_lists_the_valid_ones() -> None:
    with pytest.raises(
        FrameValidationError, match="1m, 5m, 15m, hourly, daily, weekly, monthly, quarterly"
    ):
        Granularity.parse("fortnightly")


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
