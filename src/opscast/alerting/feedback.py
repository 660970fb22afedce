"""Precision of a rule from engineers' verdicts, and the threshold those verdicts call for.

A dismissal says the rule spoke too soon: its threshold moves one step towards strict
(up for a ``>=`` rule, down for a ``<=`` rule such as hours to failure); a confirmation
moves it back half a step, so a rule that is mostly right drifts back towards
sensitivity while a noisy one keeps tightening. Steps are a share of the rule's
allowed range and the threshold never leaves ``[threshold_min, threshold_max]``:
feedback tunes a rule, it cannot switch it off.
"""

from __future__ import annotations

from dataclasses import dataclass

STEP_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class Adjustment:
    before: float
    after: float
    reason: str


def precision(confirmed: int, dismissed: int) -> float | None:
    total = confirmed + dismissed
    return None if total == 0 else confirmed / total


def adjusted_threshold(
    op: str, threshold: float, low: float, high: float, verdict: str
) -> Adjustment:
    step = STEP_SHARE * (high - low)
    stricter = 1.0 if op == ">=" else -1.0
    move = stricter * step if verdict == "dismiss" else -stricter * step / 2.0
    after = min(high, max(low, threshold + move))
    word = "dismissed" if verdict == "dismiss" else "confirmed"
    direction = "stricter" if verdict == "dismiss" else "more sensitive"
    reason = (
        f"threshold {threshold:g} -> {after:g} ({direction}): an engineer {word} an alert"
        if after != threshold
        else f"threshold stays {threshold:g}: already at its bound"
    )
    return Adjustment(before=threshold, after=after, reason=reason)
