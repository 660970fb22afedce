"""An alert's identity: a hash of its labels, as Alertmanager computes one.

Two observations with the same labels are the same alert whatever their values or
times, so the fingerprint is over the sorted label set only (name and value separated
by bytes that cannot occur in either), 64 bits written as 16 hex digits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

SEPARATOR = b"\xff"


def fingerprint(labels: Mapping[str, str]) -> str:
    digest = hashlib.sha256()
    for name in sorted(labels):
        digest.update(name.encode() + SEPARATOR + str(labels[name]).encode() + SEPARATOR)
    return digest.hexdigest()[:16]


def group_key(rule: str, labels: Mapping[str, str], group_by: Iterable[str]) -> str:
    """Alerts of one rule that share the ``group_by`` labels are notified together."""
    parts = ",".join(f'{name}="{labels.get(name, "")}"' for name in sorted(group_by))
    return f"{rule}:{{{parts}}}"


def matches(matchers: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Every matcher equals the label of that name (a missing label is the empty string)."""
    return all(labels.get(name, "") == value for name, value in matchers.items())
