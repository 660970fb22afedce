"""The promotion rule: not worse on the same holdout, by the first metric both define."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opscast.registry.promotion import decide_promotion

errors = st.floats(min_value=1e-6, max_value=1e6, allow_nan=False)
tolerances = st.floats(min_value=0, max_value=2)


@given(errors, errors)
def test_without_tolerance_a_challenger_passes_exactly_when_not_worse(
    champion: float, challenger: float
) -> None:
    decision = decide_promotion({"mase": champion}, {"mase": challenger})
    assert decision.promote == (challenger <= champion * (1 + 1e-9))
    assert (decision.metric, decision.champion, decision.challenger) == (
        "mase",
        champion,
        challenger,
    )


@given(errors, errors, tolerances, tolerances)
def test_more_tolerance_never_refuses_what_less_tolerance_promoted(
    champion: float, challenger: float, low: float, extra: float
) -> None:
    if decide_promotion({"mae": champion}, {"mae": challenger}, tolerance=low).promote:
        assert decide_promotion(
            {"mae": champion}, {"mae": challenger}, tolerance=low + extra
        ).promote


@given(errors)
def test_an_identical_evaluation_is_promoted(score: float) -> None:
    scores = {"mase": score, "smape": score / 2}
    decision = decide_promotion(scores, dict(scores))
    assert decision.promote
    assert "as good as" in decision.reason


def test_the_first_version_is_promoted_without_comparison() -> None:
    decision = decide_promotion(None, {"mase": 5.0})
    assert decision.promote
    assert decision.metric is None


def test_an_undefined_metric_falls_through_to_the_next() -> None:
    decision = decide_promotion(
        {"mase": math.nan, "smape": 0.2}, {"mase": None, "smape": 0.3}, tolerance=0.1
    )
    assert not decision.promote
    assert decision.metric == "smape"
    assert "10% tolerance" in decision.reason


def test_no_comparable_metric_keeps_the_champion() -> None:
    decision = decide_promotion({"mase": math.nan}, {"smape": 0.1})
    assert not decision.promote
    assert "champion kept" in decision.reason


def test_negative_tolerance_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="tolerance"):
        decide_promotion({"mase": 1.0}, {"mase": 1.0}, tolerance=-0.1)


scores = st.floats(min_value=1e-3, max_value=1.0, allow_nan=False)


@given(scores, scores, tolerances)
def test_a_score_where_higher_is_better_passes_when_not_lower_beyond_tolerance(
    champion: float, challenger: float, tolerance: float
) -> None:
    decision = decide_promotion(
        {"macro_f1": champion},
        {"macro_f1": challenger},
        tolerance=tolerance,
        metrics=("macro_f1", "accuracy"),
    )
    assert decision.promote == (challenger >= champion * (1 - tolerance - 1e-9))
    assert decision.metric == "macro_f1"


def test_a_better_classifier_is_called_better() -> None:
    decision = decide_promotion({"accuracy": 0.7}, {"accuracy": 0.8}, metrics=("accuracy",))
    assert decision.promote
    assert "better than" in decision.reason
    assert not decide_promotion({"accuracy": 0.8}, {"accuracy": 0.7}, metrics=("accuracy",)).promote
