"""The mean-change rule, concept drift against a baseline, and streaming change detectors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from opscast.drift import (
    DriftInputError,
    change_points,
    detect_concept_drift,
    mean_change,
    performance_drift,
)

positive = arrays(np.float64, st.integers(1, 100), elements=st.floats(0.1, 1e4))


@settings(max_examples=50, deadline=None)
@given(sample=positive, factor=st.floats(0, 5))
def test_a_sample_never_drifts_from_itself(sample: np.ndarray, factor: float) -> None:
    assert not mean_change(sample, sample, factor).drifted


@settings(max_examples=50, deadline=None)
@given(sample=positive, scale=st.floats(0.1, 10), ratio=st.floats(0.0, 3.0))
def test_the_rule_is_scale_free(sample: np.ndarray, scale: float, ratio: float) -> None:
    plain = mean_change(sample, sample * ratio)
    scaled = mean_change(sample * scale, sample * ratio * scale)
    assert plain.relative_change == pytest.approx(scaled.relative_change, rel=1e-6, abs=1e-9)


def test_the_threshold_is_a_relative_change_of_the_mean() -> None:
    assert mean_change([100, 100], [109, 109]).drifted is False
    assert mean_change([100, 100], [111, 111]).drifted is True
    assert mean_change([100, 100], [89]).drifted is True
    assert mean_change([100], [111], threshold_factor=0.2).drifted is False


def test_a_zero_reference_mean() -> None:
    assert mean_change([0, 0], [0]).drifted is False
    moved = mean_change([0, 0], [1])
    assert moved.drifted is True
    assert math.isinf(moved.relative_change)
    assert moved.summary()["relative_change"] is None


def test_negative_threshold_is_refused() -> None:
    with pytest.raises(DriftInputError):
        mean_change([1], [1], threshold_factor=-0.1)


def test_performance_drift_beyond_the_tolerance() -> None:
    actual = np.full(50, 100.0)
    same = performance_drift(actual, actual * 1.10, baseline=10.0)  # MAPE 10%
    assert same.current == pytest.approx(10.0)
    assert same.drifted is False
    worse = performance_drift(actual, actual * 1.13, baseline=10.0)  # MAPE 13% > 12%
    assert worse.drifted is True
    tolerant = performance_drift(actual, actual * 1.13, baseline=10.0, tolerance=0.5)
    assert tolerant.drifted is False
    assert performance_drift(actual, actual + 3, baseline=2.0, metric="mae").drifted is True


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"baseline": -1.0}, "baseline"),
        ({"baseline": 1.0, "tolerance": -0.5}, "tolerance"),
        ({"baseline": 1.0, "metric": "r2"}, "metric"),
    ],
)
def test_bad_concept_drift_input(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(DriftInputError) as caught:
        performance_drift([1.0, 2.0], [1.0, 2.0], **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_mismatched_lengths_are_refused() -> None:
    with pytest.raises(DriftInputError, match="same length"):
        performance_drift([1.0, 2.0], [1.0], baseline=1.0)


def test_mape_of_zero_actuals_is_refused() -> None:
    with pytest.raises(DriftInputError, match="undefined"):
        performance_drift([0.0, 0.0], [1.0, 1.0], baseline=1.0)


@pytest.mark.parametrize("detector", ["adwin", "page_hinkley"])
def test_detectors_date_a_step_in_the_errors(detector: str) -> None:
    rng = np.random.default_rng(0)
    errors = np.r_[rng.normal(1, 0.1, 500), rng.normal(4, 0.1, 500)]
    found = change_points(errors, detector)  # type: ignore[arg-type]
    assert found
    assert 500 <= found[0] < 600


@pytest.mark.parametrize("detector", ["adwin", "page_hinkley"])
def test_detectors_stay_quiet_on_a_steady_stream(detector: str) -> None:
    errors = np.random.default_rng(1).normal(1, 0.1, 1_000)
    assert change_points(errors, detector) == []  # type: ignore[arg-type]


def test_unknown_detector() -> None:
    with pytest.raises(DriftInputError):
        change_points([1.0], "cusum")  # type: ignore[arg-type]


def test_concept_drift_combines_both_signals() -> None:
    rng = np.random.default_rng(2)
    actual = rng.uniform(90, 110, 400)
    predicted = np.r_[actual[:200] * 1.05, actual[200:] * 1.30]
    result = detect_concept_drift(actual, predicted, baseline=5.0)
    assert result.drifted
    assert result.change_points
    assert result.summary()["performance"]["metric"] == "mape"
