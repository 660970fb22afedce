"""M4's Naive2, sMAPE, MASE and OWA against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opscast.forecasting.m4_scoring import (
    autocorrelation,
    is_seasonal,
    m4_scores,
    naive2,
    seasonal_indices,
)

ALTERNATING = np.array([1.0, 3.0] * 3)


def test_autocorrelation_is_rs_acf() -> None:
    """Centred values alternate -1, +1: lag 1 sums five -1 products, lag 2 four +1, over 6."""
    assert autocorrelation(ALTERNATING, 2).tolist() == pytest.approx([-5 / 6, 4 / 6])


def test_seasonality_test_needs_three_seasons_and_a_significant_acf() -> None:
    # n = 6: acf(2) = 0.667 but the limit is 1.645/sqrt(6) * sqrt(1 + 2 (5/6)^2) = 1.038
    assert not is_seasonal(ALTERNATING, 2)
    # n = 24: acf(2) = 22/24 = 0.917 > 1.645/sqrt(24) * sqrt(1 + 2 (23/24)^2) = 0.566
    assert is_seasonal(np.tile([1.0, 3.0], 12), 2)
    assert not is_seasonal(np.tile([1.0, 3.0], 12), 1)


def test_multiplicative_indices_and_naive2() -> None:
    """2x2 centred moving average of 1, 3, 1, ... is 2 everywhere: indices 0.5 and 1.5."""
    series = np.tile([1.0, 3.0], 12)
    assert seasonal_indices(series, 2).tolist() == pytest.approx([0.5, 1.5])
    # last value 3 at index position 1 -> adjusted 2 -> re-seasonalised 1, 3, 1
    assert naive2(series, 3, 2).tolist() == pytest.approx([1.0, 3.0, 1.0])
    # not seasonal: plain naive
    assert naive2(ALTERNATING, 3, 2).tolist() == [3.0, 3.0, 3.0]


def test_owa_averages_over_series_before_dividing() -> None:
    insample = pd.DataFrame(
        {"unique_id": ["a"] * 3 + ["b"] * 3, "ds": [0, 1, 2] * 2, "y": [1.0, 2, 4, 10, 10, 12]}
    )
    # scales (m = 1): a: (1 + 2) / 2 = 1.5, b: (0 + 2) / 2 = 1
    forecasts = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b", "b"],
            "y": [4.0, 4.0, 12.0, 12.0],
            "naive2": [3.0, 5.0, 12.0, 12.0],
            "model": [4.0, 4.0, 11.0, 13.0],
        }
    )
    scores = m4_scores(forecasts, insample, ["naive2", "model"], 1).set_index("model")
    # naive2 sMAPE: a: 200/2 * (1/7 + 1/9) = 25.40, b: 0 -> mean 12.70; MASE a: 1/1.5, b: 0
    naive_smape = 100 * (1 / 7 + 1 / 9) / 2
    naive_mase = (1 / 1.5) / 2
    # model sMAPE: a: 0, b: 200/2 * (1/23 + 1/25) = 8.35 -> mean 4.17; MASE a: 0, b: 1 -> 0.5
    model_smape = 100 * (1 / 23 + 1 / 25) / 2
    model_mase = 0.5
    assert scores.loc["naive2", "smape"] == pytest.approx(12.698, abs=1e-3)
    assert scores.loc["naive2", "smape"] == pytest.approx(naive_smape)
    assert scores.loc["model", "smape"] == pytest.approx(model_smape)
    assert scores.loc["model", "mase"] == pytest.approx(model_mase)
    assert scores.loc["naive2", "owa"] == pytest.approx(1.0)
    assert scores.loc["model", "owa"] == pytest.approx(
        0.5 * (model_smape / naive_smape + model_mase / naive_mase)
    )
