from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.anomaly.time_to_failure import (
    CONFIDENT_SLACK_HOURS,
    CONFIDENT_SPREAD,
    HORIZON_CAP_HOURS,
    confident,
    humanize,
    load_playbook,
    slope_bounds,
    time_to_failure,
    times_to_failure,
    warning,
)
from opscast.simulate.server_metrics import FAILURE_KINDS, simulate_fleet


def precursors(seeds: range) -> list[tuple[pd.DataFrame, pd.Timestamp, float, str]]:
    """Points seen 60 % of the way through each slow precursor, with its true failure time."""
    cases = []
    for seed in seeds:
        fleet = simulate_fleet(hosts=8, days=3, seed=seed, failure_share=0.9)
        for failure in fleet.failures.itertuples():
            if failure.kind == "cpu_runaway":
                continue
            metric = fleet.metrics[
                (fleet.metrics["host"] == failure.host)
                & (fleet.metrics["metric"] == failure.metric)
            ]
            now = failure.onset + (failure.failure_at - failure.onset) * 0.6
            seen = metric[metric["ds"] <= now]
            if now <= metric["ds"].iloc[-1] and len(seen) >= 60:
                cases.append((seen, failure.failure_at, failure.limit, failure.metric))
    return cases


def test_the_interval_covers_the_true_failure_time_in_most_seeded_leaks() -> None:
    cases = precursors(range(6))
    assert len(cases) >= 15
    covered = 0
    for seen, failure_at, limit, _ in cases:
        forecast = time_to_failure(seen["ds"], seen["y"], limit)
        assert forecast is not None, "a ramp towards the limit always yields a forecast"
        latest = forecast.now + forecast.latest if forecast.latest is not None else None
        early_enough = forecast.now + forecast.earliest <= failure_at
        covered += early_enough and (latest is None or failure_at <= latest)
    assert covered / len(cases) >= 0.6


def test_no_forecast_for_a_flat_or_falling_metric() -> None:
    ds = pd.date_range("2024-01-01", periods=200, freq="min")
    rng = np.random.default_rng(0)
    assert time_to_failure(ds, 40 + rng.normal(0, 0.5, 200), 100.0) is None
    assert time_to_failure(ds, np.linspace(80, 60, 200), 100.0) is None


def test_a_crossing_beyond_a_year_is_no_forecast_and_a_far_bound_is_open() -> None:
    ds = pd.date_range("2024-01-01", periods=120, freq="min")
    creeping = 40 + np.arange(120) * 1e-9  # a clear trend, but centuries from the limit
    assert time_to_failure(ds, creeping, 100.0) is None
    rng = np.random.default_rng(3)
    noisy_ramp = 40 + np.arange(120) * 0.01 + rng.normal(0, 0.05, 120)
    forecast = time_to_failure(ds, noisy_ramp, 45.0)
    assert forecast is not None
    assert forecast.eta <= pd.Timedelta(days=365)


def test_a_metric_at_its_limit_fails_now() -> None:
    ds = pd.date_range("2024-01-01", periods=50, freq="min")
    forecast = time_to_failure(ds, np.full(50, 100.0), 100.0)
    assert forecast is not None
    assert forecast.eta == pd.Timedelta(0)
    assert warning("db-01", "disk_pct", forecast).sentence == "db-01 disk full now"


def test_the_warning_is_a_sentence_with_an_action() -> None:
    ds = pd.date_range("2024-01-01", periods=121, freq="min")
    pool = np.linspace(100, 160, 121)  # 30 connections per hour, 40 left of 200
    forecast = time_to_failure(ds, pool, 200.0)
    assert forecast is not None
    assert forecast.eta.round("s") == pd.Timedelta(minutes=80)
    message = warning("db-01", "connections", forecast)
    assert message.sentence.startswith("db-01 connection pool likely exhausted in about 1 h 20 m (")
    assert message.action == load_playbook()["connections"].action


def test_the_playbook_covers_every_simulated_capacity_metric() -> None:
    playbook = load_playbook()
    for metric, _ in FAILURE_KINDS.values():
        assert playbook[metric].action


@pytest.mark.parametrize(
    ("minutes", "text"),
    [(45, "45 m"), (180, "3 h"), (140, "2 h 20 m"), (28 * 60, "1 d 4 h"), (48 * 60, "2 d")],
)
def test_durations_read_as_people_say_them(minutes: int, text: str) -> None:
    assert humanize(pd.Timedelta(minutes=minutes)) == text


levels = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
steps = st.sampled_from(["s", "min", "h", "D"])


@settings(max_examples=200, deadline=None)
@given(
    start=levels,
    drops=st.lists(st.floats(min_value=0.0, max_value=1e3), min_size=9, max_size=150),
    headroom=st.floats(min_value=1e-9, max_value=1e6),
    freq=steps,
)
def test_a_flat_or_receding_trend_has_no_crossing(
    start: float, drops: list[float], headroom: float, freq: str
) -> None:
    values = start - np.concatenate(([0.0], np.cumsum(drops)))
    ds = pd.date_range("2024-01-01", periods=len(values), freq=freq)
    assert time_to_failure(ds, values, float(values.max()) + headroom) is None


@settings(max_examples=200, deadline=None)
@given(
    level=levels,
    rate=st.floats(min_value=-1e-3, max_value=1e-3),
    curve=st.floats(min_value=-1e-6, max_value=1e-6),
    limit=levels,
    n=st.integers(10, 150),
    freq=steps,
)
def test_any_trend_gives_a_crossing_within_the_horizon_or_none(
    level: float, rate: float, curve: float, limit: float, n: int, freq: str
) -> None:
    ds = pd.date_range("2024-01-01", periods=n, freq=freq)
    t = np.arange(n, dtype=np.float64)
    forecast = time_to_failure(ds, level + rate * t + curve * t * t, limit)
    if forecast is not None:
        assert pd.Timedelta(0) <= forecast.earliest <= forecast.eta
        assert forecast.eta <= pd.Timedelta(hours=HORIZON_CAP_HOURS)
        assert forecast.failure_at >= forecast.now


@settings(max_examples=100, deadline=None)
@given(
    y=st.lists(st.floats(min_value=-1e3, max_value=1e3), min_size=10, max_size=80),
    gaps=st.lists(st.integers(1, 30), min_size=80, max_size=80),
)
def test_slope_bounds_hold_the_least_squares_slope(y: list[float], gaps: list[int]) -> None:
    values = np.array(y)
    minutes = np.cumsum(gaps[: len(values)]).astype(np.float64)
    hours = (minutes - minutes[-1]) / 60.0
    low, high = slope_bounds(hours[None, :], values[None, :], 0.9)
    slope = np.polyfit(hours, values, 1)[0]
    assert low[0] <= slope + 1e-6 * (1 + abs(slope))
    assert slope - 1e-6 * (1 + abs(slope)) <= high[0]


def test_many_series_at_once_give_each_series_own_forecast() -> None:
    rng = np.random.default_rng(4)
    ds = pd.date_range("2024-01-01", periods=120, freq="min")
    rows = [
        40 + 0.5 * np.arange(120) + rng.normal(0, 1, 120),
        np.full(120, 40.0),
        80 - 0.1 * np.arange(120),
        np.full(120, 100.0),
        60 + 0.01 * np.arange(120) ** 1.5 + rng.normal(0, 0.3, 120),
    ]
    hours = np.asarray((ds - ds[-1]) / pd.Timedelta(hours=1), dtype=np.float64)
    crossings = times_to_failure(
        np.tile(hours, (len(rows), 1)), np.vstack(rows), np.full(len(rows), 100.0)
    )
    many = [crossings.at(i, ds[-1], 100.0) for i in range(len(rows))]
    assert many == [time_to_failure(ds, row, 100.0) for row in rows]
    assert many[0] is not None
    assert many[1] is None
    assert many[2] is None
    assert many[3] is not None
    assert many[3].eta == pd.Timedelta(0)


def test_a_trend_past_its_top_is_no_forecast() -> None:
    """A rise that has turned (today's rate negative) used to read 'full in about 71 d'."""
    ds = pd.date_range("2024-01-01", periods=120, freq="min")
    t = np.arange(120) / 119.0
    values = 50.0 + 20.0 * np.sin(t * np.pi * 0.75)  # rose, peaked, now falling
    crossings = times_to_failure(
        ((ds - ds[-1]) / pd.Timedelta(hours=1)).to_numpy()[None, :],
        values[None, :],
        np.array([100.0]),
    )
    assert crossings.rate_per_hour[0] < 0
    assert time_to_failure(ds, values, 100.0) is None


def test_only_a_leak_heading_for_the_limit_is_confident() -> None:
    ds = pd.date_range("2024-01-01", periods=120, freq="min")
    hours = ((ds - ds[-1]) / pd.Timedelta(hours=1)).to_numpy()
    t = np.arange(120) / 119.0
    rng = np.random.default_rng(3)
    leak = 40.0 + 30.0 * t**1.3 + rng.normal(0, 0.3, 120)
    ramp = 40.0 + 30.0 * np.sqrt(t) + rng.normal(0, 0.3, 120)  # a morning ramp levelling off
    crossings = times_to_failure(
        np.vstack((hours, hours)), np.vstack((leak, ramp)), np.array([100.0, 100.0])
    )
    sure = confident(crossings.earliest, crossings.latest, crossings.rate_per_hour)
    assert crossings.found.all()
    assert sure.tolist() == [True, False]


@given(
    st.lists(st.floats(0.0, 1e4), min_size=1, max_size=20),
    st.lists(st.floats(0.0, 1e4) | st.just(float("inf")), min_size=1, max_size=20),
    st.lists(st.floats(-10.0, 10.0), min_size=1, max_size=20),
)
def test_a_confident_interval_is_closed_and_narrow(
    earliest: list[float], latest: list[float], rates: list[float]
) -> None:
    n = min(len(earliest), len(latest), len(rates))
    early, late = np.array(earliest[:n]), np.array(latest[:n])
    sure = confident(early, late, np.array(rates[:n]))
    assert np.isfinite(late[sure]).all()
    assert (late[sure] <= CONFIDENT_SPREAD * early[sure] + CONFIDENT_SLACK_HOURS).all()
