"""Every model of the zoo on tiny data, backtest arithmetic, and interval coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import require_extra
from opscast.forecasting import MODEL_NAMES, ForecastingError, backtest, forecast
from opscast.forecasting.backtest import cross_validate
from opscast.forecasting.conformal import add_intervals
from opscast.forecasting.zoo import ModelSpec, single_model


def seasonal_frame(
    days: int = 120, ids: tuple[str, ...] = ("a", "b"), seed: int = 0
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=days, freq="D")
    weekly = np.array([10.0, 12, 13, 12, 11, 4, 3])
    frames = [
        pd.DataFrame(
            {
                "unique_id": uid,
                "ds": ds,
                "y": weekly[ds.dayofweek] * (1 + k) + rng.normal(0, 0.5, days),
            }
        )
        for k, uid in enumerate(ids)
    ]
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("model", MODEL_NAMES)
def test_every_model_forecasts_every_series(model: str) -> None:
    if model == "prophet":
        require_extra("prophet", "prophet")
    if model == "hybrid_lstm":
        require_extra("torch", "neural")
    data = seasonal_frame()
    result = forecast(data, model, 7)
    frame = result.forecasts
    assert frame.columns.tolist() == ["unique_id", "ds", model]
    assert frame.groupby("unique_id").size().to_dict() == {"a": 7, "b": 7}
    assert frame["ds"].min() == pd.Timestamp("2024-04-30")
    assert np.isfinite(frame[model]).all()
    assert result.spec.season_length == 7


@pytest.mark.parametrize("model", ["seasonal_naive", "ets", "lightgbm", "auto"])
def test_good_models_beat_the_naive_forecast(model: str) -> None:
    data = seasonal_frame(days=160)
    candidates = ["seasonal_naive", "theta", "ets"]
    scores = backtest(data, ["naive", model], 7, n_windows=3, candidates=candidates).overall
    assert scores[model]["mae"] < 0.6 * scores["naive"]["mae"]


@pytest.mark.parametrize("freq", ["W-SUN", "MS", "QS"])
@pytest.mark.parametrize("model", ["lightgbm", "auto"])
def test_calendar_steps_without_a_fixed_length_forecast(freq: str, model: str) -> None:
    """Weeks on a weekday, months and quarters have no length in nanoseconds."""
    rng = np.random.default_rng(1)
    ds = pd.date_range("2015-01-01", periods=80, freq=freq)
    data = pd.concat(
        pd.DataFrame({"unique_id": uid, "ds": ds, "y": 50 + rng.normal(0, 5, 80).cumsum()})
        for uid in ("a", "b")
    )
    frame = forecast(data, model, 4).forecasts
    assert frame.groupby("unique_id").size().to_dict() == {"a": 4, "b": 4}
    assert frame["ds"].min() == ds[-1] + ds.freq
    assert np.isfinite(frame[model]).all()


def test_integer_steps_work() -> None:
    data = pd.DataFrame({"unique_id": "s", "ds": range(60), "y": np.sin(np.arange(60) / 3) + 5})
    frame = forecast(data, "theta", 5, season_length=1).forecasts
    assert frame["ds"].tolist() == [60, 61, 62, 63, 64]


def test_seasonal_models_fall_back_on_short_series() -> None:
    data = pd.concat(
        [seasonal_frame(days=60, ids=("long",)), seasonal_frame(days=10, ids=("short",))]
    )
    frame = forecast(data, "seasonal_naive", 3, season_length=7).forecasts
    assert set(frame["unique_id"]) == {"long", "short"}
    short = data[data["unique_id"] == "short"]["y"].iloc[-1]
    assert frame[frame["unique_id"] == "short"]["seasonal_naive"].tolist() == pytest.approx(
        [short] * 3
    )


def test_backtest_windows_are_hand_checkable() -> None:
    """Naive on 0..19 with h=2, 3 windows, step 2: cutoffs at 13, 15, 17; errors 1 and 2."""
    data = pd.DataFrame({"unique_id": "s", "ds": range(20), "y": np.arange(20.0)})
    spec = ModelSpec(freq=1)
    points = cross_validate(single_model("naive", spec), data, h=2, n_windows=3, step=2)
    assert sorted(points["cutoff"].unique().tolist()) == [13, 15, 17]
    assert points["ds"].tolist() == [14, 15, 16, 17, 18, 19]
    assert points["horizon"].tolist() == [1, 2, 1, 2, 1, 2]
    assert (points["y"] - points["naive"]).tolist() == [1, 2, 1, 2, 1, 2]
    result = backtest(data, ["naive"], 2, n_windows=3, step=2, season_length=1)
    assert result.overall["naive"]["mae"] == pytest.approx(1.5)
    assert result.overall["naive"]["rmse"] == pytest.approx(np.sqrt(2.5))
    assert result.overall["naive"]["mase"] == pytest.approx(1.5)


def test_conformal_width_is_the_pooled_quantile_scaled_by_series_and_step() -> None:
    # errors / series mean 3 / step profile (2/3, 4/3) pool to 0.5, 0.5, 1, 1, 1.5, 1.5
    calibration = pd.DataFrame(
        {
            "unique_id": "s",
            "horizon": [1, 2, 1, 2, 1, 2],
            "y": [0.0] * 6,
            "m": [1.0, 2.0, -3.0, 4.0, 2.0, -6.0],
        }
    )
    predicted = pd.DataFrame({"unique_id": "s", "ds": [1, 2, 3], "m": [10.0, 10.0, 10.0]})
    result = add_intervals(predicted, calibration, "m", [50])
    assert result["m-lo-50"].tolist() == [8.0, 6.0, 6.0], "step 3 borrows the widest width"
    assert result["m-hi-50"].tolist() == [12.0, 14.0, 14.0]


def ar_seasonal_frame(series: int, length: int, seed: int) -> pd.DataFrame:
    """A weekly cycle plus AR(1) noise (phi 0.6): errors correlated over the horizon."""
    rng = np.random.default_rng(seed)
    noise = np.zeros((series, length))
    shocks = rng.normal(0, 2, (series, length))
    for t in range(1, length):
        noise[:, t] = 0.6 * noise[:, t - 1] + shocks[:, t]
    cycle = 10 * np.sin(2 * np.pi * np.arange(length) / 7)
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i}" for i in range(series)], length),
            "ds": np.tile(np.arange(length), series),
            "y": (50 + cycle + noise).ravel(),
        }
    )


def test_80_percent_intervals_cover_70_to_90_percent() -> None:
    """Four forecast origins x 40 series x 10 steps of held-out points, seeded."""
    history = ar_seasonal_frame(40, 400, seed=3)
    covered = []
    for origin in (360, 370, 380, 390):
        train = history[history["ds"] < origin]
        held_out = history[history["ds"].between(origin, origin + 9)]
        frame = forecast(
            train, "seasonal_naive", 10, season_length=7, levels=[80], n_windows=10
        ).forecasts
        joined = held_out.merge(frame, on=["unique_id", "ds"])
        assert len(joined) == 400
        covered.append(
            joined["y"].between(joined["seasonal_naive-lo-80"], joined["seasonal_naive-hi-80"])
        )
    coverage = pd.concat(covered).mean()
    assert 0.70 <= coverage <= 0.90


def test_95_percent_intervals_from_two_windows_cover_about_95_percent() -> None:
    """Two windows is the default; a per-step quantile of two errors covered about 2/3."""
    history = ar_seasonal_frame(40, 400, seed=5)
    covered = []
    for origin in (340, 360, 380):
        train = history[history["ds"] < origin]
        held_out = history[history["ds"].between(origin, origin + 13)]
        frame = forecast(train, "seasonal_naive", 14, season_length=7, levels=[95]).forecasts
        joined = held_out.merge(frame, on=["unique_id", "ds"])
        covered.append(
            joined["y"].between(joined["seasonal_naive-lo-95"], joined["seasonal_naive-hi-95"])
        )
    coverage = pd.concat(covered).mean()
    assert 0.90 <= coverage <= 0.99


def test_auto_reports_its_choice_and_ensemble_averages() -> None:
    data = seasonal_frame(days=100)
    candidates = ["naive", "seasonal_naive", "historic_average", "theta"]
    auto = forecast(data, "auto", 7, candidates=candidates)
    assert set(auto.chosen) == {"a", "b"}
    assert all(len(models) == 1 for models in auto.chosen.values())
    ensemble_result = forecast(data, "ensemble", 7, candidates=candidates)
    ensemble = ensemble_result.forecasts
    for uid, models in ensemble_result.chosen.items():
        assert len(models) == 3
        singles = [
            forecast(data[data["unique_id"] == uid], model, 7, season_length=7).forecasts[model]
            for model in models
        ]
        expected = np.mean(np.vstack([single.to_numpy() for single in singles]), axis=0)
        got = ensemble.loc[ensemble["unique_id"] == uid, "ensemble"].to_numpy()
        assert got == pytest.approx(expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"model": "prophetic"}, "unknown model"),
        ({"model": "auto", "candidates": ["ets", "lstm"]}, "unknown model"),
        ({"n_windows": 0}, "at least 1"),
        ({"levels": [120]}, "between 0 and 100"),
        ({"h": 0}, "at least 1"),
    ],
)
def test_bad_requests_are_refused(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"model": "naive", "h": 3} | kwargs
    with pytest.raises(ForecastingError, match=message):
        forecast(seasonal_frame(days=30), **arguments)  # type: ignore[arg-type]


def test_too_short_to_backtest() -> None:
    data = pd.DataFrame({"unique_id": "s", "ds": range(5), "y": np.arange(5.0)})
    with pytest.raises(ForecastingError, match="too short"):
        backtest(data, ["naive"], 3, n_windows=2)
