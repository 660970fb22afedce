"""One step of an alert's life, as Prometheus and Alertmanager run it.

An identity whose condition becomes true is *pending*; it *fires* once the condition
has held for the rule's ``for`` duration (a pending alert whose condition clears is
dropped, never notified). A firing alert is notified again only after ``cooldown``
(Alertmanager's repeat interval), however much more evidence arrives, and *resolves*
once its condition has stayed clear for ``resolve_after``. Times are those of the
evidence, so a replayed stream gives the same alerts as a live one.

Pure: a state and an observation in, a state and the notification due out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class Event(StrEnum):
    firing = "firing"
    repeat = "repeat"
    resolved = "resolved"


@dataclass(frozen=True, slots=True)
class Timing:
    for_: timedelta
    cooldown: timedelta
    resolve_after: timedelta


@dataclass(frozen=True, slots=True)
class Episode:
    """Where one identity's current episode stands; ``state`` pending, firing or resolved."""

    state: str
    started_at: datetime
    last_active_at: datetime
    fired_at: datetime | None = None
    last_notified_at: datetime | None = None
    resolved_at: datetime | None = None


def step(
    episode: Episode | None, active: bool, at: datetime, timing: Timing
) -> tuple[Episode | None, Event | None]:
    """The episode after observing the condition (``active``) at ``at``, and what to notify.

    ``None`` in means no open episode; ``None`` out means a pending episode was dropped.
    A resolved episode is closed: a new activation starts a new one.
    """
    if episode is None or episode.state == "resolved":
        if not active:
            return episode, None
        return _maybe_fire(Episode(state="pending", started_at=at, last_active_at=at), at, timing)
    if episode.state == "pending":
        if not active:
            return None, None
        latest = max(at, episode.last_active_at)
        return _maybe_fire(replace(episode, last_active_at=latest), at, timing)
    return _firing(episode, active, at, timing)


def _firing(
    episode: Episode, active: bool, at: datetime, timing: Timing
) -> tuple[Episode, Event | None]:
    if not active:
        if at - episode.last_active_at >= timing.resolve_after:
            return replace(episode, state="resolved", resolved_at=at), Event.resolved
        return episode, None
    episode = replace(episode, last_active_at=max(at, episode.last_active_at))
    last = episode.last_notified_at or episode.fired_at or at
    if timing.cooldown > timedelta(0) and at - last >= timing.cooldown:
        return replace(episode, last_notified_at=at), Event.repeat
    return episode, None


def _maybe_fire(episode: Episode, at: datetime, timing: Timing) -> tuple[Episode, Event | None]:
    if at - episode.started_at >= timing.for_:
        return replace(episode, state="firing", fired_at=at, last_notified_at=at), Event.firing
    return episode, None


def resolve(episode: Episode, at: datetime) -> Episode:
    """A person resolved it: closed now, whatever the condition."""
    return replace(episode, state="resolved", resolved_at=at)
