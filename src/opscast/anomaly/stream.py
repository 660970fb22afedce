"""Scoring a stream batch by batch with exactly the scores of the whole series.

Detectors are vectorized over a batch; a stream hands them small batches. Keeping the
last ``detector.context`` points and scoring them together with each new batch gives
every new point the same trailing windows it would have had in one long batch, so
live scores, backfills and benchmarks agree to the last bit while memory stays
bounded. Detectors that learn (the Isolation Forest) are fitted on history first. The
windowed Gaussian baseline slides in steps counted from the series start, so it is
scored in one batch (the benchmark does so) rather than streamed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from opscast.anomaly.detectors import Detector
from opscast.anomaly.features import FloatArray, as_values


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
