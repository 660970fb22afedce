"""Keyword rules for ticket text: the classes' keywords and the priority cues, loaded as data.

The rules live in ``ticket_rules.toml`` next to this module (or a file an operator
names), so tuning a keyword is an edit, not a release. Matching is on whole words
after a light normalisation; it is deliberately simple, because the rules are the
fallback of the learned classifier and must be predictable enough to reason about.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

_NON_WORD = re.compile(r"[^a-z0-9]+")
PRIORITY_CUES = ("outage", "scope", "data_loss", "security", "degraded")


def _word(token: str) -> str:
    """Drop a plural ``s`` so 'servers' meets 'server'; 'access' and 'dns' stay whole."""
    if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def normalise(text: str) -> str:
    """Lower-cased words joined by single spaces and padded, ready for phrase lookup."""
    words = (_word(token) for token in _NON_WORD.split(text.lower()) if token)
    return " " + " ".join(words) + " "


@dataclass(frozen=True, slots=True)
class RuleMatch:
    label: str
    confidence: float
    matched: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """Keywords per class (in file order, which breaks ties) and the priority cue lists."""

    classes: dict[str, tuple[str, ...]]
    default_class: str
    cues: dict[str, tuple[str, ...]]

    def classify(self, text: str) -> RuleMatch:
        """The class with the most keyword words found; confidence is its share of all matches.

        Text that matches nothing gets the default class with confidence 0.
        """
        padded = normalise(text)
        best, best_score, total = self.default_class, 0, 0
        matched: tuple[str, ...] = ()
        for label, keywords in self.classes.items():
            hits = tuple(kw for kw in keywords if normalise(kw) in padded)
            score = sum(len(hit.split()) for hit in hits)
            total += score
            if score > best_score:
                best, best_score, matched = label, score, hits
        if total == 0:
            return RuleMatch(self.default_class, 0.0, ())
        return RuleMatch(best, best_score / total, matched)

    def cues_found(self, text: str) -> dict[str, tuple[str, ...]]:
        padded = normalise(text)
        return {
            name: tuple(cue for cue in cues if normalise(cue) in padded)
            for name, cues in self.cues.items()
        }

    @property
    def labels(self) -> tuple[str, ...]:
        return (*self.classes, self.default_class)


def parse_rules(document: str) -> RuleSet:
    """A RuleSet from TOML text; raises ValueError naming what is missing or malformed."""
    data = tomllib.loads(document)
    classes = data.get("classes")
    if not isinstance(classes, dict) or not classes:
        raise ValueError("ticket rules need a [classes.<name>] table with keywords")
    parsed: dict[str, tuple[str, ...]] = {}
    for label, table in classes.items():
        keywords = table.get("keywords") if isinstance(table, dict) else None
        if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
            raise ValueError(f"classes.{label}.keywords must be a list of strings")
        parsed[label] = tuple(k for k in keywords if k.strip())
    priority = data.get("priority", {})
    cues = {name: tuple(priority.get(name, ())) for name in PRIORITY_CUES}
    default = data.get("default_class", "general")
    if not isinstance(default, str) or not default:
        raise ValueError("default_class must be a non-empty string")
    return RuleSet(classes=parsed, default_class=default, cues=cues)


@lru_cache(maxsize=4)
def load_rules(path: Path | None = None) -> RuleSet:
    """The packaged rules, or those of ``path``; parsed once per process."""
    if path is None:
        return parse_rules((files("opscast.tickets") / "ticket_rules.toml").read_text())
    return parse_rules(path.read_text())
