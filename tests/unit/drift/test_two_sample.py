"""Properties of the two-sample statistics, and agreement with their definitions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from opscast.drift.two_sample import (
    DEFAULT_THRESHOLDS,
    TEST_NAMES,
    TestName,
    is_drifted,
    run_test,
)

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
samples = arrays(np.float64, st.integers(2, 300), elements=values)
categories = arrays(
    object, st.integers(2, 300), elements=st.sampled_from(["a", "b", "c", "d", "e", "f"])
)
NUMERIC_TESTS: tuple[TestName, ...] = TEST_NAMES
CATEGORICAL_TESTS: tuple[TestName, ...] = ("psi", "jensen_shannon", "chi_square")


def outcome(name: TestName, ref: np.ndarray, cur: np.ndarray, numeric: bool = True) -> bool:
    statistic, p_value = run_test(name, ref, cur, numeric=numeric)
    return is_drifted(name, statistic, p_value, DEFAULT_THRESHOLDS[name])


@settings(max_examples=40, deadline=None)
@given(sample=samples, name=st.sampled_from(NUMERIC_TESTS))
def test_identical_numeric_samples_never_drift(sample: np.ndarray, name: TestName) -> None:
    assert not outcome(name, sample, sample.copy())


@settings(max_examples=40, deadline=None)
@given(sample=categories, name=st.sampled_from(CATEGORICAL_TESTS))
def test_identical_categories_never_drift(sample: np.ndarray, name: TestName) -> None:
    assert not outcome(name, sample, sample.copy(), numeric=False)


@settings(max_examples=60, deadline=None)
@given(ref=samples, cur=samples, name=st.sampled_from(NUMERIC_TESTS))
def test_p_values_are_probabilities_and_distances_are_not_negative(
    ref: np.ndarray, cur: np.ndarray, name: TestName
) -> None:
    statistic, p_value = run_test(name, ref, cur, numeric=True)
    assert np.isfinite(statistic)
    assert statistic >= 0
    if name in {"ks", "chi_square"}:
        assert p_value is not None
        assert 0.0 <= p_value <= 1.0
    else:
        assert p_value is None


@settings(max_examples=40, deadline=None)
@given(ref=samples, cur=samples, name=st.sampled_from(["ks", "chi_square"]))
def test_symmetric_tests(ref: np.ndarray, cur: np.ndarray, name: TestName) -> None:
    forward = run_test(name, ref, cur, numeric=True)
    backward = run_test(name, cur, ref, numeric=True)
    assert forward == pytest.approx(backward, rel=1e-9, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(ref=categories, cur=categories, name=st.sampled_from(["psi", "jensen_shannon"]))
def test_symmetric_distances_per_value(ref: np.ndarray, cur: np.ndarray, name: TestName) -> None:
    """Per value they are symmetric; on numbers the bins follow the reference (as Evidently)."""
    forward = run_test(name, ref, cur, numeric=False)
    backward = run_test(name, cur, ref, numeric=False)
    assert forward[0] == pytest.approx(backward[0], rel=1e-9, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    ref=arrays(np.float64, st.integers(30, 300), elements=st.floats(-100, 100)),
    name=st.sampled_from(NUMERIC_TESTS),
)
def test_a_large_shift_always_drifts(ref: np.ndarray, name: TestName) -> None:
    shift = 10 * (np.ptp(ref) + 1)
    assert outcome(name, ref, ref + shift)


def test_wasserstein_is_in_reference_standard_deviations() -> None:
    rng = np.random.default_rng(0)
    ref = rng.normal(0, 2, 50_000)
    statistic, _ = run_test("wasserstein", ref, ref + 1.0, numeric=True)
    assert statistic == pytest.approx(0.5, rel=0.01)


def test_psi_matches_its_formula_on_categories() -> None:
    ref = np.array(["a"] * 50 + ["b"] * 50, dtype=object)
    cur = np.array(["a"] * 80 + ["b"] * 20, dtype=object)
    expected = (0.5 - 0.8) * np.log(0.5 / 0.8) + (0.5 - 0.2) * np.log(0.5 / 0.2)
    assert run_test("psi", ref, cur, numeric=False)[0] == pytest.approx(expected)


def test_jensen_shannon_of_disjoint_categories_is_its_maximum() -> None:
    ref = np.array(["a"] * 10, dtype=object)
    cur = np.array(["b"] * 10, dtype=object)
    assert run_test("jensen_shannon", ref, cur, numeric=False)[0] == pytest.approx(
        np.sqrt(np.log(2))
    )


def test_chi_square_accepts_a_value_the_reference_never_had() -> None:
    ref = np.array(["a"] * 60 + ["b"] * 40, dtype=object)
    cur = np.array(["a"] * 50 + ["b"] * 30 + ["new"] * 20, dtype=object)
    statistic, p_value = run_test("chi_square", ref, cur, numeric=False)
    assert np.isfinite(statistic)
    assert p_value is not None
    assert p_value < 0.05


@settings(max_examples=60, deadline=None)
@given(ref=samples, cur=samples)
def test_wasserstein_equals_scipys_definition(ref: np.ndarray, cur: np.ndarray) -> None:
    from scipy import stats

    expected = stats.wasserstein_distance(ref, cur) / max(float(np.std(ref)), 0.001)
    assert run_test("wasserstein", ref, cur, numeric=True)[0] == pytest.approx(
        expected, rel=1e-9, abs=1e-9
    )
