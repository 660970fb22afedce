"""Ticket priority: the ITIL impact x urgency matrix, or an estimate of both from the text.

Impact (how much of the business is hit) and urgency (how soon it hurts) run from 1
(high) to 3 (low). ITIL's priority is ``impact + urgency - 1`` on 1-5, which opscast
maps onto the three levels clients see:

| priority | 1 critical | 2 high | 3 medium | 4 low | 5 planning |
| --- | --- | --- | --- | --- | --- |
| level | high | high | medium | low | low |

When a person gave impact and urgency they are used as given. A missing one is
estimated from the text cues of the rules file: a wide scope ("all users", "production"),
data loss or a security event raise impact to 1; an outage or a degradation is
impact 2 (one system); anything else touches one person (3). An outage, data loss or
a security event is urgency 1, a degradation 2, anything else 3. So "Server down /
All servers unreachable" is impact 1, urgency 1: priority 1, high.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from opscast.tickets.rules import RuleSet

PriorityLevel = Literal["high", "medium", "low"]
LEVELS: tuple[PriorityLevel, ...] = ("high", "medium", "low")
# ITIL priority 1..5 -> level shown to clients
LEVEL_OF_PRIORITY: dict[int, PriorityLevel] = {
    1: "high",
    2: "high",
    3: "medium",
    4: "low",
    5: "low",
}
SCALE = (1, 2, 3)


def itil_priority(impact: int, urgency: int) -> int:
    if impact not in SCALE or urgency not in SCALE:
        raise ValueError("impact and urgency run from 1 (high) to 3 (low)")
    return impact + urgency - 1


@dataclass(frozen=True, slots=True)
class PriorityScore:
    level: PriorityLevel
    itil_priority: int
    impact: int
    urgency: int
    estimated: tuple[str, ...]
    reasons: tuple[str, ...]


def estimate_impact(found: dict[str, tuple[str, ...]]) -> int:
    if found["scope"] or found["data_loss"] or found["security"]:
        return 1
    if found["outage"] or found["degraded"]:
        return 2
    return 3


def estimate_urgency(found: dict[str, tuple[str, ...]]) -> int:
    if found["outage"] or found["data_loss"] or found["security"]:
        return 1
    if found["degraded"]:
        return 2
    return 3


def score_priority(
    text: str, rules: RuleSet, *, impact: int | None = None, urgency: int | None = None
) -> PriorityScore:
    """Priority from the matrix; what was not given is estimated from ``text``."""
    found = rules.cues_found(text)
    estimated: list[str] = []
    if impact is None:
        impact = estimate_impact(found)
        estimated.append("impact")
    if urgency is None:
        urgency = estimate_urgency(found)
        estimated.append("urgency")
    priority = itil_priority(impact, urgency)
    reasons = tuple(f"{name}: {cue}" for name, cues in found.items() for cue in cues)
    return PriorityScore(
        level=LEVEL_OF_PRIORITY[priority],
        itil_priority=priority,
        impact=impact,
        urgency=urgency,
        estimated=tuple(estimated),
        reasons=reasons,
    )
