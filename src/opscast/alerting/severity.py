"""Severity from the evidence: the first entry of a rule's policy whose conditions all hold.

A policy is data (``[{severity: critical, when: {eta_hours: ["<=", 6], confidence:
[">=", 0.5]}}, ...]``) over the fields an observation carries: its score, its
confidence, its impact and the kind's own measures (hours to failure, share drifted).
A field the evidence lacks makes that entry not apply, so a policy written for one
kind never misfires on another.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

OPERATORS: dict[str, Callable[[float, float], bool]] = {">=": operator.ge, "<=": operator.le}


def severity_of(
    policy: Sequence[Mapping[str, Any]], evidence: Mapping[str, float], default: str
) -> str:
    for entry in policy:
        conditions: Mapping[str, Sequence[Any]] = entry.get("when", {})
        if all(
            name in evidence and OPERATORS[op](evidence[name], float(limit))
            for name, (op, limit) in conditions.items()
        ):
            return str(entry["severity"])
    return default


def holds(op: str, value: float, threshold: float) -> bool:
    """The rule's condition: ``value op threshold``."""
    return OPERATORS[op](value, threshold)
