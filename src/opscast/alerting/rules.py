"""The shipped default rules (``rules.yaml``) and the conversion of a rule to stored values.

Rules live in the database so they can be edited through the API; the YAML file seeds
them at start. A rule already stored by name is left alone, so an operator's edit (or
a threshold tuned by feedback) survives restarts and upgrades.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from opscast.alerting.schemas import RuleIn, seconds


def parse_rules(text: str) -> list[RuleIn]:
    raw = yaml.safe_load(text) or []
    if not isinstance(raw, list):
        raise ValueError("a rules file is a YAML list of rules")
    return [RuleIn.model_validate(entry) for entry in raw]


@lru_cache(maxsize=1)
def default_rules() -> tuple[RuleIn, ...]:
    text = resources.files("opscast.alerting").joinpath("rules.yaml").read_text("utf-8")
    return tuple(parse_rules(text))


def load_rules(extra: Path | None = None) -> list[RuleIn]:
    """The defaults plus the rules of an operator's file (same name: the file's wins)."""
    rules = {rule.name: rule for rule in default_rules()}
    if extra is not None:
        rules |= {rule.name: rule for rule in parse_rules(extra.read_text("utf-8"))}
    return list(rules.values())


def stored_values(rule: RuleIn) -> dict[str, Any]:
    """The columns of an ``AlertRule`` row for ``rule``."""
    return {
        "name": rule.name,
        "kind": rule.kind.value,
        "description": rule.description,
        "match": dict(rule.match),
        "labels": dict(rule.labels),
        "op": rule.op,
        "threshold": rule.threshold,
        "threshold_min": rule.threshold if rule.threshold_min is None else rule.threshold_min,
        "threshold_max": rule.threshold if rule.threshold_max is None else rule.threshold_max,
        "for_seconds": seconds(rule.for_),
        "cooldown_seconds": seconds(rule.cooldown),
        "resolve_after_seconds": seconds(rule.resolve_after),
        "severity": [entry.model_dump(mode="json") for entry in rule.severity],
        "default_severity": rule.default_severity.value,
        "channels": list(rule.channels),
        "group_by": list(rule.group_by),
        "action": rule.action,
        "open_ticket": rule.open_ticket,
        "enabled": rule.enabled,
    }
