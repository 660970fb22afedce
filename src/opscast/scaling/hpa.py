"""The Kubernetes Horizontal Pod Autoscaler (autoscaling/v2), one sync at a time.

Written by hand because the controller exists only as Go inside kube-controller-manager;
a reactive baseline is only believable if it is the algorithm people run, so this follows
``pkg/controller/podautoscaler`` step for step:

- replica calculator: ``ratio = metric / target``; no change while ``|1 - ratio| <=
  tolerance`` (0.1); otherwise ``ceil(ratio * ready)``. Pods that are still starting have
  no metric yet: on a scale-up they count as using nothing, on a scale-down as using
  exactly the target, and the proposal is dropped when that flips the direction or lands
  inside the tolerance.
- stabilization: the recommendation is held between the lowest recommendation of the
  scale-up window (default 0 s) and the highest of the scale-down window (default 300 s).
- rate policies: per direction, ``Pods`` (add or remove N) or ``Percent`` (of the
  replicas at the start of the period), each over ``periodSeconds``; ``selectPolicy``
  ``Max`` takes the policy allowing the biggest change, ``Min`` the smallest,
  ``Disabled`` forbids scaling that way. Defaults: up ``max(100 %, 4 pods) per 15 s``,
  down ``100 % per 15 s``.
- ``minReplicas``/``maxReplicas`` bound the result.

The metric is the offered load per ready replica (an ``AverageValue`` pods metric such
as requests per second), so it is not capped at 100 % as CPU would be.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

DEFAULT_TOLERANCE = 0.1
DEFAULT_SYNC_PERIOD = 15.0
DEFAULT_SCALE_DOWN_WINDOW = 300.0


class PolicyType(StrEnum):
    pods = "Pods"
    percent = "Percent"


class SelectPolicy(StrEnum):
    max = "Max"
    min = "Min"
    disabled = "Disabled"


@dataclass(frozen=True, slots=True)
class RatePolicy:
    type: PolicyType
    value: int
    period_seconds: float


@dataclass(frozen=True, slots=True)
class ScalingRules:
    stabilization_window_seconds: float
    policies: tuple[RatePolicy, ...]
    select_policy: SelectPolicy = SelectPolicy.max


def default_scale_up() -> ScalingRules:
    return ScalingRules(
        0.0,
        (RatePolicy(PolicyType.percent, 100, 15.0), RatePolicy(PolicyType.pods, 4, 15.0)),
    )


def default_scale_down() -> ScalingRules:
    return ScalingRules(DEFAULT_SCALE_DOWN_WINDOW, (RatePolicy(PolicyType.percent, 100, 15.0),))


@dataclass(frozen=True, slots=True)
class HPAConfig:
    min_replicas: int
    max_replicas: int
    target_per_replica: float  # the metric's target average value per ready replica
    tolerance: float = DEFAULT_TOLERANCE
    scale_up: ScalingRules = field(default_factory=default_scale_up)
    scale_down: ScalingRules = field(default_factory=default_scale_down)

    def __post_init__(self) -> None:
        if not 1 <= self.min_replicas <= self.max_replicas:
            raise ValueError("need 1 <= min_replicas <= max_replicas")
        if not self.target_per_replica > 0:
            raise ValueError("target_per_replica must be positive")


def metric_replicas(
    current: int, ready: int, load: float, target_per_replica: float, tolerance: float
) -> int:
    """The replica calculator's proposal for a pods metric (``calcPlainMetricReplicas``).

    ``current`` is the scale's replica count, ``ready`` the pods reporting a metric (the
    others are starting and report none), ``load`` the sum of the metric over ready pods.
    """
    if ready <= 0:
        return current  # no pod reports a metric: the controller skips the sync
    ratio = load / (ready * target_per_replica)
    missing = current - ready
    if missing <= 0:
        if abs(1.0 - ratio) <= tolerance:
            return current
        return math.ceil(ratio * ready)
    # pods without a metric: at the target on a scale-down, idle on a scale-up
    assumed = missing * target_per_replica if ratio < 1.0 else 0.0
    new_ratio = (load + assumed) / (current * target_per_replica)
    if abs(1.0 - new_ratio) <= tolerance or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
        return current
    proposal = math.ceil(new_ratio * current)
    if (new_ratio < 1.0 and proposal > current) or (new_ratio > 1.0 and proposal < current):
        return current
    return proposal


@dataclass(slots=True)
class _Event:
    time: float
    change: int


def _changed_within(events: deque[_Event], now: float, period: float) -> int:
    return sum(event.change for event in events if event.time > now - period)


class HorizontalAutoscaler:
    """The controller's memory (recent recommendations and scale events) and its sync step."""

    def __init__(self, config: HPAConfig) -> None:
        self.config = config
        self._recommendations: deque[tuple[float, int]] = deque()
        self._ups: deque[_Event] = deque()
        self._downs: deque[_Event] = deque()
        self._memory = max(
            config.scale_up.stabilization_window_seconds,
            config.scale_down.stabilization_window_seconds,
            *(p.period_seconds for p in config.scale_up.policies),
            *(p.period_seconds for p in config.scale_down.policies),
        )

    def sync(
        self, now: float, current: int, ready: int, load: float, forecast_replicas: int = 0
    ) -> int:
        """Replicas the controller sets at time ``now`` (seconds) given the observed load.

        ``forecast_replicas`` is a second metric's proposal (the predictive policy's): like
        the controller with several metrics, the larger proposal goes on to stabilization
        and the rate policies.
        """
        config = self.config
        if current > config.max_replicas:
            desired = config.max_replicas
        elif current < config.min_replicas:
            desired = config.min_replicas
        else:
            proposal = metric_replicas(
                current, ready, load, config.target_per_replica, config.tolerance
            )
            proposal = max(proposal, forecast_replicas)
            stabilized = self._stabilize(now, current, proposal)
            desired = self._limit_rate(now, current, stabilized)
        self._record(now, current, desired)
        return desired

    def _stabilize(self, now: float, current: int, proposal: int) -> int:
        up_cutoff = now - self.config.scale_up.stabilization_window_seconds
        down_cutoff = now - self.config.scale_down.stabilization_window_seconds
        up = down = proposal
        for time, recommendation in self._recommendations:
            if time > up_cutoff:
                up = min(up, recommendation)
            if time > down_cutoff:
                down = max(down, recommendation)
        self._recommendations.append((now, proposal))
        return min(max(current, up), down)

    def _limit_rate(self, now: float, current: int, desired: int) -> int:
        config = self.config
        if desired > current:
            limit = max(current, self._scale_up_limit(now, current))
            return min(desired, config.max_replicas, limit)
        if desired < current:
            limit = min(current, self._scale_down_limit(now, current))
            return max(desired, config.min_replicas, limit)
        return desired

    def _period_start(self, now: float, current: int, period: float) -> int:
        added = _changed_within(self._ups, now, period)
        removed = _changed_within(self._downs, now, period)
        return current - added + removed

    def _scale_up_limit(self, now: float, current: int) -> int:
        rules = self.config.scale_up
        if rules.select_policy is SelectPolicy.disabled:
            return current
        proposals = []
        for policy in rules.policies:
            start = self._period_start(now, current, policy.period_seconds)
            if policy.type is PolicyType.pods:
                proposals.append(start + policy.value)
            else:  # rounded up, or a small deployment could never grow
                proposals.append(math.ceil(start * (1 + policy.value / 100)))
        return max(proposals) if rules.select_policy is SelectPolicy.max else min(proposals)

    def _scale_down_limit(self, now: float, current: int) -> int:
        rules = self.config.scale_down
        if rules.select_policy is SelectPolicy.disabled:
            return current
        proposals = []
        for policy in rules.policies:
            start = self._period_start(now, current, policy.period_seconds)
            if policy.type is PolicyType.pods:
                proposals.append(start - policy.value)
            else:  # truncated toward zero, as the controller's int32 conversion does
                proposals.append(int(start * (1 - policy.value / 100)))
        # the biggest change down is the lowest count
        return min(proposals) if rules.select_policy is SelectPolicy.max else max(proposals)

    def _record(self, now: float, current: int, desired: int) -> None:
        if desired > current:
            self._ups.append(_Event(now, desired - current))
        elif desired < current:
            self._downs.append(_Event(now, current - desired))
        horizon = now - self._memory
        for queue in (self._ups, self._downs):
            while queue and queue[0].time <= horizon:
                queue.popleft()
        while self._recommendations and self._recommendations[0][0] <= horizon:
            self._recommendations.popleft()

    def shift(self, seconds: float) -> None:
        """Move the remembered recommendations forward in time.

        Valid after syncs with identical inputs spanning the controller's memory: then every
        skipped sync would have recorded the same recommendation and no scale event."""
        self._recommendations = deque(
            (time + seconds, value) for time, value in self._recommendations
        )
