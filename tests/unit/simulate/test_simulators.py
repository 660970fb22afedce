from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from opscast.simulate import (
    FAILURE_KINDS,
    simulate_demand,
    simulate_fleet,
    simulate_incidents,
    simulate_traffic,
)
from opscast.timeseries import validate_long_frame

URL_SAFE = re.compile(r"^[A-Za-z0-9_.:\-]+$")


def check_long_frame(frame: pd.DataFrame) -> None:
    clean = validate_long_frame(frame[["unique_id", "ds", "y"]], require_sorted=True)
    assert len(clean) == len(frame)
    assert frame["ds"].dtype == "datetime64[ns]"
    assert frame["y"].dtype == "float64"
    assert all(URL_SAFE.match(uid) for uid in frame["unique_id"].unique())


SIMULATORS = {
    "incidents": lambda seed: simulate_incidents(days=120, seed=seed),
    "traffic": lambda seed: simulate_traffic(days=2, seed=seed),
    "demand": lambda seed: simulate_demand(stores=2, items=3, days=60, seed=seed),
    "fleet": lambda seed: simulate_fleet(hosts=4, days=1, seed=seed).metrics,
}


@pytest.mark.parametrize("name", SIMULATORS)
def test_deterministic_by_seed(name: str) -> None:
    build = SIMULATORS[name]
    first, again, other = build(1), build(1), build(2)
    pd.testing.assert_frame_equal(first, again)
    assert not first["y"].equals(other["y"])
    check_long_frame(first)


def test_incidents_are_weekly_seasonal_counts() -> None:
    frame = simulate_incidents(days=2 * 365, seed=3)
    assert {"Software", "Hardware"} <= set(frame["unique_id"])
    assert (frame["y"] >= 0).all()
    assert (frame["y"] == frame["y"].round()).all()
    weekend = frame["ds"].dt.dayofweek >= 5
    assert frame.loc[weekend, "y"].mean() < 0.8 * frame.loc[~weekend, "y"].mean()
    holiday_mean = frame.loc[frame["is_holiday"] & ~weekend, "y"].mean()
    assert holiday_mean < frame.loc[~frame["is_holiday"] & ~weekend, "y"].mean()
    burst = frame["is_burst"]
    assert burst.any()
    assert frame.loc[burst, "y"].mean() > frame.loc[~burst, "y"].mean()


def test_long_horizons_stay_valid() -> None:
    frame = simulate_incidents(categories=[f"c{i}" for i in range(30)], days=40 * 365, seed=11)
    assert frame["y"].notna().all()
    assert (frame["y"] >= 0).all()


def test_traffic_cycles_bursts_and_events() -> None:
    frame = simulate_traffic(days=14, services=("web", "api"), seed=5)
    assert set(frame["unique_id"]) == {"web", "api"}
    assert (frame["y"] >= 0).all()
    assert frame.groupby("unique_id").size().tolist() == [14 * 1440] * 2
    hour = frame["ds"].dt.hour
    quiet = ~frame["is_burst"] & ~frame["is_event"]
    assert (
        frame.loc[quiet & hour.between(2, 4), "y"].mean()
        < 0.5 * frame.loc[quiet & hour.between(12, 16), "y"].mean()
    )
    for flag in ("is_burst", "is_event"):
        assert frame[flag].any()
        same_hour = quiet & hour.isin(frame.loc[frame[flag], "ds"].dt.hour.unique())
        assert frame.loc[frame[flag], "y"].mean() > frame.loc[same_hour, "y"].mean()


def test_coarser_traffic_is_the_sum_of_minutes() -> None:
    minutes = simulate_traffic(days=1, seed=9)
    five = simulate_traffic(days=1, freq="5min", seed=9)
    expected = minutes.resample("5min", on="ds")["y"].sum()
    np.testing.assert_array_equal(five["y"].to_numpy(), expected.to_numpy())
    assert five["is_burst"].sum() >= minutes["is_burst"].sum() / 15
    with pytest.raises(ValueError, match="whole number of minutes"):
        simulate_traffic(days=1, freq="30s")


def test_demand_grid_and_weekly_shape() -> None:
    frame = simulate_demand(stores=3, items=4, days=365, seed=2)
    assert frame["unique_id"].nunique() == 12
    assert len(frame) == 12 * 365
    assert set(frame["store"]) == {1, 2, 3}
    assert set(frame["item"]) == {1, 2, 3, 4}
    row = frame.iloc[0]
    assert row["unique_id"] == f"store_{row['store']}-item_{row['item']}"
    by_day = frame.groupby(frame["ds"].dt.dayofweek)["y"].mean()
    assert by_day[6] > by_day[0]
    assert (frame["y"] == frame["y"].round()).all()


def limits_of(fleet) -> pd.Series:  # type: ignore[no-untyped-def]
    pools = fleet.hosts.set_index("host")["pool_size"]
    limit = fleet.metrics["host"].map(pools).astype(float)
    return limit.where(
        fleet.metrics["metric"].eq("connections"),
        np.where(fleet.metrics["metric"].eq("latency_ms"), np.inf, 100.0),
    )


@pytest.mark.parametrize("seed", range(6))
def test_fleet_limits_are_crossed_only_at_recorded_failures(seed: int) -> None:
    fleet = simulate_fleet(hosts=8, days=3, freq="5min", failure_share=0.6, seed=seed)
    metrics = fleet.metrics
    percent = metrics["metric"].isin(["cpu_pct", "memory_pct", "disk_pct"])
    assert metrics.loc[percent, "y"].between(0, 100).all()
    crossed = metrics[metrics["y"] >= limits_of(fleet)]
    recorded = {(f.host, f.metric, f.failure_at) for f in fleet.failures.itertuples()}
    assert {(r.host, r.metric, r.ds) for r in crossed.itertuples()} == {
        (host, metric, at) for host, metric, at in recorded if at <= metrics["ds"].max()
    }
    for failure in fleet.failures.itertuples():
        assert FAILURE_KINDS[failure.kind][0] == failure.metric
        assert failure.onset < failure.failure_at
        ramp = metrics[
            (metrics["unique_id"] == f"{failure.host}:{failure.metric}")
            & metrics["ds"].between(failure.onset, failure.failure_at)
        ]
        assert ramp["y"].iloc[-1] >= ramp["y"].iloc[0], "the precursor climbs towards the limit"


def test_fleet_inventory_and_names() -> None:
    fleet = simulate_fleet(hosts=5, days=1, seed=4)
    assert fleet.hosts["host"].tolist() == ["web-01", "api-01", "db-01", "cache-01", "web-02"]
    assert fleet.metrics["unique_id"].nunique() == 25
    assert set(fleet.failures.columns) == {"host", "kind", "metric", "onset", "failure_at", "limit"}
    with pytest.raises(ValueError, match="failure_share"):
        simulate_fleet(failure_share=2.0)


def test_a_million_points() -> None:
    fleet = simulate_fleet(hosts=14, days=10, freq="1min", seed=0)
    assert len(fleet.metrics) == 14 * 5 * 10 * 1440
    assert fleet.metrics["y"].notna().all()
