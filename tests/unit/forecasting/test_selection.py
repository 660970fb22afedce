"""How auto spends its time: cheap candidates everywhere, expensive ones hardest series first."""

from __future__ import annotations

import numpy as np
import pandas as pd

from opscast.forecasting import forecast
from opscast.forecasting.selection import KEYS, SelectingForecaster
from opscast.forecasting.zoo import ModelSpec


def weekly_frame(days: int = 120, ids: tuple[str, ...] = ("a", "b", "c")) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    ds = pd.date_range("2024-01-01", periods=days, freq="D")
    weekly = np.array([10.0, 12, 13, 12, 11, 4, 3])
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "unique_id": uid,
                    "ds": ds,
                    "y": weekly[ds.dayofweek] * (k + 1) + rng.normal(0, 1, days),
                }
            )
            for k, uid in enumerate(ids)
        ],
        ignore_index=True,
    )


CANDIDATES = ["seasonal_naive", "lightgbm", "theta", "ets"]


def test_a_zero_budget_keeps_to_the_cheap_candidates() -> None:
    result = forecast(weekly_frame(), "auto", 7, candidates=CANDIDATES, time_budget=0)
    assert result.tried == {"seasonal_naive": 3, "lightgbm": 3}
    assert {model for models in result.chosen.values() for model in models} <= {
        "seasonal_naive",
        "lightgbm",
    }
    assert len(result.forecasts) == 21


def test_enough_budget_tries_the_expensive_candidates_everywhere() -> None:
    result = forecast(weekly_frame(), "auto", 7, candidates=CANDIDATES, time_budget=600)
    assert result.tried == {"seasonal_naive": 3, "lightgbm": 3, "theta": 3, "ets": 3}


def test_hardest_series_come_first() -> None:
    """Scales (season 1): a steps by 1, b by 2, c is flat; errors 1.5, 2 and 1."""
    history = pd.DataFrame(
        {
            "unique_id": ["a"] * 4 + ["b"] * 4 + ["c"] * 4,
            "ds": list(range(4)) * 3,
            "y": [0.0, 1, 0, 1, 0, 2, 0, 2, 5, 5, 5, 5],
        }
    )
    errors = pd.DataFrame(
        {"theta": [1.5, 2.0, 1.0], "naive": [3.0, 4.0, 1.0]}, index=["a", "b", "c"]
    )
    selector = SelectingForecaster("auto", ModelSpec(freq=1), horizon=2)
    # relative errors: a 1.5 / 1 = 1.5, b 2 / 2 = 1, c undefined (flat) -> last
    assert selector._hardest_first(history, errors) == ["a", "b", "c"]


def test_series_too_short_to_backtest_get_seasonal_naive() -> None:
    short = pd.DataFrame(
        {"unique_id": "short", "ds": pd.date_range("2024-04-20", periods=6), "y": np.arange(6.0)}
    )
    data = pd.concat([weekly_frame(ids=("a",)), short], ignore_index=True)
    result = forecast(data, "auto", 7, candidates=["seasonal_naive", "theta"])
    assert result.chosen["short"] == ["seasonal_naive"]
    short_forecast = result.forecasts[result.forecasts["unique_id"] == "short"]
    assert short_forecast["auto"].tolist() == [5.0] * 7


def test_progress_names_the_step_and_estimates_the_time_left() -> None:
    messages: list[str] = []
    forecast(weekly_frame(), "auto", 7, candidates=CANDIDATES, on_step=messages.append)
    assert any(m.startswith("backtesting theta: 3/3 series, ~") for m in messages), messages
    assert any("hardest series first" in m for m in messages)
    assert any(m.startswith("fitting ") for m in messages)


def test_auto_leaves_the_overall_best_only_for_a_clear_win() -> None:
    """Scales are all 1. Mean errors: theta 1.0, naive 1.017, so theta is the overall best;
    naive beats it by 20 % on b (taken) and by 5 % on c (not enough)."""
    history = pd.DataFrame(
        {"unique_id": np.repeat(["a", "b", "c"], 4), "ds": list(range(4)) * 3, "y": [0.0, 1] * 6}
    )
    keys = pd.MultiIndex.from_tuples([(uid, 4, 3, 1, 0.0) for uid in ("a", "b", "c")], names=KEYS)
    tables = {
        "theta": pd.Series([1.0, 1.0, 1.0], index=keys),
        "naive": pd.Series([1.3, 0.8, 0.95], index=keys),
        "seasonal_naive": pd.Series([3.0, 3.0, 3.0], index=keys),
    }
    auto = SelectingForecaster("auto", ModelSpec(freq=1), horizon=1)
    auto._choose(history, tables)
    assert auto.chosen_ == {"a": ["theta"], "b": ["naive"], "c": ["theta"]}
    ensemble = SelectingForecaster("ensemble", ModelSpec(freq=1), horizon=1)
    ensemble._choose(history, tables)
    assert "combination" not in {m for models in ensemble.chosen_.values() for m in models}
    assert ensemble.chosen_["b"] == ["naive", "theta", "seasonal_naive"]
    assert ensemble.chosen_["c"] == ["naive", "theta", "seasonal_naive"]


def test_auto_takes_the_mean_of_the_best_three_where_it_wins() -> None:
    """Three candidates err by +0.5, -0.5 and +0.5 on every point: their mean errs by 1/6,
    a clear win over each on every series, so auto averages them; naive is too far behind
    the best to join the combination."""
    history = pd.DataFrame(
        {"unique_id": np.repeat(["a", "b"], 4), "ds": list(range(4)) * 2, "y": [0.0, 1] * 4}
    )
    keys = pd.MultiIndex.from_tuples([(uid, 4, 3, 1, 0.0) for uid in ("a", "b")], names=KEYS)
    tables = {
        "theta": pd.Series([0.5, 0.5], index=keys),
        "ets": pd.Series([-0.5, -0.5], index=keys),
        "lightgbm": pd.Series([0.5, 0.5], index=keys),
        "naive": pd.Series([9.0, 9.0], index=keys),
    }
    auto = SelectingForecaster("auto", ModelSpec(freq=1), horizon=1)
    auto._choose(history, tables)
    assert {uid: sorted(models) for uid, models in auto.chosen_.items()} == {
        "a": ["ets", "lightgbm", "theta"],
        "b": ["ets", "lightgbm", "theta"],
    }
    assert np.allclose(auto.backtest_["auto"], 0.5 / 3)
