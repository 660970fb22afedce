"""Reactive HPA, predictive and oracle over one traffic series, and what separates them.

Two policies seldom tie on both cost and SLA, so a saving in money alone would reward
the policy that drops the most requests. Besides the plain figures this therefore finds
the reactive autoscaler's *equal-SLA cost*: the HPA is rerun with lower target
utilizations (5 points at a time) until it is out of SLA no longer than the predictive
policy; what that costs is what a reactive-only team would pay for the same service.
The share of the gap closed compares that cost with the predictive policy's and the
oracle's, the cheapest schedule that serves everything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from opscast.scaling.bursts import Episode, detect_bursts, episodes
from opscast.scaling.cost import Outcome, gap_closed, summarize
from opscast.scaling.forecast_bound import lead_window_forecast
from opscast.scaling.predictive import lead_steps, predictive_replicas
from opscast.scaling.simulation import (
    ScalingSettings,
    Timeline,
    simulate_autoscaler,
    simulate_oracle,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
SECONDS_PER_DAY = 86400
EQUAL_SLA_STEP = 0.05
LOWEST_TARGET = 0.1


class PredictiveMode(StrEnum):
    """As in AWS predictive scaling: act on the forecast, or only say what it would do."""

    forecast_and_scale = "forecast_and_scale"
    forecast_only = "forecast_only"


POLICIES = ("reactive", "predictive", "oracle")
STAGES = ("forecast", "reactive", "predictive", "oracle", "equal_sla", "episodes")


def season_length(step_seconds: float) -> int:
    """Steps per day for intraday series, per week for daily ones: traffic's main cycle."""
    if step_seconds >= SECONDS_PER_DAY:
        return max(2, round(7 * SECONDS_PER_DAY / step_seconds))
    return max(2, round(SECONDS_PER_DAY / step_seconds))


@dataclass(frozen=True, slots=True)
class EpisodeReport:
    episode: Episode
    peak_load: float
    unserved: dict[str, float]
    sla_violation_minutes: dict[str, float]
    peak_replicas: dict[str, int]


@dataclass(frozen=True, slots=True)
class EqualSLA:
    target_utilization: float
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Comparison:
    timelines: dict[str, Timeline]
    outcomes: dict[str, Outcome]
    recommended: IntArray  # the predictive proposal per step
    upper_bound: FloatArray  # requests per step the forecast allowed for
    reactive_equal_sla: EqualSLA | None
    episodes: list[EpisodeReport]

    @property
    def savings(self) -> float:
        """Predictive over reactive, in money (negative: predictive costs more)."""
        return self.outcomes["reactive"].cost - self.outcomes["predictive"].cost

    @property
    def savings_at_equal_sla(self) -> float | None:
        if self.reactive_equal_sla is None:
            return None
        return self.reactive_equal_sla.outcome.cost - self.outcomes["predictive"].cost

    @property
    def sla_gap_closed(self) -> float | None:
        o = self.outcomes
        return gap_closed(
            o["reactive"].sla_violation_minutes,
            o["predictive"].sla_violation_minutes,
            o["oracle"].sla_violation_minutes,
        )

    @property
    def cost_gap_closed(self) -> float | None:
        """Of the equal-SLA reactive cost's excess over the oracle, the share predictive saves."""
        if self.reactive_equal_sla is None:
            return None
        return gap_closed(
            self.reactive_equal_sla.outcome.cost,
            self.outcomes["predictive"].cost,
            self.outcomes["oracle"].cost,
        )


def compare(
    load: FloatArray,
    step_seconds: float,
    settings: ScalingSettings,
    *,
    is_burst: npt.NDArray[np.bool_] | None = None,
    is_event: npt.NDArray[np.bool_] | None = None,
    mode: PredictiveMode = PredictiveMode.forecast_and_scale,
    equal_sla: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Comparison:
    """``progress`` hears the name of each stage as it starts (for a progress bar)."""
    if len(load) == 0:
        raise ValueError("the series is empty")
    tell = progress or (lambda _stage: None)
    tell("forecast")
    season = season_length(step_seconds)
    lead = min(
        lead_steps(settings.provisioning_delay, settings.forecast_buffer, step_seconds), season - 1
    )
    expected, upper = lead_window_forecast(load, season, lead, settings.forecast_level)
    recommended = predictive_replicas(expected / step_seconds, upper / step_seconds, settings)
    tell("reactive")
    reactive = simulate_autoscaler(load, step_seconds, settings)
    tell("predictive")
    predictive = (
        simulate_autoscaler(load, step_seconds, settings, recommended)
        if mode is PredictiveMode.forecast_and_scale
        else reactive
    )
    tell("oracle")
    oracle = simulate_oracle(load, step_seconds, settings)
    timelines = {"reactive": reactive, "predictive": predictive, "oracle": oracle}
    price = settings.price_per_replica_hour
    outcomes = {name: summarize(timeline, load, price) for name, timeline in timelines.items()}
    matched = reactive_at_equal_sla(load, step_seconds, settings, outcomes) if equal_sla else None
    tell("episodes")
    found = _episodes(load, season, is_burst, is_event)
    reports = [_report(episode, load, timelines) for episode in found]
    return Comparison(timelines, outcomes, recommended, upper, matched, reports)


def reactive_at_equal_sla(
    load: FloatArray, step_seconds: float, settings: ScalingSettings, outcomes: dict[str, Outcome]
) -> EqualSLA | None:
    """The HPA at the highest target utilization (in 5-point steps) that is out of SLA no
    longer than the predictive policy; None if even a 10 % target is not enough."""
    goal = outcomes["predictive"].sla_violation_minutes
    reactive = outcomes["reactive"]
    if reactive.sla_violation_minutes <= goal:
        return EqualSLA(settings.target_utilization, reactive)
    target = settings.target_utilization - EQUAL_SLA_STEP
    while target >= LOWEST_TARGET - 1e-9:
        trial = replace(settings, target_utilization=round(target, 4))
        outcome = summarize(
            simulate_autoscaler(load, step_seconds, trial), load, settings.price_per_replica_hour
        )
        if outcome.sla_violation_minutes <= goal:
            return EqualSLA(trial.target_utilization, outcome)
        target -= EQUAL_SLA_STEP
    return None


def _episodes(
    load: FloatArray,
    season: int,
    is_burst: npt.NDArray[np.bool_] | None,
    is_event: npt.NDArray[np.bool_] | None,
) -> list[Episode]:
    found: list[Episode] = []
    if is_burst is not None:
        found += episodes(is_burst, "burst", "flagged")
    else:
        found += episodes(detect_bursts(load, max(5, season // 24)), "burst", "detected")
    if is_event is not None:
        found += episodes(is_event, "event", "flagged")
    return sorted(found, key=lambda episode: (episode.start, episode.kind))


def _report(episode: Episode, load: FloatArray, timelines: dict[str, Timeline]) -> EpisodeReport:
    span = slice(episode.start, episode.end)
    return EpisodeReport(
        episode=episode,
        peak_load=float(load[span].max()),
        unserved={name: float(t.unserved[span].sum()) for name, t in timelines.items()},
        sla_violation_minutes={
            name: float(t.violation_seconds[span].sum()) / 60 for name, t in timelines.items()
        },
        peak_replicas={name: int(t.replicas[span].max()) for name, t in timelines.items()},
    )
