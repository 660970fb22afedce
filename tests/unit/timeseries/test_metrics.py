from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.timeseries import FrameValidationError, evaluate, mae, mape, mase, rmse, smape

values = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
pairs = st.integers(1, 40).flatmap(
    lambda n: st.tuples(
        st.lists(values, min_size=n, max_size=n), st.lists(values, min_size=n, max_size=n)
    )
)


def test_hand_computed_values() -> None:
    actual, forecast = [2.0, 4.0, 0.0, 8.0], [1.0, 6.0, 0.0, 4.0]
    assert mae(actual, forecast) == pytest.approx((1 + 2 + 0 + 4) / 4)
    assert rmse(actual, forecast) == pytest.approx(np.sqrt((1 + 4 + 0 + 16) / 4))
    assert mape(actual, forecast) == pytest.approx(100 * (1 / 2 + 2 / 4 + 4 / 8) / 3)
    assert smape(actual, forecast) == pytest.approx(200 / 4 * (1 / 3 + 2 / 10 + 0 + 4 / 12))
    insample = [1.0, 3.0, 2.0, 6.0, 4.0]
    scale = np.mean([abs(2 - 1), abs(6 - 3), abs(4 - 2)])
    assert mase(actual, forecast, insample, season_length=2) == pytest.approx(1.75 / scale)


def test_undefined_denominators_give_nan() -> None:
    assert np.isnan(mape([0.0, 0.0], [1.0, 2.0]))
    assert np.isnan(mase([1.0], [2.0], insample=[5.0, 5.0, 5.0]))
    assert np.isnan(mase([1.0], [2.0], insample=[5.0], season_length=1))
    assert smape([0.0, 0.0], [0.0, 0.0]) == 0.0


def test_shape_mismatch_and_empty_input_are_refused() -> None:
    with pytest.raises(FrameValidationError, match="shape"):
        mae([1.0, 2.0], [1.0])
    with pytest.raises(FrameValidationError, match="no points"):
        rmse([], [])


@settings(max_examples=200, deadline=None)
@given(pairs)
def test_metric_properties(pair: tuple[list[float], list[float]]) -> None:
    actual, forecast = pair
    assert (
        0.0
        <= mae(actual, forecast)
        <= rmse(actual, forecast) + 1e-9 * max(1.0, rmse(actual, forecast))
    )
    assert 0.0 <= smape(actual, forecast) <= 200.0 + 1e-9
    assert mae(actual, actual) == 0.0
    assert smape(actual, actual) == 0.0
    assert smape(actual, forecast) == pytest.approx(smape(forecast, actual))
    m = mape(actual, forecast)
    assert np.isnan(m) or m >= 0.0


@settings(max_examples=100, deadline=None)
@given(
    history=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=3, max_size=50),
    season=st.integers(1, 2),
)
def test_seasonal_naive_has_mase_one_on_its_own_history(history: list[float], season: int) -> None:
    """Forecasting each in-sample point by the point one season earlier scores exactly 1."""
    y = np.asarray(history)
    if len(y) <= season or np.all(y[season:] == y[:-season]):
        return
    assert mase(y[season:], y[:-season], y, season_length=season) == pytest.approx(1.0)


def test_evaluate_scores_each_series_and_model() -> None:
    forecasts = pd.DataFrame(
        {
            "unique_id": ["a", "a", "b", "b"],
            "y": [1.0, 3.0, 10.0, 10.0],
            "good": [1.0, 3.0, 10.0, 10.0],
            "bad": [0.0, 0.0, 5.0, 15.0],
        }
    )
    insample = pd.DataFrame(
        {
            "unique_id": ["a"] * 3 + ["b"] * 3,
            "ds": [1, 2, 3] * 2,
            "y": [0.0, 2.0, 4.0, 10.0, 12.0, 10.0],
        }
    )
    scores = evaluate(forecasts, ["good", "bad"], insample=insample)
    table = scores.set_index(["unique_id", "metric"])
    assert table.loc[("a", "mae"), "bad"] == pytest.approx(2.0)
    assert table.loc[("b", "rmse"), "bad"] == pytest.approx(5.0)
    assert table.loc[("a", "mase"), "bad"] == pytest.approx(2.0 / 2.0)
    assert (scores["good"] == 0).all()
    assert set(scores["metric"]) == {"mae", "rmse", "mape", "smape", "mase"}
    with pytest.raises(FrameValidationError, match="in-sample"):
        evaluate(forecasts, ["good"])
    with pytest.raises(FrameValidationError, match="unknown metric"):
        evaluate(forecasts, ["good"], metrics=["r2"])
    with pytest.raises(FrameValidationError, match="missing column"):
        evaluate(forecasts, ["ugly"], metrics=["mae"])


def test_missing_values_are_not_scored_as_perfect() -> None:
    assert np.isnan(smape([1.0, np.nan], [1.0, 2.0]))
    assert np.isnan(mae([1.0, 2.0], [1.0, np.nan]))
    forecasts = pd.DataFrame(
        {"unique_id": ["a", "a", "b"], "y": [1.0, 2.0, 4.0], "m": [1.0, np.nan, 0.0]}
    )
    scores = evaluate(forecasts, ["m"], metrics=["mae", "mape", "smape"])
    assert scores.loc[scores["unique_id"] == "a", "m"].isna().all()
    assert scores.loc[scores["unique_id"] == "b", "m"].tolist() == [4.0, 100.0, 200.0]


def test_evaluate_shape_and_zero_scale() -> None:
    forecasts = pd.DataFrame({"unique_id": ["z", "y"], "y": [0.0, 3.0], "m": [1.0, 1.0]})
    flat = pd.DataFrame({"unique_id": ["z", "z", "y", "y"], "ds": [1, 2, 1, 2], "y": 5.0})
    scores = evaluate(forecasts, ["m"], insample=flat, metrics=["mape", "mase"])
    assert scores.columns.tolist() == ["unique_id", "metric", "m"]
    assert scores[["unique_id", "metric"]].to_numpy().tolist() == [
        ["y", "mape"],
        ["y", "mase"],
        ["z", "mape"],
        ["z", "mase"],
    ]
    assert scores["m"].iloc[0] == pytest.approx(100 * 2 / 3)
    assert scores["m"].iloc[1:].isna().all(), "constant history and all-zero actuals give NaN"


@settings(max_examples=40, deadline=None)
@given(
    data=st.data(),
    sizes=st.lists(st.integers(1, 8), min_size=1, max_size=4),
    season=st.integers(1, 3),
)
def test_evaluate_agrees_with_the_array_metrics(
    data: st.DataObject, sizes: list[int], season: int
) -> None:
    frames, histories = [], []
    for number, size in enumerate(sizes):
        uid = f"s{number}"
        draw = st.lists(values, min_size=size, max_size=size)
        frames.append(pd.DataFrame({"unique_id": uid, "y": data.draw(draw), "f": data.draw(draw)}))
        history = data.draw(st.lists(values, min_size=1, max_size=12))
        histories.append(pd.DataFrame({"unique_id": uid, "ds": range(len(history)), "y": history}))
    forecasts = pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=0)
    insample = pd.concat(histories, ignore_index=True).iloc[::-1]
    scores = evaluate(forecasts, ["f"], insample=insample, season_length=season)
    table = scores.set_index(["unique_id", "metric"])["f"]
    for part, history in zip(frames, histories, strict=True):
        uid = part["unique_id"].iloc[0]
        actual, predicted = part["y"], part["f"]
        expected = {
            "mae": mae(actual, predicted),
            "rmse": rmse(actual, predicted),
            "mape": mape(actual, predicted),
            "smape": smape(actual, predicted),
            "mase": mase(actual, predicted, history["y"], season_length=season),
        }
        for name, value in expected.items():
            assert table[(uid, name)] == pytest.approx(value, nan_ok=True, rel=1e-9), name
