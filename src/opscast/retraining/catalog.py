"""Every retraining target and its trainer: the domains whose models opscast keeps fresh."""

from __future__ import annotations

from opscast.retraining.retrainer import Trainer


def trainers() -> dict[str, Trainer]:
    return {}
