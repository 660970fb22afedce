"""Scoring streams with exactly the scores of the whole series.

``StreamScorer`` works for every detector: it keeps the last ``detector.context`` points
and scores them together with each new batch, so every new point gets the windows it
would have had in one long batch. That re-scores the kept points on every call, fine
for batches of a thousand points and too slow for one point at a time.

``RobustFleet`` is the robust detector for many series at once, one row of arrays per
series: each update appends one value to each of some rows and refreshes the window
statistics of the rows that reached a refresh point (``trailing.py``), all rows in a
few array operations. Its cost per point does not depend on the windows, and a tick of
a fleet of thousands of series is one call. ``RobustEvents`` is the same for a single
series fed one event at a time; ``fleet_of`` picks the array fleet for the robust
detector and the ensemble of robust members, and one ``StreamScorer`` per series for
the others.

The windowed Gaussian baseline slides in steps counted from the series start, so it is
scored in one batch (the benchmark does so) rather than streamed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Protocol, cast

import numpy as np
import numpy.typing as npt
from scipy.special import log_ndtr

from opscast.anomaly.detectors import (
    Detector,
    EnsembleDetector,
    RobustDetector,
    deviation,
    surprise,
)
from opscast.anomaly.features import FloatArray, as_values
from opscast.anomaly.likelihood import HALF_SCORE_DIGITS, MIN_STD, likelihood
from opscast.anomaly.novelty import NoveltyDetector, NoveltyFleet
from opscast.anomaly.trailing import IntArray, RingWindows, mean_std, median_std

LOG2 = float(np.log(2.0))
LOG10 = float(np.log(10.0))


class StreamScorer:
    def __init__(self, detector: Detector, *, start: int = 0) -> None:
        """``start``: the position of the first point this scorer will see in its series."""
        self.detector = detector
        self._tail: FloatArray = np.empty(0)
        self._dropped = start

    def update(self, values: npt.ArrayLike) -> FloatArray:
        """Scores of the new points, given everything seen before."""
        new = np.atleast_1d(np.asarray(values, dtype=np.float64))
        if not len(new):
            return np.empty(0)
        joined = as_values(np.concatenate((self._tail, new)))
        scores = self.detector.score(joined, start=self._dropped)[-len(new) :]
        keep = min(self.detector.context, len(joined))
        self._dropped += len(joined) - keep
        self._tail = joined[len(joined) - keep :]
        return scores


class Fleet(Protocol):
    """Scores of many series, one row each, updated one value per row at a time."""

    threshold: float

    def add(self, history: npt.ArrayLike = (), start: int = 0) -> int:
        """A new row, warmed on ``history`` (the series from position ``start``); its index."""
        ...

    def update(self, rows: IntArray, values: FloatArray) -> FloatArray:
        """Score one new value for each of ``rows`` (distinct), then remember it."""
        ...


class RobustFleet:
    """``RobustDetector`` scores for many series, one row each, updated a tick at a time."""

    def __init__(self, detector: RobustDetector | None = None) -> None:
        self.detector = detector or RobustDetector()
        self.threshold = self.detector.threshold
        self.values = RingWindows(self.detector.window, median_std, min_count=2)
        self.surprises = RingWindows(self.detector.long, mean_std, min_count=1)

        self.rows = 0

    def add(self, history: npt.ArrayLike = (), start: int = 0) -> int:
        row = self.rows
        self.rows += 1
        if self.rows > self.values.rows:
            for windows in (self.values, self.surprises):
                windows.grow(2 * self.rows)
        values = as_values(history) if len(np.asarray(history)) else np.empty(0)
        self.values.restore(row, values, start)
        # only the surprises the likelihood window will look back on
        kept = max(0, len(values) - self.detector.long - self.surprises.stride)
        self.surprises.restore(row, self.detector.surprise(values, start, kept), start + kept)
        return row

    def update(self, rows: IntArray, values: FloatArray) -> FloatArray:
        centre, spread = self.values.first[rows], self.values.second[rows]
        raw = surprise(deviation(values, centre, spread))
        scores = likelihood(raw, self.surprises.first[rows], self.surprises.second[rows])
        self.values.push(rows, values)
        self.surprises.push(rows, raw)
        return scores


class MeanFleet:
    """The ensemble's mean of member scores, each member a fleet of its own."""

    def __init__(self, members: Sequence[Fleet], threshold: float) -> None:
        self.members = tuple(members)
        self.threshold = threshold

    def add(self, history: npt.ArrayLike = (), start: int = 0) -> int:
        rows = {member.add(history, start) for member in self.members}
        return rows.pop()

    def update(self, rows: IntArray, values: FloatArray) -> FloatArray:
        stacked = np.vstack([member.update(rows, values) for member in self.members])
        return np.asarray(stacked.mean(axis=0), dtype=np.float64)


class DetectorFleet:
    """Any detector, one ``StreamScorer`` per row: the general path, a loop over rows.

    A new row's detector learns from the row's history unless it arrives ``fitted``
    (a retrained model from the registry, fitted on the whole fleet).
    """

    def __init__(self, detector: Callable[[], Detector]) -> None:
        self.detector = detector
        self.threshold = detector().threshold
        self._scorers: list[StreamScorer] = []

    def add(self, history: npt.ArrayLike = (), start: int = 0) -> int:
        values = np.asarray(history, dtype=np.float64)
        detector = self.detector()
        if len(values) and not getattr(detector, "fitted", False):
            detector.fit(values)
        scorer = StreamScorer(detector, start=start)
        scorer.update(values)
        self._scorers.append(scorer)
        return len(self._scorers) - 1

    def update(self, rows: IntArray, values: FloatArray) -> FloatArray:
        return np.array(
            [
                self._scorers[row].update(value)[0]
                for row, value in zip(rows.tolist(), values.tolist(), strict=True)
            ]
        )

    def run(self, row: int, values: FloatArray) -> FloatArray:
        """Scores of several new values of one row, in one call of its detector."""
        return self._scorers[row].update(values)


def fleet_of(detector: Callable[[], Detector]) -> Fleet:
    """The fastest fleet that gives ``detector``'s scores: arrays for the robust family."""
    probe = detector()
    if isinstance(probe, NoveltyDetector):
        return NoveltyFleet(probe)
    if isinstance(probe, RobustDetector):
        return RobustFleet(probe)
    if isinstance(probe, EnsembleDetector) and all(
        isinstance(member, RobustDetector) for member in probe.members
    ):
        members = [RobustFleet(cast(RobustDetector, member)) for member in probe.members]
        return MeanFleet(members, probe.threshold)
    return DetectorFleet(detector)


class RobustEvents:
    """The robust detector one event at a time: the scores of ``RobustDetector.score``.

    The state is one row of ``RobustFleet``; the arithmetic per event is done on
    Python floats in the same order as the array code, so the scores are identical.
    """

    def __init__(self, detector: RobustDetector | None = None) -> None:
        self._fleet = RobustFleet(detector)
        self._fleet.add()

    def update(self, value: float) -> float:
        """Score of the new value given all earlier ones; then remember it."""
        values, surprises = self._fleet.values, self._fleet.surprises
        centre, spread = float(values.first[0]), float(values.second[0])
        raw = 0.0
        if not math.isnan(centre):  # at least two values seen
            scale = max(spread, 1e-3 * abs(centre) + 1e-9)
            digits = -(float(log_ndtr(-abs((value - centre) / scale))) + LOG2) / LOG10
            digits = max(digits, 0.0)
            raw = digits / (digits + 10.0)
        mean, std = float(surprises.first[0]), float(surprises.second[0])
        score = 0.0
        if not math.isnan(mean):
            digits = -float(log_ndtr(-(raw - mean) / max(std, MIN_STD))) / LOG10
            digits = max(digits, 0.0)
            score = digits / (digits + HALF_SCORE_DIGITS)
        values.push_one(0, value)
        surprises.push_one(0, raw)
        return score
