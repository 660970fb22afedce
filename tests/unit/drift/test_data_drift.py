"""Column-wise drift: default test selection, overrides, dataset verdict, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.drift import ColumnOverride, DriftInputError, default_test, detect_data_drift


def frames(rows: int, shift: float = 0.0, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)

    def one(offset: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "latency": rng.normal(100 + offset, 10, rows),
                "errors": rng.normal(5, 1, rows),
                "region": rng.choice(["eu", "us", "ap"], rows, p=[0.5, 0.3, 0.2]),
                "tier": rng.integers(0, 3, rows),
            }
        )

    return one(0.0), one(shift)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (1_000, {"latency": "ks", "errors": "ks", "region": "chi_square", "tier": "chi_square"}),
        (
            1_001,
            {
                "latency": "wasserstein",
                "errors": "wasserstein",
                "region": "jensen_shannon",
                "tier": "jensen_shannon",
            },
        ),
    ],
)
def test_default_test_follows_type_and_reference_size(rows: int, expected: dict[str, str]) -> None:
    reference, current = frames(rows)
    result = detect_data_drift(reference, current)
    assert {column.column: column.test for column in result.columns} == expected
    thresholds = {column.test: column.threshold for column in result.columns}
    assert all(
        thresholds[test] == (0.05 if test in {"ks", "chi_square"} else 0.1) for test in thresholds
    )


def test_summary_has_the_documented_shape_and_is_json() -> None:
    reference, current = frames(500, shift=30)
    summary = detect_data_drift(reference, current).summary()
    assert set(summary) == {"dataset_drift", "share_drifted", "columns"}
    for column in summary["columns"].values():
        assert set(column) == {"test", "statistic", "p_value", "threshold", "drifted"}
    assert summary["columns"]["latency"]["drifted"] is True
    assert summary["columns"]["errors"]["drifted"] is False
    json.dumps(summary, allow_nan=False)


def test_dataset_drift_at_the_share_of_drifted_columns() -> None:
    reference, current = frames(2_000, shift=30)
    result = detect_data_drift(reference, current)
    assert result.drifted_columns == ["latency"]
    assert result.share_drifted == 0.25
    assert not result.dataset_drift
    assert detect_data_drift(reference, current, drift_share=0.25).dataset_drift


def test_overrides_change_test_and_threshold() -> None:
    reference, current = frames(2_000, shift=3)
    result = detect_data_drift(
        reference,
        current,
        overrides={
            "latency": ColumnOverride(test="ks"),
            "errors": ColumnOverride(test="psi", threshold=0.5),
            "region": ColumnOverride(threshold=0.9),
        },
    )
    by_name = {column.column: column for column in result.columns}
    assert by_name["latency"].test == "ks"
    assert by_name["latency"].p_value is not None
    assert (by_name["errors"].test, by_name["errors"].threshold) == ("psi", 0.5)
    assert (by_name["region"].test, by_name["region"].threshold) == ("jensen_shannon", 0.9)


@pytest.mark.parametrize(
    ("values", "test"),
    [
        ([1.0, 2.0, 3.0, 4.0, 5.0], "chi_square"),  # five distinct numbers: compared per value
        ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "ks"),
    ],
)
def test_few_distinct_numbers_are_compared_per_value(values: list[float], test: str) -> None:
    reference = pd.DataFrame({"x": values[:3] * 20})
    current = pd.DataFrame({"x": values[3:] * 20})
    assert detect_data_drift(reference, current).columns[0].test == test


@settings(max_examples=25, deadline=None)
@given(rows=st.integers(1, 3_000), per_value=st.booleans())
def test_default_test_is_always_applicable(rows: int, per_value: bool) -> None:
    assert default_test("categorical", rows, per_value) in {"chi_square", "jensen_shannon"}
    assert default_test("numeric", rows, per_value) in (
        {"chi_square", "jensen_shannon"} if per_value else {"ks", "wasserstein"}
    )


def test_missing_values_are_ignored() -> None:
    reference, current = frames(300)
    reference.loc[::3, "latency"] = np.nan
    column = detect_data_drift(reference, current, columns=["latency"]).columns[0]
    assert column.reference_rows == 200


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"columns": ["nope"]}, "reference.nope"),
        ({"overrides": {"region": ColumnOverride(test="ks")}}, "test"),
        ({"overrides": {"latency": ColumnOverride(test="t-test")}}, "test"),  # type: ignore[arg-type]
        ({"overrides": {"latency": ColumnOverride(threshold=-1)}}, "threshold"),
        ({"overrides": {"latency": ColumnOverride(test="ks", threshold=5)}}, "threshold"),
        ({"overrides": {"ghost": ColumnOverride(test="ks")}}, "overrides"),
        ({"drift_share": 0}, "drift_share"),
        ({"columns": []}, "columns"),
    ],
)
def test_bad_requests_name_the_field(kwargs: dict[str, object], field: str) -> None:
    reference, current = frames(100)
    with pytest.raises(DriftInputError) as caught:
        detect_data_drift(reference, current, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_empty_or_infinite_columns_are_refused() -> None:
    reference, current = frames(100)
    current["latency"] = np.nan
    with pytest.raises(DriftInputError, match="no values"):
        detect_data_drift(reference, current)
    reference, current = frames(100)
    reference.loc[0, "errors"] = np.inf
    with pytest.raises(DriftInputError, match="infinite"):
        detect_data_drift(reference, current)
