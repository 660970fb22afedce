"""Invariants of the simulation for any traffic and settings (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.scaling import ScalingSettings, summarize
from opscast.scaling.oracle import oracle_replica_seconds
from opscast.scaling.simulation import simulate_autoscaler, simulate_oracle

STEP = 60.0

loads = st.lists(st.floats(0, 2000, allow_nan=False), min_size=2, max_size=60).map(
    lambda values: np.array(values, dtype=np.float64)
)
scaling_settings = st.builds(
    lambda low, spread, capacity, target, delay: ScalingSettings(
        min_replicas=low,
        max_replicas=low + spread,
        capacity_per_replica=capacity,
        target_utilization=target,
        provisioning_delay=delay,
    ),
    st.integers(1, 5),
    st.integers(0, 30),
    st.floats(0.5, 20),
    st.floats(0.2, 1.0),
    st.sampled_from([0.0, 15.0, 45.0, 120.0, 300.0]),
)


@settings(max_examples=60, deadline=None)
@given(loads, scaling_settings, st.lists(st.integers(0, 80), min_size=60, max_size=60))
def test_replicas_stay_within_min_and_max(
    load: np.ndarray, config: ScalingSettings, proposals: list[int]
) -> None:
    forecast = np.array(proposals[: len(load)], dtype=np.int64)
    for timeline in (
        simulate_autoscaler(load, STEP, config),
        simulate_autoscaler(load, STEP, config, forecast),
        simulate_oracle(load, STEP, config),
    ):
        assert timeline.replicas.min() >= config.min_replicas
        assert timeline.replicas.max() <= config.max_replicas
        # paid replica-seconds per step are bounded the same way; the first step also
        # carries the start-up of replicas that had to be asked for before the series began
        bound = np.full(len(load), config.max_replicas * STEP)
        bound[0] += config.max_replicas * config.provisioning_delay
        assert (timeline.replica_seconds <= bound + 1e-6).all()


@settings(max_examples=60, deadline=None)
@given(loads, scaling_settings, st.lists(st.integers(0, 80), min_size=60, max_size=60))
def test_oracle_is_never_dearer_at_equal_sla(
    load: np.ndarray, config: ScalingSettings, proposals: list[int]
) -> None:
    forecast = np.array(proposals[: len(load)], dtype=np.int64)
    price = config.price_per_replica_hour
    oracle = summarize(simulate_oracle(load, STEP, config), load, price)
    for timeline in (
        simulate_autoscaler(load, STEP, config),
        simulate_autoscaler(load, STEP, config, forecast),
    ):
        policy = summarize(timeline, load, price)
        # no policy beats perfect foresight on service ...
        assert oracle.sla_violation_minutes <= policy.sla_violation_minutes + 1e-9
        # ... and a policy that serves everything costs at least what the oracle does
        if policy.sla_violation_minutes == 0:
            assert oracle.cost <= policy.cost + 1e-9


def cheapest_by_enumeration(busy: list[bool], delay: float, warm: bool) -> float:
    """Every on/off schedule of one replica that covers ``busy``; each start costs ``delay``
    (the time it is paid before it serves) unless the replica is running at the start."""
    best = float("inf")
    n = len(busy)
    for mask in range(1 << n):
        running = [bool(mask >> i & 1) for i in range(n)]
        if any(b and not r for b, r in zip(busy, running, strict=True)):
            continue
        starts = sum(1 for i in range(n) if running[i] and (i == 0 or not running[i - 1]))
        if running[0] and warm:
            starts -= 1
        best = min(best, sum(running) * STEP + starts * delay)
    return best


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 3), min_size=1, max_size=9),
    st.sampled_from([0.0, 30.0, 60.0, 150.0]),
    st.integers(0, 3),
)
def test_oracle_matches_exhaustive_search(need: list[int], delay: float, initial: int) -> None:
    paid = oracle_replica_seconds(np.array(need, dtype=np.int64), STEP, delay, initial)
    expected = sum(
        cheapest_by_enumeration([value >= level for value in need], delay, level <= initial)
        for level in range(1, max(need) + 1)
    )
    assert abs(paid.sum() - expected) < 1e-6


@settings(max_examples=8, deadline=None)
@given(
    st.lists(st.floats(0, 5e5, allow_nan=False), min_size=2, max_size=3),
    st.lists(st.integers(0, 60), min_size=3, max_size=3),
)
def test_skipping_repeated_syncs_changes_no_result(days: list[float], floor: list[int]) -> None:
    """A day-long step replayed with skips gives what 1440 minute-long steps give."""
    config = ScalingSettings(capacity_per_replica=3.0, max_replicas=80)
    daily = np.array(days)
    minutes = np.repeat(daily / 1440, 1440)
    proposals = np.array(floor[: len(days)], dtype=np.int64)
    coarse = simulate_autoscaler(daily, 86400.0, config, proposals)
    fine = simulate_autoscaler(minutes, 60.0, config, np.repeat(proposals, 1440))
    assert coarse.replica_seconds.sum() == pytest.approx(fine.replica_seconds.sum())
    assert coarse.unserved.sum() == pytest.approx(fine.unserved.sum(), abs=1e-6)
    assert coarse.violation_seconds.sum() == pytest.approx(fine.violation_seconds.sum())
    assert list(coarse.replicas) == list(fine.replicas[1439::1440])
