"""Replay a traffic series through a scaling policy, one autoscaler sync at a time.

Load is requests per step, spread evenly over the step. Every sync period (15 s) the
autoscaler sees the load per ready replica and sets a replica count; replicas it adds
are paid from that moment but serve only after the provisioning delay, replicas it
removes stop at once, pods still starting first (a ReplicaSet deletes unready pods
before ready ones). Each sync interval, the ready replicas serve up to their capacity
and the rest of the demand is unserved; an interval with unserved demand counts
against the SLA.

Within a step the load is constant, so once the controller has repeated the same
decision on the same inputs for longer than it remembers anything, every further sync
of the step repeats it too; those syncs are added up at once instead of replayed,
which makes day-long steps as cheap as minute-long ones and changes no result.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from opscast.scaling.hpa import (
    DEFAULT_SYNC_PERIOD,
    DEFAULT_TOLERANCE,
    HorizontalAutoscaler,
    HPAConfig,
    ScalingRules,
    default_scale_down,
    default_scale_up,
)
from opscast.scaling.oracle import oracle_replica_seconds
from opscast.scaling.predictive import replicas_for_rate

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# a sync interval whose unserved demand is below this many requests is not a violation:
# floating-point dust, not a dropped request
UNSERVED_EPSILON = 1e-6


@dataclass(frozen=True, slots=True)
class ScalingSettings:
    """Everything a policy and the cost model need; defaults are documented in docs/scaling.md."""

    min_replicas: int = 1
    max_replicas: int = 50
    capacity_per_replica: float = 1.0  # requests per second one replica serves at 100 %
    target_utilization: float = 0.7
    price_per_replica_hour: float = 0.10
    provisioning_delay: float = 120.0  # seconds from asking for a replica to it serving
    forecast_buffer: float = 60.0  # seconds of lead beyond the provisioning delay
    forecast_level: float = 0.9  # quantile of the forecast's upper bound
    sync_period: float = DEFAULT_SYNC_PERIOD
    tolerance: float = DEFAULT_TOLERANCE
    scale_up: ScalingRules = field(default_factory=default_scale_up)
    scale_down: ScalingRules = field(default_factory=default_scale_down)

    def __post_init__(self) -> None:
        checks = (
            ("min_replicas", self.min_replicas >= 1, "must be at least 1"),
            (
                "min_replicas",
                self.max_replicas >= self.min_replicas,
                f"({self.min_replicas}) must not exceed max_replicas ({self.max_replicas})",
            ),
            ("capacity_per_replica", self.capacity_per_replica > 0, "must be positive"),
            ("target_utilization", 0 < self.target_utilization <= 1, "must be in (0, 1]"),
            ("price_per_replica_hour", self.price_per_replica_hour >= 0, "must be >= 0"),
            ("provisioning_delay", self.provisioning_delay >= 0, "must be >= 0"),
            ("forecast_buffer", self.forecast_buffer >= 0, "must be >= 0"),
            ("forecast_level", 0 < self.forecast_level < 1, "must be in (0, 1)"),
            ("sync_period", self.sync_period > 0, "must be positive"),
            ("tolerance", 0 <= self.tolerance < 1, "must be in [0, 1)"),
        )
        for name, ok, advice in checks:
            if not ok:
                raise SettingError(name, f"{name} {advice}")

    def hpa(self) -> HPAConfig:
        return HPAConfig(
            min_replicas=self.min_replicas,
            max_replicas=self.max_replicas,
            target_per_replica=self.capacity_per_replica * self.target_utilization,
            tolerance=self.tolerance,
            scale_up=self.scale_up,
            scale_down=self.scale_down,
        )


class SettingError(ValueError):
    """A setting out of range; ``field`` names it so the API can say which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Timeline:
    """Per step of the series: what the policy paid for and what it served."""

    replica_seconds: FloatArray  # paid, starting replicas included
    capacity: FloatArray  # requests the ready replicas could serve
    unserved: FloatArray  # requests beyond that capacity
    violation_seconds: FloatArray  # time with unserved demand
    replicas: IntArray  # replicas (paid) at the end of the step


def initial_replicas(rate: float, settings: ScalingSettings) -> int:
    """The count every policy starts from, warm: what the first step needs at the target."""
    return int(
        replicas_for_rate(
            np.array([rate]),
            settings.capacity_per_replica,
            settings.target_utilization,
            settings.min_replicas,
            settings.max_replicas,
        )[0]
    )


class _Fleet:
    """Ready replicas and the ones still starting, with the order in which they go."""

    def __init__(self, ready: int, delay_ticks: int) -> None:
        self.ready = ready
        self.delay_ticks = delay_ticks
        self.starting: deque[list[int]] = deque()  # [tick it becomes ready, count], oldest first
        self.starting_count = 0

    @property
    def total(self) -> int:
        return self.ready + self.starting_count

    def advance(self, now: int) -> None:
        while self.starting and self.starting[0][0] <= now:
            count = self.starting.popleft()[1]
            self.ready += count
            self.starting_count -= count

    def resize(self, desired: int, now: int) -> None:
        current = self.total
        if desired > current:
            self.starting.append([now + self.delay_ticks, desired - current])
            self.starting_count += desired - current
            return
        surplus = current - desired
        while surplus and self.starting:  # the newest starting pods go first
            cut = min(surplus, self.starting[-1][1])
            self.starting[-1][1] -= cut
            self.starting_count -= cut
            surplus -= cut
            if not self.starting[-1][1]:
                self.starting.pop()
        self.ready -= surplus


def _memory_ticks(settings: ScalingSettings) -> int:
    """Syncs the controller remembers: its longest stabilization window or rate period."""
    rules = (settings.scale_up, settings.scale_down)
    longest = max(
        *(r.stabilization_window_seconds for r in rules),
        *(p.period_seconds for r in rules for p in r.policies),
    )
    return math.ceil(longest / settings.sync_period) + 1


def simulate_autoscaler(
    load: FloatArray,
    step_seconds: float,
    settings: ScalingSettings,
    forecast_replicas: IntArray | None = None,
) -> Timeline:
    """Replay ``load`` (requests per step) through the HPA, with a predictive proposal per
    step when ``forecast_replicas`` is given."""
    if step_seconds < settings.sync_period or step_seconds % settings.sync_period:
        raise SettingError(
            "sync_period",
            f"sync_period ({settings.sync_period:g} s) must divide the step of the series "
            f"({step_seconds:g} s); the HPA's default is 15",
        )
    n = len(load)
    syncs_per_step = int(step_seconds // settings.sync_period)
    tick = settings.sync_period
    hpa = HorizontalAutoscaler(settings.hpa())
    memory_ticks = _memory_ticks(settings)
    rates = load / step_seconds
    fleet = _Fleet(
        initial_replicas(float(rates[0]) if n else 0.0, settings),
        math.ceil(settings.provisioning_delay / tick),
    )
    out = Timeline(np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n, np.int64))
    now = 0
    for step in range(n):
        rate = float(rates[step])
        floor = int(forecast_replicas[step]) if forecast_replicas is not None else 0
        demand = rate * tick
        repeats = 0
        previous: tuple[int, int] | None = None
        done = 0
        while done < syncs_per_step:
            fleet.advance(now)
            current = fleet.total
            desired = hpa.sync(now * tick, current, fleet.ready, rate, floor)
            fleet.resize(desired, now)
            served = fleet.ready * settings.capacity_per_replica * tick
            state = (fleet.ready, fleet.starting_count)
            repeats = repeats + 1 if (desired == current and state == previous) else 0
            previous = state
            # identical syncs: the rest of the step repeats this one exactly
            times = 1
            if repeats >= memory_ticks and not fleet.starting:
                times = syncs_per_step - done
                hpa.shift((times - 1) * tick)
            out.replica_seconds[step] += fleet.total * tick * times
            out.capacity[step] += served * times
            if demand - served > UNSERVED_EPSILON:
                out.unserved[step] += (demand - served) * times
                out.violation_seconds[step] += tick * times
            done += times
            now += times
        out.replicas[step] = fleet.total
    return out


def simulate_oracle(load: FloatArray, step_seconds: float, settings: ScalingSettings) -> Timeline:
    """The perfect-foresight schedule: every step served at 100 % utilization when ``max``
    allows, replicas started exactly one provisioning delay ahead."""
    rates = load / step_seconds
    wanted = np.ceil(rates / settings.capacity_per_replica - 1e-9)
    need = np.clip(wanted, settings.min_replicas, settings.max_replicas).astype(np.int64)
    initial = initial_replicas(float(rates[0]) if len(rates) else 0.0, settings)
    paid = oracle_replica_seconds(need, step_seconds, settings.provisioning_delay, initial)
    capacity = need * settings.capacity_per_replica * step_seconds
    unserved = np.maximum(load - capacity, 0.0)
    violation = np.where(unserved > UNSERVED_EPSILON, step_seconds, 0.0)
    return Timeline(paid, capacity.astype(np.float64), unserved, violation, need)
