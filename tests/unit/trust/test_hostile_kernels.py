"""Kernels fed what a hostile or careless client sends: NaN, inf, empty, constant, huge, unsorted.

Each either returns a well-formed answer or raises its own documented error; never a
stray exception from pandas or numpy, which the API would turn into a 500.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.drift.two_sample import jensen_shannon, ks, psi, wasserstein
from opscast.timeseries import FrameValidationError, validate_long_frame
from opscast.timeseries.metrics import mae, rmse, smape

HOSTILE_FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 1e308, -1e308, 5e-324, float("nan"), float("inf")]),
)
STAMPS = st.one_of(
    st.datetimes(min_value=pd.Timestamp("1700-01-01"), max_value=pd.Timestamp("2200-01-01")),
    st.integers(min_value=-(2**62), max_value=2**62),
    st.sampled_from(["not a time", "", "2024-13-45"]),
)


@settings(max_examples=80, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", ""]), STAMPS, HOSTILE_FLOATS), min_size=0, max_size=30
    )
)
def test_a_long_frame_is_clean_or_refused_with_a_named_cell(
    rows: list[tuple[str, object, float]],
) -> None:
    frame = pd.DataFrame(rows, columns=["unique_id", "ds", "y"])
    try:
        clean = validate_long_frame(frame)
    except FrameValidationError:  # refused with its own error, which names the cell
        return
    assert np.isfinite(clean["y"].to_numpy()).all()
    for _, series in clean.groupby("unique_id"):
        assert series["ds"].is_monotonic_increasing


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(HOSTILE_FLOATS, HOSTILE_FLOATS), min_size=1, max_size=30))
def test_error_metrics_are_a_number_or_nan_never_an_exception(
    pairs: list[tuple[float, float]],
) -> None:
    actual, forecast = (np.array(column) for column in zip(*pairs, strict=True))
    for metric in (mae, rmse, smape):
        with np.errstate(all="ignore"):
            value = metric(actual, forecast)
        assert isinstance(value, float)
        assert math.isnan(value) or value >= 0


finite_samples = st.lists(
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), min_size=1, max_size=60
)


@settings(max_examples=60, deadline=None)
@given(finite_samples, finite_samples, st.booleans())
def test_drift_statistics_stay_in_their_range_on_constant_and_huge_samples(
    reference: list[float], current: list[float], constant: bool
) -> None:
    left = np.full(len(reference), reference[0]) if constant else np.array(reference)
    right = np.array(current)
    statistic, p_value = ks(left, right)
    assert 0 <= statistic <= 1
    assert p_value is not None
    assert 0 <= p_value <= 1
    distance, _ = wasserstein(left, right)
    assert distance >= 0
    assert not math.isnan(distance)
    for test in (jensen_shannon, psi):
        value, _ = test(left, right, numeric=True)
        assert value >= 0
        assert not math.isnan(value)
