"""The Numenta Anomaly Benchmark (NAB v1.1) scoring rules, vectorized.

NAB rewards a detector for flagging each labelled anomaly window early, once, and for
staying quiet elsewhere. These are the rules of NAB's ``sweeper.py``, ``optimizer.py``
and ``runner.normalize``, rewritten with numpy so a whole corpus is scored per
threshold in one pass (the reference code loops in Python per point and per
threshold). No maintained library implements them.

- The first 15 % of each file (at most 750 points) is probationary and not scored.
- A detection is a score at or above the threshold. Inside a window, a detection at
  relative position p (from -1 at the window start to 0 just past its end) is worth
  ``A_TP * S(p) / S(-1)`` with ``S(p) = 2 * sigmoid(-5 p) - 1``; only the best, i.e.
  the earliest, detection of a window counts; a window without one costs ``A_FN``.
- A detection outside every window costs ``A_FP * S(d)``, where ``d`` is its distance
  past the end of the preceding window in units of that window's length (``-A_FP``
  when no window precedes it), so a late but close detection is forgiven a little.
- One threshold per detector and profile maximizes the corpus total; the reported score
  is ``100 * (raw - null) / (perfect - null)``, where the null detector flags nothing
  useful and the perfect one flags every window at its first point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.anomaly.features import FloatArray

PROBATION_PERCENT = 0.15
PROBATION_CAP_ROWS = 5000


@dataclass(frozen=True, slots=True)
class CostMatrix:
    tp: float
    fp: float
    fn: float


PROFILES: dict[str, CostMatrix] = {
    "standard": CostMatrix(tp=1.0, fp=0.11, fn=1.0),
    "reward_low_FP_rate": CostMatrix(tp=1.0, fp=0.22, fn=1.0),
    "reward_low_FN_rate": CostMatrix(tp=1.0, fp=0.11, fn=2.0),
}

Window = tuple[pd.Timestamp, pd.Timestamp]


@dataclass(frozen=True, slots=True)
class ScoredFile:
    """One data file: its timestamps, a detector's scores and its labelled windows."""

    name: str
    timestamps: npt.NDArray[np.datetime64]
    scores: FloatArray
    windows: Sequence[Window]


@dataclass(frozen=True, slots=True)
class Sweep:
    """Scorable (post-probation) points: anomaly score, weighted value, window id or -1."""

    scores: FloatArray
    values: FloatArray
    window: npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class ProfileResult:
    profile: str
    threshold: float
    raw: float
    null: float
    perfect: float
    score: float
    windows: int
    detected_windows: int
    false_positives: int


def scaled_sigmoid(position: FloatArray) -> FloatArray:
    """2 * sigmoid(-5 p) - 1, and exactly -1 from p = 3 on."""
    with np.errstate(over="ignore"):
        value = 2.0 / (1.0 + np.exp(5.0 * position)) - 1.0
    return np.where(position >= 3.0, -1.0, value)


def probation_length(rows: int) -> float:
    return min(math.floor(PROBATION_PERCENT * rows), PROBATION_PERCENT * PROBATION_CAP_ROWS)


def _window_bounds(
    timestamps: npt.NDArray[np.datetime64], windows: Sequence[Window], name: str
) -> list[tuple[int, int]]:
    stamps = pd.DatetimeIndex(timestamps)
    bounds = []
    for start, end in windows:
        left, right = (int(i) for i in stamps.searchsorted([start, end]))
        if right >= len(stamps) or stamps[left] != start or stamps[right] != end:
            raise ValueError(f"{name}: window {start} .. {end} does not start and end on a row")
        bounds.append((left, right))
    return sorted(bounds)


def sweep(scored: ScoredFile, cost: CostMatrix, first_window_id: int = 0) -> Sweep:
    """Weighted value of detecting each scorable point, as NAB's ``calcSweepScore``."""
    n = len(scored.scores)
    index = np.arange(n)
    values = np.full(n, -cost.fp)  # before any window: S(3) = -1
    window = np.full(n, -1, dtype=np.int64)
    max_tp = float(scaled_sigmoid(np.array([-1.0]))[0])
    bounds = _window_bounds(scored.timestamps, scored.windows, scored.name)
    for offset, (left, right) in enumerate(bounds):
        width = right - left + 1
        inside = slice(left, right + 1)
        position = -(right - index[inside] + 1) / width
        values[inside] = scaled_sigmoid(position) * cost.tp / max_tp
        window[inside] = first_window_id + offset
        following = bounds[offset + 1][0] if offset + 1 < len(bounds) else n
        after = slice(right + 1, following)
        distance = np.abs(right - index[after]) / (width - 1)
        values[after] = scaled_sigmoid(distance) * cost.fp
    keep = index >= probation_length(n)
    return Sweep(
        scores=np.asarray(scored.scores, dtype=np.float64)[keep],
        values=values[keep],
        window=window[keep],
    )


def scores_by_threshold(sweeps: Sequence[Sweep], cost: CostMatrix) -> tuple[FloatArray, FloatArray]:
    """Corpus total for every distinct threshold, highest first (1.1 means no detection)."""
    scores = np.concatenate([part.scores for part in sweeps])
    values = np.concatenate([part.values for part in sweeps])
    window = np.concatenate([part.window for part in sweeps])
    order = np.argsort(-scores, kind="stable")
    scores, values, window = scores[order], values[order], window[order]
    in_window = window >= 0
    counted_windows = len(np.unique(window[in_window]))
    fp_gain = np.where(in_window, 0.0, values)
    best_so_far = (
        pd.Series(np.where(in_window, values, -np.inf)).groupby(window).cummax().to_numpy()
    )
    previous = pd.Series(best_so_far).groupby(window).shift(1).to_numpy()
    previous = np.where(np.isnan(previous), -cost.fn, previous)
    tp_gain = np.where(in_window, np.maximum(best_so_far, -cost.fn) - previous, 0.0)
    running = -cost.fn * counted_windows + np.cumsum(fp_gain + tp_gain)
    last_of_run = np.flatnonzero(np.append(scores[1:] != scores[:-1], True))
    thresholds = np.concatenate(([1.1], scores[last_of_run]))
    totals = np.concatenate(([-cost.fn * counted_windows], running[last_of_run]))
    return thresholds, totals


def score_corpus(
    files: Sequence[ScoredFile], profile: str = "standard", threshold: float | None = None
) -> ProfileResult:
    """NAB score of one detector on ``files``: optimized threshold unless one is given."""
    cost = PROFILES[profile]
    sweeps, first = [], 0
    for scored in files:
        sweeps.append(sweep(scored, cost, first))
        first += len(scored.windows)
    thresholds, totals = scores_by_threshold(sweeps, cost)
    if threshold is None:
        best = int(np.argmax(totals))
    else:
        best = int(np.flatnonzero(thresholds >= threshold)[-1])
    chosen = float(thresholds[best])
    null = _null_score(files, cost)
    perfect = cost.tp * sum(len(scored.windows) for scored in files)
    raw = float(totals[best])
    detected = np.concatenate([part.window[part.scores >= chosen] for part in sweeps])
    return ProfileResult(
        profile=profile,
        threshold=chosen,
        raw=raw,
        null=null,
        perfect=perfect,
        score=100.0 * (raw - null) / (perfect - null),
        windows=first,
        detected_windows=len(np.unique(detected[detected >= 0])),
        false_positives=int(np.sum(detected < 0)),
    )


def _null_score(files: Sequence[ScoredFile], cost: CostMatrix) -> float:
    """NAB's null detector: a constant 0.5 with its own optimized threshold."""
    constant = [
        ScoredFile(f.name, f.timestamps, np.full(len(f.scores), 0.5), f.windows) for f in files
    ]
    sweeps, first = [], 0
    for scored in constant:
        sweeps.append(sweep(scored, cost, first))
        first += len(scored.windows)
    _, totals = scores_by_threshold(sweeps, cost)
    return float(totals.max())
