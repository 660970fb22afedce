"""The NAB rules on a file small enough to score by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from opscast.anomaly.nab_score import PROFILES, ScoredFile, score_corpus

STAMPS = pd.date_range("2024-01-01", periods=200, freq="5min")
# 200 rows: rows 0-29 are probationary (floor(0.15 * 200) = 30); one window over rows 100-109
WINDOW = (STAMPS[100], STAMPS[109])


def sigmoid_score(position: float) -> float:
    """NAB's scaled sigmoid, written out independently of the code under test."""
    return -1.0 if position >= 3.0 else 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def scored(hits: dict[int, float], windows: list[tuple[pd.Timestamp, pd.Timestamp]]) -> ScoredFile:
    scores = np.zeros(200)
    for row, value in hits.items():
        scores[row] = value
    return ScoredFile("tiny.csv", STAMPS.to_numpy(), scores, windows)


def test_hand_scored_file_at_a_given_threshold() -> None:
    # row 1: probationary, ignored; row 50: before any window; rows 102 and 105: in the
    # window (only the earlier counts); row 115: 6 rows past the window end
    file = scored({1: 0.9, 50: 0.8, 102: 0.9, 105: 0.95, 115: 0.7}, [WINDOW])
    result = score_corpus([file], "standard", threshold=0.6)
    cost = PROFILES["standard"]
    true_positive = sigmoid_score(-(109 - 102 + 1) / 10) / sigmoid_score(-1.0) * cost.tp
    before_window = -1.0 * cost.fp
    after_window = sigmoid_score(abs(109 - 115) / (10 - 1)) * cost.fp
    expected_raw = true_positive + before_window + after_window
    assert result.raw == pytest.approx(expected_raw)
    assert result.null == pytest.approx(-cost.fn)
    assert result.perfect == pytest.approx(cost.tp)
    assert result.score == pytest.approx(100 * (expected_raw + cost.fn) / (cost.tp + cost.fn))
    assert (result.detected_windows, result.false_positives) == (1, 2)


def test_a_missed_window_costs_its_false_negative_weight() -> None:
    file = scored({115: 0.7}, [WINDOW])
    for name, cost in PROFILES.items():
        result = score_corpus([file], name, threshold=0.5)
        assert result.raw == pytest.approx(-cost.fn + sigmoid_score(6 / 9) * cost.fp)


def test_the_optimized_threshold_drops_false_positives_below_the_detection() -> None:
    file = scored({50: 0.6, 100: 0.9, 115: 0.6}, [WINDOW])
    result = score_corpus([file], "standard")
    assert result.threshold == pytest.approx(0.9)
    assert result.raw == pytest.approx(1.0)  # the first row of the window earns the full A_TP
    assert result.score == pytest.approx(100.0)


def test_windows_must_start_and_end_on_rows() -> None:
    off_grid = (STAMPS[100] + pd.Timedelta(minutes=1), STAMPS[109])
    with pytest.raises(ValueError, match="does not start and end on a row"):
        score_corpus([scored({}, [off_grid])], "standard")
