"""When will a capacity metric hit its limit, with an interval, and what to do about it.

A leak, a filling disk or a saturating pool is a trend towards a hard limit. A
quadratic fitted to the recent points gives today's level, slope and acceleration; the
straight line at today's slope and the parabola keeping today's acceleration bracket
the crossing of a ramp that steepens at a slowing rate, and Theil-Sen's slope
confidence bounds (the median of pairwise slopes, unmoved by spikes) widen the interval
for noise and decide whether there is a trend at all. The sentence and the recommended
action come from a playbook kept as data (``playbook.toml``) so operators can edit it
without touching code.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.anomaly.features import as_values


@dataclass(frozen=True, slots=True)
class TimeToFailure:
    """``eta`` from ``now`` to the limit; ``latest`` is None when a flat trend stays possible."""

    now: pd.Timestamp
    level: float
    limit: float
    rate_per_hour: float
    eta: pd.Timedelta
    earliest: pd.Timedelta
    latest: pd.Timedelta | None

    @property
    def failure_at(self) -> pd.Timestamp:
        return self.now + self.eta


@dataclass(frozen=True, slots=True)
class PlaybookEntry:
    subject: str
    outcome: str
    action: str


@dataclass(frozen=True, slots=True)
class Warning:
    sentence: str
    action: str


def _crossing(headroom: float, slope: float, curvature: float) -> float:
    """Hours until level + slope t + curvature t^2 / 2 reaches the limit (inf: never).

    The root is written as 2h / (s + sqrt(s^2 + 2ch)), which stays exact when the
    curvature is tiny, where the textbook form cancels catastrophically.
    """
    discriminant = slope * slope + 2.0 * curvature * headroom
    if discriminant < 0:
        return math.inf
    denominator = slope + math.sqrt(discriminant)
    return 2.0 * headroom / denominator if denominator > 0 else math.inf


def time_to_failure(
    ds: npt.ArrayLike,
    values: npt.ArrayLike,
    limit: float,
    *,
    lookback: int = 120,
    confidence: float = 0.9,
) -> TimeToFailure | None:
    """Forecast of when ``values`` reaches ``limit``, or None when it is not heading there.

    The interval runs from the earliest to the latest of three crossings: the straight
    line at today's slope, the parabola that keeps today's acceleration, and the slope
    confidence bounds of Theil-Sen. A ramp that steepens at a slowing rate (a leak, a
    saturating pool) crosses between the first two. ``latest`` is None when the
    parabola bends away from the limit before reaching it.
    """
    from scipy.stats import theilslopes

    stamps = pd.DatetimeIndex(pd.to_datetime(np.asarray(ds)))
    y = as_values(values)
    if len(y) != len(stamps):
        raise ValueError("ds and values must have the same length")
    if len(y) < 10:
        return None
    stamps, y = stamps[-lookback:], y[-lookback:]
    hours = np.asarray((stamps - stamps[-1]) / pd.Timedelta(hours=1), dtype=np.float64)
    curvature2, slope, level = np.polyfit(hours, y, 2)
    curvature = 2.0 * float(curvature2)
    headroom = limit - float(level)
    if headroom <= 0:
        zero = pd.Timedelta(0)
        return TimeToFailure(stamps[-1], float(level), limit, float(slope), zero, zero, zero)
    _, _, low_slope, high_slope = theilslopes(y, hours, alpha=confidence)
    if low_slope <= 0:
        return None  # no trend we can tell from noise: nothing to warn about
    straight = _crossing(headroom, float(slope), 0.0)
    bending = _crossing(headroom, float(slope), curvature)
    steepest = max(float(slope), float(high_slope))
    earliest = min(straight, bending, headroom / steepest if steepest > 0 else math.inf)
    latest = max(straight, bending, headroom / low_slope)
    eta = math.sqrt(straight * bending) if math.isfinite(latest) else earliest
    return TimeToFailure(
        now=stamps[-1],
        level=float(level),
        limit=limit,
        rate_per_hour=float(slope),
        eta=pd.Timedelta(hours=eta),
        earliest=pd.Timedelta(hours=earliest),
        latest=None if math.isinf(latest) else pd.Timedelta(hours=latest),
    )


def humanize(span: pd.Timedelta) -> str:
    """'45 m', '3 h', '2 h 20 m', '1 d 4 h': the precision a person acts on."""
    minutes = max(0, round(span / pd.Timedelta(minutes=1)))
    if minutes < 60:
        return f"{minutes} m"
    if minutes < 24 * 60:
        minutes = 10 * round(minutes / 10)
        hours, rest = divmod(minutes, 60)
        return f"{hours} h" if rest == 0 else f"{hours} h {rest} m"
    hours = round(minutes / 60)
    days, rest = divmod(hours, 24)
    return f"{days} d" if rest == 0 else f"{days} d {rest} h"


@lru_cache(maxsize=1)
def load_playbook() -> dict[str, PlaybookEntry]:
    text = resources.files("opscast.anomaly").joinpath("playbook.toml").read_text("utf-8")
    return {metric: PlaybookEntry(**entry) for metric, entry in tomllib.loads(text).items()}


def warning(host: str, metric: str, ttf: TimeToFailure) -> Warning:
    """The sentence an engineer acts on, with the playbook's recommended action.

    For example "db-01 connection pool likely exhausted in about 3 h (2 h 20 m to 3 h 50 m)".
    """
    entry = load_playbook().get(
        metric,
        PlaybookEntry(
            subject=metric,
            outcome="at its limit",
            action="Check what drives the growth and add capacity before the limit.",
        ),
    )
    latest = "later" if ttf.latest is None else humanize(ttf.latest)
    if ttf.eta <= pd.Timedelta(0):
        sentence = f"{host} {entry.subject} {entry.outcome} now"
    else:
        sentence = (
            f"{host} {entry.subject} likely {entry.outcome} in about {humanize(ttf.eta)} "
            f"({humanize(ttf.earliest)} to {latest})"
        )
    return Warning(sentence=sentence, action=entry.action)


def hours_left(ttf: TimeToFailure | None) -> float:
    """Hours to the limit, infinite when no failure is in sight (for sorting and alert rules)."""
    return math.inf if ttf is None else ttf.eta / pd.Timedelta(hours=1)
