"""Scoring a stream batch by batch with exactly the scores of the whole series.

Detectors are vectorized over a batch; a stream hands them small batches. Keeping the
last ``detector.context`` points and scoring them together with each new batch gives
every new point the same trailing windows it would have had in one long batch, so
live scores, backfills and benchmarks agree to the last bit while memory stays
bounded. Detectors that learn (the Isolation Forest) are fitted on history first. The
windowed Gaussian baseline slides in steps counted from the series start, so it is
scored in one batch (the benchmark does so) rather than streamed.

Re-scoring the kept points costs a few milliseconds a call, fine for batches of a
thousand and too slow for one event at a time; ``RobustEvents`` is the per-event twin
of the robust detector, updating a sorted window and running sums in microseconds.
"""

from __future__ import annotations

import bisect
import math
from collections import deque

import numpy as np
import numpy.typing as npt
from scipy.special import log_ndtr

from opscast.anomaly.detectors import Detector, RobustDetector
from opscast.anomaly.features import FloatArray, as_values
from opscast.anomaly.likelihood import HALF_SCORE_DIGITS, MIN_STD


class StreamScorer:
    def __init__(self, detector: Detector) -> None:
        self.detector = detector
        self._tail: FloatArray = np.empty(0)

    def update(self, values: npt.ArrayLike) -> FloatArray:
        """Scores of the new points, given everything seen before."""
        new = np.atleast_1d(np.asarray(values, dtype=np.float64))
        if not len(new):
            return np.empty(0)
        joined = as_values(np.concatenate((self._tail, new)))
        scores = self.detector.score(joined)[-len(new) :]
        keep = self.detector.context
        self._tail = joined[len(joined) - keep :] if keep else joined[:0]
        return scores


class _RunningWindow:
    """Mean and population standard deviation of the last ``size`` numbers, in O(1).

    Values are summed relative to the first one seen, so large levels with small
    variations (bytes, counters) keep their precision.
    """

    def __init__(self, size: int) -> None:
        self.values: deque[float] = deque()
        self.size = size
        self.origin: float | None = None
        self.total = 0.0
        self.squares = 0.0

    def push(self, value: float) -> None:
        if self.origin is None:
            self.origin = value
        shifted = value - self.origin
        self.values.append(value)
        self.total += shifted
        self.squares += shifted * shifted
        if len(self.values) > self.size:
            old = self.values.popleft() - self.origin
            self.total -= old
            self.squares -= old * old

    def mean_std(self) -> tuple[float, float]:
        count = len(self.values)
        mean = self.total / count
        variance = max(self.squares / count - mean * mean, 0.0)
        return mean + (self.origin or 0.0), math.sqrt(variance)


class RobustEvents:
    """The robust detector one event at a time: same scores as ``RobustDetector.score``.

    A sorted copy of the trailing window gives the median by index (insertion and
    removal by bisection), running sums give the standard deviations; no point is
    visited twice, so the cost per event does not grow with the window.
    """

    def __init__(self, detector: RobustDetector | None = None) -> None:
        self.detector = detector or RobustDetector()
        self._window = _RunningWindow(self.detector.window)
        self._sorted: list[float] = []
        self._raw: deque[float] = deque(maxlen=self.detector.short)
        self._recent = _RunningWindow(self.detector.long)

    def _surprise(self, value: float) -> float:
        count = len(self._sorted)
        if count < 2:
            return 0.0
        middle = count // 2
        median = (
            self._sorted[middle]
            if count % 2
            else (self._sorted[middle - 1] + self._sorted[middle]) / 2.0
        )
        _, std = self._window.mean_std()
        scale = max(std, 1e-3 * abs(median) + 1e-9)
        tail = float(log_ndtr(-abs(value - median) / scale))
        digits = max(-(tail + math.log(2.0)) / math.log(10.0), 0.0)
        return digits / (digits + 10.0)

    def _likelihood(self, raw: float) -> float:
        self._raw.append(raw)
        recent = sum(self._raw) / len(self._raw)
        score = 0.0
        if len(self._recent.values) >= self.detector.short:
            mean, std = self._recent.mean_std()
            digits = -float(log_ndtr(-(recent - mean) / max(std, MIN_STD))) / math.log(10.0)
            digits = max(digits, 0.0)
            score = digits / (digits + HALF_SCORE_DIGITS)
        self._recent.push(recent)
        return score

    def update(self, value: float) -> float:
        """Score of the new value given all earlier ones; then remember it."""
        score = self._likelihood(self._surprise(value))
        if len(self._window.values) == self._window.size:
            oldest = self._window.values[0]
            del self._sorted[bisect.bisect_left(self._sorted, oldest)]
        self._window.push(value)
        bisect.insort(self._sorted, value)
        return score
