"""Ticks through a simulated fleet trace: moves follow the metrics and the lifecycle table."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.servers.lifecycle import ServerState, refusal
from opscast.servers.simulator import advance, episode_steps, fleet_trace

START = pd.Timestamp("2025-03-01")


def fleet(states: list[ServerState]) -> list[tuple[str, ServerState]]:
    return [(f"n{i}", state) for i, state in enumerate(states)]


def test_failures_happen_where_the_trace_crosses_a_limit() -> None:
    run = fleet_trace(4, start=START, step_minutes=10, failure_share=1.0, seed=3)
    servers = fleet([ServerState.RUNNING] * 4)
    result = advance(servers, run, position=0, steps=episode_steps(10))
    failed = {(t.server, t.ds) for t in result.transitions if t.to_state == ServerState.FAILED}
    inside = run.failures[run.failures["failure_at"] < START + pd.Timedelta(days=7)]
    host_to_server = dict(zip(run.hosts["host"], (name for name, _ in servers), strict=True))
    expected = {
        (host_to_server[h], t) for h, t in zip(inside["host"], inside["failure_at"], strict=True)
    }
    assert failed == expected
    assert failed, "seed 3 with every host faulty must fail someone inside the week"


@settings(max_examples=15, deadline=None)
@given(
    hosts=st.integers(min_value=1, max_value=5),
    seed=st.integers(min_value=0, max_value=10_000),
    share=st.floats(min_value=0.0, max_value=1.0),
    degraded_at=st.floats(min_value=0.5, max_value=0.95),
    auto_recover=st.booleans(),
)
def test_every_move_is_allowed_and_chains_per_server(
    hosts: int, seed: int, share: float, degraded_at: float, auto_recover: bool
) -> None:
    run = fleet_trace(hosts, start=START, step_minutes=30, failure_share=share, seed=seed)
    servers = fleet([ServerState.BOOTING, *[ServerState.RUNNING] * (hosts - 1)])
    result = advance(
        servers,
        run,
        position=0,
        steps=episode_steps(30),
        degraded_at=degraded_at,
        auto_recover=auto_recover,
    )
    current = dict(servers)
    for move in result.transitions:
        assert move.from_state == current[move.server]
        assert refusal(move.from_state, move.to_state) is None
        current[move.server] = move.to_state
    assert current == result.states
    assert len(result.metrics) == hosts * 5 * episode_steps(30)


def test_ticks_continue_where_the_last_one_stopped() -> None:
    run = fleet_trace(3, start=START, step_minutes=10, failure_share=1.0, seed=5)
    servers = fleet([ServerState.RUNNING] * 3)
    whole = advance(servers, run, position=0, steps=300)
    first = advance(servers, run, position=0, steps=100)
    second = advance(list(first.states.items()), run, position=100, steps=200)
    assert [*first.transitions, *second.transitions] == whole.transitions
    assert (
        pd.concat([first.metrics, second.metrics])
        .sort_values(["unique_id", "ds"])
        .reset_index(drop=True)
        .equals(whole.metrics.sort_values(["unique_id", "ds"]).reset_index(drop=True))
    )


def test_stopped_servers_neither_move_nor_report() -> None:
    run = fleet_trace(2, start=START, step_minutes=10, failure_share=1.0, seed=3)
    result = advance(fleet([ServerState.STOPPED, ServerState.BOOTING]), run, position=0, steps=50)
    assert all(t.server == "n1" for t in result.transitions)
    assert set(result.metrics["server"]) == {"n1"}
    assert result.transitions[0].to_state == ServerState.RUNNING
    assert set(result.last_metrics) == {"n1"}


def test_without_auto_recover_a_failed_server_stays_failed() -> None:
    run = fleet_trace(4, start=START, step_minutes=10, failure_share=1.0, seed=3)
    result = advance(
        fleet([ServerState.RUNNING] * 4),
        run,
        position=0,
        steps=episode_steps(10),
        auto_recover=False,
    )
    failed = {t.server for t in result.transitions if t.to_state == ServerState.FAILED}
    assert failed
    assert all(result.states[name] == ServerState.FAILED for name in failed)


def test_bad_arguments() -> None:
    run = fleet_trace(2, start=START, step_minutes=10, failure_share=0.0, seed=1)
    with pytest.raises(ValueError, match="number of hosts"):
        advance(fleet([ServerState.RUNNING]), run, position=0, steps=5)
    with pytest.raises(ValueError, match="degraded_at"):
        advance(fleet([ServerState.RUNNING] * 2), run, position=0, steps=5, degraded_at=1.0)
    with pytest.raises(ValueError, match="step_minutes"):
        fleet_trace(2, start=START, step_minutes=0, failure_share=0.0, seed=1)
