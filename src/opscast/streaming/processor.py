"""The stateful halves of the stream: rolling features, then scores and time to failure.

Both keep a bounded tail per series (``host:metric``) and hand batches to the anomaly
kernel, vectorized per series: ``rolling_features`` for the processor, ``StreamScorer``
(the kernel's default detector), ``contributions`` and ``time_to_failure`` for the
predictor. A series seen for the first time is warmed up from stored history (the
``history`` callable) so a restarted process scores exactly as one that never stopped.
Points at or before the newest point already handled are skipped, which makes a
redelivered batch a no-op here as well.

No broker or SQL code: the pipeline passes frames in and messages out.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from opscast.anomaly.detectors import Detector, make_detector
from opscast.anomaly.explain import contributions, describe
from opscast.anomaly.features import FEATURE_NAMES, FloatArray, rolling_features
from opscast.anomaly.stream import StreamScorer
from opscast.anomaly.time_to_failure import time_to_failure, warning

History = Callable[[str, datetime, int], tuple[list[datetime], list[float]]]
"""(unique_id, before, limit) -> the stored (ds, y) just before ``before``."""

FEATURE_WINDOW = 30
EXPLAIN_BASELINE = 2000
TTF_LOOKBACK = 120
PERCENT_LIMITS = {"cpu_pct": 100.0, "memory_pct": 100.0, "disk_pct": 100.0}


def no_history(
    _unique_id: str, _before: datetime, _limit: int
) -> tuple[list[datetime], list[float]]:
    return [], []


def capacity_limit(metric: str, labels: dict[str, str]) -> float | None:
    """The hard limit of a capacity metric: a ``limit`` label, or 100 for percentages."""
    raw = labels.get("limit")
    if raw is not None:
        try:
            limit = float(raw)
        except ValueError:
            return None
        return limit if np.isfinite(limit) else None
    return PERCENT_LIMITS.get(metric)


@dataclass
class Tail:
    """The newest points of one series, enough for every window that looks back."""

    size: int
    ds: np.ndarray = field(default_factory=lambda: np.empty(0, dtype="datetime64[ns]"))
    y: FloatArray = field(default_factory=lambda: np.empty(0))

    @property
    def last(self) -> np.datetime64 | None:
        return self.ds[-1] if len(self.ds) else None

    def extend(self, ds: np.ndarray, y: FloatArray) -> None:
        self.ds = np.concatenate((self.ds, ds))[-self.size :]
        self.y = np.concatenate((self.y, y))[-self.size :]


@dataclass(frozen=True, slots=True)
class SeriesSlices:
    """A batch in (unique_id, ds) order and the row range of each series in it.

    One sort per batch, then every series is a slice of the same numpy arrays: no
    per-series frames, which cost more than the features themselves on small batches.
    """

    frame: pd.DataFrame
    ds: np.ndarray
    y: FloatArray
    bounds: list[tuple[str, int, int]]

    @classmethod
    def of(cls, frame: pd.DataFrame) -> SeriesSlices:
        ordered = (
            frame.sort_values(["unique_id", "ds"], kind="stable")
            .drop_duplicates(["unique_id", "ds"], keep="last")
            .reset_index(drop=True)
        )
        uids = ordered["unique_id"].to_numpy()
        starts: list[int] = (
            np.flatnonzero(np.r_[True, uids[1:] != uids[:-1]]).tolist() if len(uids) else []
        )
        ends = [*starts[1:], len(uids)]
        return cls(
            ordered,
            ordered["ds"].to_numpy(dtype="datetime64[ns]"),
            ordered["y"].to_numpy(dtype=np.float64),
            [(str(uids[a]), a, b) for a, b in zip(starts, ends, strict=True)],
        )

    def first_new(self, tail: Tail, start: int, end: int) -> int:
        """Row where the points newer than everything ``tail`` has seen begin."""
        if tail.last is None:
            return start
        return start + int(np.searchsorted(self.ds[start:end], tail.last, side="right"))

    def when(self, row: int) -> datetime:
        stamp: datetime = pd.Timestamp(self.ds[row]).to_pydatetime()
        return stamp


class FeatureProcessor:
    """Rolling mean, std, slope, z-score and rate of change of each new point."""

    def __init__(self, history: History = no_history, window: int = FEATURE_WINDOW) -> None:
        self.history = history
        self.window = window
        self._tails: dict[str, Tail] = {}
        self._lock = threading.Lock()

    def _tail(self, unique_id: str, first: datetime) -> Tail:
        tail = self._tails.get(unique_id)
        if tail is None:
            ds, y = self.history(unique_id, first, self.window)
            tail = Tail(self.window)
            tail.extend(np.asarray(ds, dtype="datetime64[ns]"), np.asarray(y, dtype=np.float64))
            self._tails[unique_id] = tail
        return tail

    def forget(self, unique_ids: Iterable[str]) -> None:
        """Drop state whose output was not delivered; it is rebuilt from stored history."""
        with self._lock:
            for uid in unique_ids:
                self._tails.pop(uid, None)

    def process(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (unique_id, host, metric, ds, y, labels) with one column per feature."""
        batch = SeriesSlices.of(frame)
        features = np.zeros((len(batch.y), len(FEATURE_NAMES)))
        fresh = np.zeros(len(batch.y), dtype=bool)
        with self._lock:
            for uid, start, end in batch.bounds:
                tail = self._tail(uid, batch.when(start))
                first = batch.first_new(tail, start, end)
                if first == end:
                    continue
                y = batch.y[first:end]
                joined = np.concatenate((tail.y, y))
                features[first:end] = rolling_features(joined, self.window)[-len(y) :]
                fresh[first:end] = True
                tail.extend(batch.ds[first:end], y)
        out = batch.frame.assign(**dict(zip(FEATURE_NAMES, features.T, strict=True)))
        return out[fresh].reset_index(drop=True)


@dataclass(frozen=True, slots=True)
class FailureEstimate:
    host: str
    metric: str
    as_of: datetime
    level: float
    limit: float
    rate_per_hour: float
    failure_at: datetime
    eta_hours: float
    earliest_hours: float
    latest_hours: float | None
    sentence: str
    action: str

    def message(self) -> dict[str, Any]:
        return {
            **{name: getattr(self, name) for name in self.__slots__},
            "as_of": self.as_of.isoformat(),
            "failure_at": self.failure_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Scored:
    """Scores of the new points (``score``, ``is_anomaly``, ``explanation`` columns added)
    and, per capacity series, the time-to-failure estimate or None when none is in sight."""

    points: pd.DataFrame
    failures: dict[tuple[str, str], FailureEstimate | None]


class Predictor:
    """Anomaly scores with explanations, and time to failure of capacity metrics."""

    def __init__(self, detector: str = "robust", history: History = no_history) -> None:
        self.detector_name = detector
        probe = self._new_detector()
        self.threshold = probe.threshold
        self.context = probe.context
        self.history = history
        self._scorers: dict[str, StreamScorer] = {}
        self._tails: dict[str, Tail] = {}
        self._lock = threading.Lock()

    def _new_detector(self) -> Detector:
        return make_detector(self.detector_name)

    def _state(self, unique_id: str, first: datetime) -> tuple[StreamScorer, Tail]:
        scorer = self._scorers.get(unique_id)
        if scorer is None:
            ds, y = self.history(unique_id, first, self.context)
            values = np.asarray(y, dtype=np.float64)
            scorer = StreamScorer(self._new_detector().fit(values))
            scorer.update(values)
            tail = Tail(EXPLAIN_BASELINE + FEATURE_WINDOW)
            tail.extend(np.asarray(ds, dtype="datetime64[ns]"), values)
            self._scorers[unique_id], self._tails[unique_id] = scorer, tail
        return scorer, self._tails[unique_id]

    def forget(self, unique_ids: Iterable[str]) -> None:
        """Drop state whose predictions were not stored; it is rebuilt from stored history."""
        with self._lock:
            for uid in unique_ids:
                self._scorers.pop(uid, None)
                self._tails.pop(uid, None)

    def predict(self, frame: pd.DataFrame) -> Scored:
        """Score the new points of ``frame`` (unique_id, host, metric, ds, y, labels)."""
        batch = SeriesSlices.of(frame)
        n = len(batch.y)
        scores = np.zeros(n)
        explanation = np.full(n, None, dtype=object)
        fresh = np.zeros(n, dtype=bool)
        failures: dict[tuple[str, str], FailureEstimate | None] = {}
        hosts, metrics, labels = (batch.frame[c].to_numpy() for c in ("host", "metric", "labels"))
        with self._lock:
            for uid, start, end in batch.bounds:
                scorer, tail = self._state(uid, batch.when(start))
                first = batch.first_new(tail, start, end)
                if first == end:
                    continue
                y = batch.y[first:end]
                scores[first:end] = scorer.update(y)
                flagged = scores[first:end] >= self.threshold
                if flagged.any():
                    shares = contributions(np.concatenate((tail.y, y)))[-len(y) :]
                    rows = np.flatnonzero(flagged) + first
                    explanation[rows] = [json.loads(text) for text in describe(shares[flagged])]
                fresh[first:end] = True
                tail.extend(batch.ds[first:end], y)
                host, metric = str(hosts[start]), str(metrics[start])
                limit = capacity_limit(metric, labels[end - 1])
                if limit is not None:
                    failures[(host, metric)] = self._failure(host, metric, tail, limit)
        out = batch.frame.assign(
            score=scores, is_anomaly=scores >= self.threshold, explanation=explanation
        )
        return Scored(out[fresh].reset_index(drop=True), failures)

    @staticmethod
    def _failure(host: str, metric: str, tail: Tail, limit: float) -> FailureEstimate | None:
        try:
            ttf = time_to_failure(tail.ds[-TTF_LOOKBACK:], tail.y[-TTF_LOOKBACK:], limit)
        except (OverflowError, pd.errors.OutOfBoundsTimedelta):
            # a trend flat to rounding error puts the crossing beyond any representable
            # time: no failure is in sight
            return None
        if ttf is None:
            return None
        advice = warning(host, metric, ttf)
        hour = pd.Timedelta(hours=1)
        return FailureEstimate(
            host=host,
            metric=metric,
            as_of=ttf.now.floor("us").to_pydatetime(),
            level=ttf.level,
            limit=ttf.limit,
            rate_per_hour=ttf.rate_per_hour,
            failure_at=ttf.failure_at.floor("us").to_pydatetime(),
            eta_hours=ttf.eta / hour,
            earliest_hours=ttf.earliest / hour,
            latest_hours=None if ttf.latest is None else ttf.latest / hour,
            sentence=advice.sentence,
            action=advice.action,
        )
