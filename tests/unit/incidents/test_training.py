"""Per-granularity training: complete periods only, selection by backtest, fitted artifact."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from opscast.incidents.training import (
    PLANS,
    InsufficientHistoryError,
    complete_periods,
    fit_level,
)
from opscast.simulate import simulate_incidents
from opscast.timeseries import Granularity


def daily(days: int, start: str = "2023-01-04") -> pd.DataFrame:
    frame = simulate_incidents(start=start, days=days, categories=["Software"], seed=3)
    return frame[["unique_id", "ds", "y"]]


def test_partial_first_and_last_periods_are_dropped() -> None:
    frame = daily(100)  # Wednesday 2023-01-04 .. Thursday 2023-04-13
    weeks = complete_periods(frame, Granularity.weekly)
    assert weeks["ds"].iloc[0] == pd.Timestamp("2023-01-09")  # first whole Monday-week
    assert weeks["ds"].iloc[-1] == pd.Timestamp("2023-04-03")  # ends Sunday 04-09
    assert (weeks["ds"].dt.dayofweek == 0).all()
    expected = frame[(frame["ds"] >= "2023-01-09") & (frame["ds"] <= "2023-04-09")]["y"].sum()
    assert weeks["y"].sum() == expected
    months = complete_periods(frame, Granularity.monthly)
    assert months["ds"].dt.strftime("%Y-%m-%d").tolist() == ["2023-02-01", "2023-03-01"]
    assert len(complete_periods(frame, Granularity.daily)) == 100


def test_too_short_a_history_is_refused_with_the_numbers() -> None:
    frame = daily(200)
    with pytest.raises(InsufficientHistoryError, match=r"5 complete months .* at least 18"):
        fit_level(frame, Granularity.monthly)


def test_fit_selects_a_candidate_and_the_artifact_forecasts_after_its_data() -> None:
    frame = daily(3 * 365)
    trained = fit_level(frame, Granularity.monthly)
    plan = PLANS[Granularity.monthly]
    assert trained.params["model"] in plan.candidates
    assert set(trained.metrics) == {"mae", "rmse", "mape", "smape", "mase"}
    assert all(np.isfinite(value) for value in trained.metrics.values())
    assert trained.params["trained_through"] == str(trained.frame["ds"].max().date())

    restored = pickle.loads(pickle.dumps(trained.model))
    predicted = restored.predict_through(pd.Timestamp("2026-06-15"))
    assert predicted.index[0] == trained.frame["ds"].max() + pd.DateOffset(months=1)
    assert predicted.index[-1] == pd.Timestamp("2026-06-01")
    assert (predicted.index.day == 1).all()
    # a forecast of monthly incidents lands near the recent monthly level
    recent = trained.frame["y"].tail(12).mean()
    assert 0.5 * recent < predicted.mean() < 1.5 * recent
