from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from opscast.anomaly.time_to_failure import (
    humanize,
    load_playbook,
    time_to_failure,
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
