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

from opscast.anomaly.features import FloatArray, as_values

# Beyond a year a crossing is no warning (and would overflow a pandas Timedelta).
HORIZON_CAP_HOURS = 365 * 24.0


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


def _crossing(headroom: FloatArray, slope: FloatArray, curvature: FloatArray) -> FloatArray:
    """Hours until level + slope t + curvature t^2 / 2 reaches the limit (inf: never).

    The root is written as 2h / (s + sqrt(s^2 + 2ch)), which stays exact when the
    curvature is tiny, where the textbook form cancels catastrophically.
    """
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        discriminant = slope * slope + 2.0 * curvature * headroom
        denominator = slope + np.sqrt(np.maximum(discriminant, 0.0))
        hours = 2.0 * headroom / denominator
    return np.where((discriminant >= 0) & (denominator > 0), hours, np.inf)


def _quadratic(hours: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Level, slope and curvature at hour 0 of the least-squares parabola of each row.

    Hours are scaled to [-1, 0] and values centred first, so the 3 x 3 normal
    equations stay well conditioned whatever the sampling and the level.
    """
    span = np.maximum(-hours[:, :1], 1e-12)
    u = hours / span
    mean = y.mean(axis=1, keepdims=True)
    centred = y - mean
    powers = u[:, :, None] ** np.arange(5)
    sums = powers.sum(axis=1)
    gram = np.stack([sums[:, i : i + 3] for i in range(3)], axis=1)
    moments = np.einsum("kni,kn->ki", powers[:, :, :3], centred)
    c0, c1, c2 = np.linalg.solve(gram, moments[:, :, None])[:, :, 0].T
    scale = span[:, 0]
    return c0 + mean[:, 0], c1 / scale, 2.0 * c2 / scale**2


def _tie_correction(y: FloatArray) -> FloatArray:
    """Sen's (1968) sum of k (k-1) (2k+5) over the runs of k equal values of each row."""
    ordered = np.sort(y, axis=1)
    n = ordered.shape[1]
    column = np.arange(n)
    starts = np.concatenate(
        (np.ones((len(y), 1), dtype=bool), ordered[:, 1:] != ordered[:, :-1]), axis=1
    )
    run_start = np.maximum.accumulate(np.where(starts, column, 0), axis=1)
    i = (column - run_start + 1).astype(np.float64)  # 1-based index within the run
    # f(i) - f(i-1) summed along a run of k gives f(k) = k (k-1) (2k+5)
    step = i * (i - 1) * (2 * i + 5) - (i - 1) * (i - 2) * (2 * i + 3)
    return np.asarray(step.sum(axis=1), dtype=np.float64)


def theil_sen_bounds(
    hours: FloatArray, y: FloatArray, confidence: float
) -> tuple[FloatArray, FloatArray]:
    """Theil-Sen slope confidence bounds of each row, as ``scipy.stats.theilslopes``.

    The median of pairwise slopes ignores spikes; Sen's normal approximation picks the
    two order statistics that bound it. Rows are processed in chunks of all their pairs.
    """
    from scipy.stats import norm

    k, n = y.shape
    low, high = np.full(k, np.nan), np.full(k, np.nan)
    first, second = np.triu_indices(n, 1)
    pairs = len(first)
    alpha = min(confidence, 1.0 - confidence)
    z = float(norm.ppf(alpha / 2.0))
    sigma = np.sqrt((n * (n - 1) * (2 * n + 5) - _tie_correction(y)) / 18.0)
    upper = np.minimum(np.round((pairs - z * sigma) / 2.0), pairs - 1).astype(np.int64)
    lower = np.maximum(np.round((pairs + z * sigma) / 2.0) - 1, 0).astype(np.int64)
    chunk = max(1, (1 << 22) // max(pairs, 1))
    for at in range(0, k, chunk):
        rows = slice(at, at + chunk)
        slopes = (y[rows, second] - y[rows, first]) / (hours[rows, second] - hours[rows, first])
        ranks = np.stack((lower[rows], upper[rows]), axis=1)
        ordered = np.partition(slopes, np.unique(ranks), axis=1)
        bounds = np.take_along_axis(ordered, ranks, axis=1)
        low[rows], high[rows] = bounds[:, 0], bounds[:, 1]
    return low, high


def times_to_failure(
    now: npt.NDArray[np.datetime64],
    hours: FloatArray,
    values: FloatArray,
    limits: FloatArray,
    *,
    confidence: float = 0.9,
) -> list[TimeToFailure | None]:
    """``time_to_failure`` of many series at once, one row each (at least 10 points).

    ``hours`` are each point's hours before the row's newest point (so 0 last), ``now``
    the newest points' times. Rows whose trend does not head for the limit, or reaches
    it beyond ``HORIZON_CAP_HOURS``, give None.
    """
    level, slope, curvature = _quadratic(hours, values)
    headroom = limits - level
    low, high = theil_sen_bounds(hours, values, confidence)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        straight = _crossing(headroom, slope, np.zeros_like(slope))
        bending = _crossing(headroom, slope, curvature)
        steepest = np.maximum(slope, high)
        fastest = np.where(steepest > 0, headroom / steepest, np.inf)
        slowest = np.where(low > 0, headroom / low, np.inf)
        earliest = np.minimum(np.minimum(straight, bending), fastest)
        latest = np.maximum(np.maximum(straight, bending), slowest)
        eta = np.where(np.isfinite(latest), np.sqrt(straight * bending), earliest)
    heading = (low > 0) & (earliest <= HORIZON_CAP_HOURS)
    eta = np.minimum(eta, HORIZON_CAP_HOURS)
    latest = np.where(latest > HORIZON_CAP_HOURS, np.inf, latest)
    out: list[TimeToFailure | None] = []
    for row in range(len(values)):
        stamp = pd.Timestamp(now[row])
        if headroom[row] <= 0:
            zero = pd.Timedelta(0)
            out.append(TimeToFailure(stamp, level[row], limits[row], slope[row], zero, zero, zero))
        elif heading[row]:
            out.append(
                TimeToFailure(
                    now=stamp,
                    level=float(level[row]),
                    limit=float(limits[row]),
                    rate_per_hour=float(slope[row]),
                    eta=pd.Timedelta(hours=float(eta[row])),
                    earliest=pd.Timedelta(hours=float(earliest[row])),
                    latest=None if np.isinf(latest[row]) else pd.Timedelta(hours=latest[row]),
                )
            )
        else:
            out.append(None)
    return out


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
    parabola bends away from the limit before reaching it. A flat or falling trend, or
    a crossing more than a year away, is None: no failure is in sight.
    """
    stamps = pd.DatetimeIndex(pd.to_datetime(np.asarray(ds)))
    y = as_values(values)
    if len(y) != len(stamps):
        raise ValueError("ds and values must have the same length")
    if len(y) < 10:
        return None
    stamps, y = stamps[-lookback:], y[-lookback:]
    hours = np.asarray((stamps - stamps[-1]) / pd.Timedelta(hours=1), dtype=np.float64)
    return times_to_failure(
        stamps[-1:].to_numpy(),
        hours[None, :],
        y[None, :],
        np.array([float(limit)]),
        confidence=confidence,
    )[0]


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
