"""Anomaly detectors for one metric: a common protocol and the implementations.

Every detector maps a series to scores in [0, 1] and is **causal**: the score of point
t depends only on points 0..t, so scoring a batch gives the same numbers as scoring
the points one by one as they arrive, and appending future points never rewrites the
past. Detectors that learn (the Isolation Forest) either ``fit`` on a given history or
learn from the first ``train_size`` points of what they score and report 0 until then,
the "probationary period" of the Numenta Anomaly Benchmark.

- ``novelty`` (the default, ``novelty.py``): how rarely the recent multi-scale pattern
  of the metric was seen before, with a rest after each alarm.
- ``robust``: residual from a trailing median, in units of the trailing standard
  deviation, turned into Numenta's anomaly likelihood. The median ignores the outliers that drag
  a mean, and the likelihood compares today's surprise with this metric's own history
  of surprises, so a noisy metric does not alert all day. Its window statistics are
  refreshed on a stride, so a stream updates it at a cost independent of the windows.
- ``isolation_forest``: scikit-learn's Isolation Forest over the rolling features of
  ``features.py`` (the model of the original monitoring platform).
- ``half_space_trees``: river's streaming Half-Space Trees on the rolling features,
  learning as it scores.
- ``windowed_gaussian``: the Numenta benchmark's windowed Gaussian baseline, kept as
  a like-for-like peer in the benchmark.
- ``ensemble``: the mean of two robust detectors, a multi-day and a one-day baseline.
- ``lstm_autoencoder`` (``lstm_autoencoder.py``, needs ``opscast[neural]``): how badly an
  LSTM autoencoder trained on the first points rebuilds each recent window.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, Self

import numpy as np
import numpy.typing as npt
from scipy.special import log_ndtr, ndtr

from opscast.anomaly.features import FEATURE_NAMES, FloatArray, as_values, rolling_features
from opscast.anomaly.likelihood import anomaly_likelihood, likelihood
from opscast.anomaly.lstm_autoencoder import LSTMAutoencoderDetector, require_torch
from opscast.anomaly.novelty import NoveltyDetector
from opscast.anomaly.probation import model_for
from opscast.anomaly.trailing import mean_std, median_std, refresh_stride, trailing_stats


class Detector(Protocol):
    name: str
    threshold: float
    """Score at or above which a point is flagged by default."""

    @property
    def context(self) -> int:
        """How many past points one score depends on (what a stream must keep)."""
        ...

    def fit(self, history: npt.ArrayLike) -> Self:
        """Learn normal behaviour from ``history``; online detectors ignore it."""
        ...

    def score(self, values: npt.ArrayLike, *, start: int = 0) -> FloatArray:
        """Causal scores in [0, 1], one per value; ``values[0]`` is the series' point ``start``.

        ``start`` matters to detectors that refresh statistics at fixed positions (the
        robust detector): a stream that keeps only a tail passes how many points it dropped.
        """
        ...


def surprise(deviation: FloatArray) -> FloatArray:
    """Digits of the two-sided normal tail of ``deviation``, mapped to [0, 1).

    d = -log10 P(|Z| >= z) is 0 for an expected value and grows without bound, so
    d / (d + 10) keeps strong deviations apart (0.5 at one in ten billion) where
    1 - P would round them all to exactly 1.
    """
    digits = -(log_ndtr(-np.abs(np.nan_to_num(deviation))) + np.log(2.0)) / np.log(10.0)
    digits = np.maximum(digits, 0.0)
    return np.asarray(digits / (digits + 10.0), dtype=np.float64)


def deviation(values: FloatArray, centre: FloatArray, spread: FloatArray) -> FloatArray:
    """Distance from the centre in units of the spread.

    A flat stretch has no spread: allow 0.1 % of the level before calling a move surprising.
    """
    return (values - centre) / np.maximum(spread, 1e-3 * np.abs(centre) + 1e-9)


@dataclass
class RobustDetector:
    """Surprise against a trailing median, turned into an anomaly likelihood.

    The centre is the trailing median of ``window`` points, which a burst of outliers
    does not drag; the scale is their standard deviation (an IQR scale measured the same
    on NAB at three times the cost: it is 0 on the many metrics that sit on one value
    between bursts). The likelihood compares each point's surprise with the last
    ``long`` surprises, which measured better on NAB than averaging a few (docs/anomaly.md).
    Both windows are refreshed on a stride (``trailing.py``), so one update costs the
    same whatever the windows; ``RobustFleet`` streams exactly these scores.
    """

    window: int = 6400
    long: int = 2000
    threshold: float = 0.5
    name: str = "robust"

    @property
    def context(self) -> int:
        return self.window + refresh_stride(self.window) + self.long + refresh_stride(self.long)

    def fit(self, history: npt.ArrayLike) -> Self:
        return self

    def surprise(self, values: FloatArray, start: int = 0, first: int = 0) -> FloatArray:
        """Surprise of ``values[first:]`` (``values[0]`` is the series' point ``start``)."""
        centre, spread = trailing_stats(
            values, start, self.window, median_std, min_count=2, first=first
        )
        return surprise(deviation(values[first:], centre, spread))

    def score(self, values: npt.ArrayLike, *, start: int = 0) -> FloatArray:
        x = as_values(values)
        raw = self.surprise(x, start)
        mean, std = trailing_stats(raw, start, self.long, mean_std, min_count=1)
        return likelihood(raw, mean, std)


@dataclass
class IsolationForestDetector:
    """Isolation Forest on rolling features; learns from ``fit`` or the first points scored."""

    window: int = 30
    train_size: int = 750
    trees: int = 100
    seed: int = 0
    likelihood: bool = True
    short: int = 1
    long: int = 2000
    threshold: float = 0.4
    name: str = "isolation_forest"
    _model: Any = field(default=None, init=False, repr=False)

    @property
    def context(self) -> int:
        return self.window + 1 + (self.short + self.long if self.likelihood else 0)

    @property
    def fitted(self) -> bool:
        return self._model is not None

    def fit(self, history: npt.ArrayLike) -> Self:
        return self.fit_many([history])

    def fit_many(self, histories: Sequence[npt.ArrayLike]) -> Self:
        """One forest for several series of one metric (the hosts of a fleet)."""
        self._model = self._forest(histories)
        return self

    def _forest(self, histories: Sequence[npt.ArrayLike]) -> Any:
        from sklearn.ensemble import IsolationForest

        features = np.vstack([rolling_features(history, self.window) for history in histories])
        return IsolationForest(
            n_estimators=self.trees, max_samples=min(256, len(features)), random_state=self.seed
        ).fit(features)

    def score(self, values: npt.ArrayLike, *, start: int = 0) -> FloatArray:
        x = as_values(values)
        scores = np.zeros(len(x))
        learned = model_for(x, self._model, self.train_size, lambda first: self._forest([first]))
        if learned is None:
            return scores
        model, learning = learned
        # the forest's own score, 2^(-mean path length / c(n)), lies in (0, 1]
        raw = -model.score_samples(rolling_features(x, self.window))[learning:]
        scored = (
            anomaly_likelihood(raw, short=self.short, long=self.long) if self.likelihood else raw
        )
        scores[learning:] = np.clip(scored, 0.0, 1.0)
        return scores


@dataclass
class HalfSpaceTreesDetector:
    """river's Half-Space Trees on the rolling features, scoring then learning each point.

    The model is online: it carries its state (and the last ``window`` values the
    features need) from one ``score`` call to the next, so consecutive batches of a
    stream continue where the last one stopped. Use a fresh detector (or ``fit``) per
    series. On the raw value alone the trees found almost nothing on NAB (0.2 against
    10.2 on the features).
    """

    window: int = 30
    trees: int = 10
    height: int = 8
    window_size: int = 250
    seed: int = 0
    threshold: float = 0.99
    name: str = "half_space_trees"
    _state: Any = field(default=None, init=False, repr=False)
    _tail: FloatArray = field(default_factory=lambda: np.empty(0), init=False, repr=False)

    @property
    def context(self) -> int:
        # the state lives in the model, not in past points
        return 0

    def fit(self, history: npt.ArrayLike) -> Self:
        self._state, self._tail = None, np.empty(0)
        self.score(history)
        return self

    def score(self, values: npt.ArrayLike, *, start: int = 0) -> FloatArray:
        if self._state is None:
            from river import anomaly, preprocessing

            self._state = (
                preprocessing.MinMaxScaler(),
                anomaly.HalfSpaceTrees(
                    n_trees=self.trees,
                    height=self.height,
                    window_size=self.window_size,
                    seed=self.seed,
                ),
            )
        scaler, forest = self._state
        x = as_values(np.concatenate((self._tail, np.asarray(values, dtype=np.float64))))
        features = rolling_features(x, self.window)[len(self._tail) :]
        self._tail = x[-self.window :]
        scores = np.empty(len(features))
        for index, row in enumerate(features.tolist()):
            point = dict(zip(FEATURE_NAMES, row, strict=True))
            scaler.learn_one(point)
            scaled = scaler.transform_one(point)
            scores[index] = forest.score_one(scaled)
            forest.learn_one(scaled)
        return np.clip(scores, 0.0, 1.0)


@dataclass
class WindowedGaussianDetector:
    """The Numenta benchmark's windowed Gaussian, reproduced exactly and vectorized.

    Each point is scored by 1 - Q(|z|) against the mean and standard deviation of the
    window before it: the first ``window_size`` points, then a window that slides by
    ``step`` points once ``step`` new points have arrived.
    """

    window_size: int = 6400
    step: int = 100
    threshold: float = 0.99
    name: str = "windowed_gaussian"

    @property
    def context(self) -> int:
        return self.window_size + self.step

    def fit(self, history: npt.ArrayLike) -> Self:
        return self

    def score(self, values: npt.ArrayLike, *, start: int = 0) -> FloatArray:
        x = as_values(values)
        n = len(x)
        mean = np.zeros(n)
        std = np.ones(n)
        head = min(n, self.window_size + 1)
        if head > 1:
            shifted = x[: head - 1] - x[0]
            count = np.arange(1, head)
            running_mean = np.cumsum(shifted) / count
            running_var = np.maximum(np.cumsum(shifted**2) / count - running_mean**2, 0.0)
            mean[1:head] = running_mean + x[0]
            std[1:head] = np.sqrt(running_var)
        for begin in range(self.window_size, n, self.step):
            slid = (begin - self.window_size) // self.step * self.step
            window = x[slid : slid + self.window_size]
            mean[begin : begin + self.step] = window.mean()
            std[begin : begin + self.step] = window.std()
        std = np.where(std == 0.0, 1e-6, std)
        tail = 0.5 * (1.0 - (2.0 * ndtr(np.abs(x - mean) / std) - 1.0))
        scores: FloatArray = 1.0 - tail
        if n:
            scores[0] = 0.0
        return scores


@dataclass
class EnsembleDetector:
    """The mean of member scores: members err on different points, so their mean errs less.

    The default pairs the robust detector's long baseline (level shifts, slow drifts)
    with a one-day baseline at 5-minute sampling (spikes inside a daily cycle, which a
    multi-day median and spread absorb).
    """

    members: tuple[Detector, ...] = field(
        default_factory=lambda: (RobustDetector(), RobustDetector(window=288))
    )
    threshold: float = 0.5
    name: str = "ensemble"

    @property
    def context(self) -> int:
        return max(member.context for member in self.members)

    def fit(self, history: npt.ArrayLike) -> Self:
        for member in self.members:
            member.fit(history)
        return self

    def score(self, values: npt.ArrayLike, *, start: int = 0) -> FloatArray:
        x = as_values(values)
        stacked = np.vstack([member.score(x, start=start) for member in self.members])
        return np.asarray(stacked.mean(axis=0), dtype=np.float64)


def _lstm_autoencoder() -> Detector:
    require_torch()
    return LSTMAutoencoderDetector()


DETECTORS: dict[str, Callable[[], Detector]] = {
    "novelty": NoveltyDetector,
    "robust": RobustDetector,
    "isolation_forest": IsolationForestDetector,
    "half_space_trees": HalfSpaceTreesDetector,
    "ensemble": EnsembleDetector,
    "windowed_gaussian": WindowedGaussianDetector,
    "lstm_autoencoder": _lstm_autoencoder,
}


def make_detector(name: str) -> Detector:
    """A fresh detector by name; ``ValueError`` names the known ones otherwise."""
    try:
        return DETECTORS[name]()
    except KeyError:
        raise ValueError(
            f"unknown detector {name!r}; choose one of {', '.join(DETECTORS)}"
        ) from None
