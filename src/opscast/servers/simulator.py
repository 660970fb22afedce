"""Ticks of a simulated fleet: metrics from ``opscast.simulate`` and the states they imply.

A fleet's metrics are one deterministic trace per episode (``EPISODE_DAYS`` days at
``step_minutes``, from a seed) made by ``simulate_fleet``, whose hosts may carry a
failure precursor (a leak, a filling disk, a saturating pool, a runaway process) that
crosses its limit at a known time. A tick advances through the trace by ``steps``
points, so consecutive ticks see continuous metrics and a precursor that started in
one tick can fail in the next.

A server's state is read off its metrics the way an operator would: the highest
metric-to-limit ratio (CPU, memory and disk against 100 %, connections against the
pool) at or above ``degraded_at`` is DEGRADED (leaving it needs a small margin, so
noise at the line does not flap), at the limit it is FAILED. The host restarts after
a failure, so with ``auto_recover`` a failed server goes RECOVERING on the next step
and RUNNING once its metrics are normal. Every move is checked against the lifecycle
table. Pure: frames in, frames and transitions out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from opscast.servers.lifecycle import ServerState, refusal
from opscast.simulate import Fleet, simulate_fleet

MINUTES_PER_DAY = 1440
EPISODE_DAYS = 7
RECOVERY_MARGIN = 0.05
LIMITED_METRICS = ("cpu_pct", "memory_pct", "disk_pct", "connections")


@dataclass(frozen=True, slots=True)
class Transition:
    server: str
    ds: pd.Timestamp
    from_state: ServerState
    to_state: ServerState
    reason: str


@dataclass(frozen=True, slots=True)
class TickResult:
    """``metrics`` in long format (``unique_id`` = ``<server>:<metric>``, plus ``server``)."""

    metrics: pd.DataFrame
    transitions: list[Transition]
    states: dict[str, ServerState]
    last_metrics: dict[str, dict[str, float]]


def _load_ratios(metrics: pd.DataFrame, pools: dict[str, float]) -> pd.DataFrame:
    """Per host and time, each limited metric as a share of its limit (wide: one column each)."""
    limited = metrics[metrics["metric"].isin(LIMITED_METRICS)]
    wide = limited.pivot_table(index=["host", "ds"], columns="metric", values="y")
    limits = pd.DataFrame(
        {name: 100.0 for name in LIMITED_METRICS if name != "connections"},
        index=wide.index,
    )
    limits["connections"] = wide.index.get_level_values("host").map(pools).to_numpy(float)
    return wide[list(LIMITED_METRICS)] / limits[list(LIMITED_METRICS)]


def _observed(ratio: float, state: ServerState, degraded_at: float) -> ServerState:
    """What the metrics show; leaving DEGRADED needs a margin so noise at the line cannot flap."""
    if ratio >= 1.0:
        return ServerState.FAILED
    threshold = degraded_at - RECOVERY_MARGIN if state == ServerState.DEGRADED else degraded_at
    if ratio >= threshold:
        return ServerState.DEGRADED
    return ServerState.RUNNING


REASONS = {
    ServerState.RUNNING: "metrics back to normal",
    ServerState.DEGRADED: "a metric is close to its limit",
    ServerState.FAILED: "a metric reached its limit",
}


def _next(
    state: ServerState, observed: ServerState, auto_recover: bool
) -> tuple[ServerState, str] | None:
    """The move one step makes from ``state`` given what the metrics show, or None."""
    if state == ServerState.BOOTING:
        return ServerState.RUNNING, "boot completed"
    if state == ServerState.FAILED:
        return (ServerState.RECOVERING, "host restarted") if auto_recover else None
    if state == ServerState.RECOVERING:
        return {
            ServerState.RUNNING: (ServerState.RUNNING, "recovered"),
            ServerState.FAILED: (ServerState.FAILED, "failed again"),
        }.get(observed)
    if state in (ServerState.STOPPED, observed):
        return None
    return observed, REASONS[observed]


def episode_steps(step_minutes: int) -> int:
    return EPISODE_DAYS * MINUTES_PER_DAY // step_minutes


@lru_cache(maxsize=4)
def fleet_trace(
    hosts: int, *, start: pd.Timestamp, step_minutes: int, failure_share: float, seed: int
) -> Fleet:
    """One episode of the fleet; cached, since consecutive ticks read the same trace."""
    if not 1 <= step_minutes <= MINUTES_PER_DAY:
        raise ValueError(f"step_minutes must lie between 1 and {MINUTES_PER_DAY}")
    return simulate_fleet(
        hosts=hosts,
        start=str(start),
        days=EPISODE_DAYS,
        freq=f"{step_minutes}min",
        failure_share=failure_share,
        seed=seed,
    )


def advance(
    servers: Sequence[tuple[str, ServerState]],
    fleet: Fleet,
    *,
    position: int,
    steps: int,
    degraded_at: float = 0.85,
    auto_recover: bool = True,
) -> TickResult:
    """Move ``servers`` (the trace's hosts, in order) through points ``position..+steps``."""
    if len(servers) != len(fleet.hosts):
        raise ValueError("the trace has a different number of hosts than the fleet")
    if not 0.0 < degraded_at < 1.0:
        raise ValueError("degraded_at must lie strictly between 0 and 1")
    axis = np.sort(fleet.metrics["ds"].unique())
    window = axis[position : position + steps]
    names = dict(zip(fleet.hosts["host"], (name for name, _ in servers), strict=True))
    metrics = fleet.metrics[fleet.metrics["ds"].isin(window)]
    pools = dict(zip(fleet.hosts["host"], fleet.hosts["pool_size"].astype(float), strict=True))
    kinds = dict(zip(fleet.failures["host"], fleet.failures["kind"], strict=True))
    states = dict(servers)
    transitions: list[Transition] = []
    if metrics.empty:
        return TickResult(metrics.assign(server=pd.Series(dtype=str)), [], states, {})
    ratios = _load_ratios(metrics, pools)
    for host, host_ratios in ratios.groupby(level="host", sort=False):
        server = names[str(host)]
        times = host_ratios.index.get_level_values("ds")
        for ds, row in zip(times, host_ratios.to_numpy(), strict=True):
            worst = int(np.argmax(row))
            observed = _observed(float(row[worst]), states[server], degraded_at)
            move = _next(states[server], observed, auto_recover)
            if move is None:
                continue
            target, reason = move
            if target == ServerState.FAILED:
                metric = LIMITED_METRICS[worst]
                reason = f"{metric} reached its limit ({kinds.get(host, 'unexplained')})"
            elif target == ServerState.DEGRADED:
                reason = f"{LIMITED_METRICS[worst]} at {row[worst]:.0%} of its limit"
            refused = refusal(states[server], target)
            if refused:  # the rules above only make allowed moves
                raise AssertionError(refused)
            transitions.append(Transition(server, pd.Timestamp(ds), states[server], target, reason))
            states[server] = target
    running = {name for name, state in servers if state != ServerState.STOPPED}
    out = metrics.assign(server=metrics["host"].map(names))
    out = out[out["server"].isin(running)]
    out = out.assign(unique_id=out["server"] + ":" + out["metric"])
    last = out.sort_values("ds").groupby(["server", "metric"], as_index=False)["y"].last()
    last_metrics: dict[str, dict[str, float]] = {}
    for server, metric, value in zip(last["server"], last["metric"], last["y"], strict=True):
        last_metrics.setdefault(str(server), {})[str(metric)] = round(float(value), 3)
    transitions.sort(key=lambda t: (t.ds, t.server))
    return TickResult(
        out[["unique_id", "ds", "y", "server"]].reset_index(drop=True),
        transitions,
        states,
        last_metrics,
    )
