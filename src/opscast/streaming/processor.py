"""The stateful halves of the stream: rolling features, then scores and time to failure.

Both keep per-series state in rows of arrays (``host:metric`` -> row), so a tick of a
fleet of thousands of series is handled in a few array operations per point of the
longest series, not in a loop over series: the processor's ``Recent`` values and the
anomaly kernel's fleets (``RobustFleet`` for the default detector, see
``anomaly/stream.py``). A batch is cut into *steps*: step j holds the j-th new point of
every series that has one, and each step is one vectorized update. Time to failure is
estimated once per batch for the capacity series in it, all at once.

A series seen for the first time is warmed up from stored history (the ``history``
callable, with ``count`` telling how many points came before it) so a restarted process
scores exactly as one that never stopped. Points at or before the newest point already
handled are skipped, which makes a redelivered batch a no-op here as well.

No broker or SQL code: the pipeline passes frames in and messages out.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.anomaly.detectors import Detector, make_detector
from opscast.anomaly.explain import (
    MISSED_CYCLE,
    contributions,
    describe,
    latest_contributions,
)
from opscast.anomaly.features import FEATURE_NAMES, FloatArray, slope_weights
from opscast.anomaly.novelty import CLOCK_STEPS, NoveltyFleet, gaps_of, points_per_day
from opscast.anomaly.stream import DetectorFleet, Fleet, fleet_of
from opscast.anomaly.time_to_failure import Crossings, advice, times_to_failure
from opscast.anomaly.trailing import IntArray

History = Callable[[str, datetime, int], tuple[list[datetime], list[float]]]
"""(unique_id, before, limit) -> the stored (ds, y) just before ``before``."""
Count = Callable[[str, datetime], int]
"""(unique_id, before) -> how many points are stored before ``before``."""

FEATURE_WINDOW = 30
EXPLAIN_BASELINE = 2000
TTF_LOOKBACK = 120
TTF_MIN_POINTS = 10
TTF_STRIDE = 10
PERCENT_LIMITS = {"cpu_pct": 100.0, "memory_pct": 100.0, "disk_pct": 100.0}
NEVER = np.iinfo(np.int64).min
HOUR_NS = 3_600_000_000_000
EPOCH = datetime(1970, 1, 1)


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


class Recent:
    """The newest ``size`` values and times of many series, one ring buffer row each."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.values = np.zeros((0, size))
        self.stamps = np.zeros((0, size), dtype=np.int64)
        self.count = np.zeros(0, dtype=np.int64)
        self.newest = np.zeros(0, dtype=np.int64)
        """Time of each row's newest point, in ns (``NEVER`` for none)."""

    def add(self, ds: np.ndarray, y: FloatArray) -> int:
        """A new row holding the end of (``ds``, ``y``); its index."""
        row = len(self.count)
        if row == len(self.values):
            extra = max(row, 1)
            self.values = np.vstack((self.values, np.zeros((extra, self.size))))
            self.stamps = np.vstack((self.stamps, np.zeros((extra, self.size), dtype=np.int64)))
        kept = min(len(y), self.size)
        self.values[row, :kept] = y[len(y) - kept :]
        self.stamps[row, :kept] = ds[len(ds) - kept :]
        self.count = np.append(self.count, kept)
        self.newest = np.append(self.newest, ds[-1] if kept else NEVER)
        return row

    def extend(self, row: int, stamps: np.ndarray, values: FloatArray) -> None:
        """Append a run of values to one row."""
        kept = min(len(values), self.size)
        slots = (self.count[row] + len(values) - kept + np.arange(kept)) % self.size
        self.values[row, slots] = values[len(values) - kept :]
        self.stamps[row, slots] = stamps[len(stamps) - kept :]
        self.count[row] += len(values)
        self.newest[row] = stamps[-1]

    def push(self, rows: IntArray, stamps: np.ndarray, values: FloatArray) -> None:
        slots = self.count[rows] % self.size
        self.values[rows, slots] = values
        self.stamps[rows, slots] = stamps
        self.count[rows] += 1
        self.newest[rows] = stamps

    def last(self, rows: IntArray, n: int) -> tuple[FloatArray, np.ndarray]:
        """Values (NaN before a row's first point) and times of the last ``n``, oldest first."""
        positions = self.count[rows, None] - n + np.arange(n)
        # flat cells and ``take``: twice as fast as two-axis fancy indexing
        cells = rows[:, None] * self.size + positions % self.size
        values = self.values.take(cells)
        if (positions < 0).any():
            values = np.where(positions >= 0, values, np.nan)
        return values, self.stamps.take(cells)


def newest_features(recent: FloatArray, window: int) -> FloatArray:
    """``rolling_features`` of the newest point of each row of ``recent``.

    ``recent`` holds the last ``window + 1`` values, oldest first, NaN where the series
    is younger: the current window is its last ``window`` columns, the previous window
    its first ``window``.
    """
    valid = ~np.isnan(recent)
    filled = np.where(valid, recent, 0.0)

    def mean_std(columns: slice) -> tuple[FloatArray, FloatArray, FloatArray]:
        count = valid[:, columns].sum(axis=1)
        safe = np.maximum(count, 1)
        mean = filled[:, columns].sum(axis=1) / safe
        spread = np.where(valid[:, columns], filled[:, columns] - mean[:, None], 0.0)
        return mean, np.sqrt((spread**2).sum(axis=1) / safe), count

    x = recent[:, -1]
    mean, std, count = mean_std(slice(1, None))
    previous_mean, previous_std, previous = mean_std(slice(None, -1))
    previous_mean = np.where(previous > 0, previous_mean, x)
    scale = np.maximum(previous_std, 1e-9 + 1e-6 * np.abs(previous_mean))
    slope = np.zeros(len(x))
    if window >= 2:
        slope = np.where(count >= window, filled[:, 1:] @ slope_weights(window), 0.0)
    change = np.where(valid[:, -2], x - filled[:, -2], 0.0)
    return np.column_stack((mean, std, slope, (x - previous_mean) / scale, change))


@dataclass(frozen=True, slots=True)
class SeriesSlices:
    """A batch in (unique_id, ds) order, the series in it and each point's series.

    One sort per batch, then every series is a slice of the same numpy arrays: no
    per-series frames.
    """

    frame: pd.DataFrame
    ds: np.ndarray
    y: FloatArray
    uids: npt.NDArray[np.object_]
    starts: IntArray
    series_of: IntArray

    @classmethod
    def of(cls, frame: pd.DataFrame) -> SeriesSlices:
        codes, names = pd.factorize(frame["unique_id"], sort=False)
        stamps = frame["ds"].to_numpy(dtype="datetime64[ns]")
        order = np.lexsort((stamps, codes))
        codes, stamps = codes[order], stamps[order]
        # a repeated (series, time) keeps its last value
        keep = np.r_[(codes[1:] != codes[:-1]) | (stamps[1:] != stamps[:-1]), True]
        order = order[keep[: len(order)]]
        codes, stamps = codes[keep[: len(codes)]], stamps[keep[: len(stamps)]]
        if len(order) == len(frame) and bool(np.all(order == np.arange(len(order)))):
            ordered = frame.reset_index(drop=True)
        else:
            ordered = frame.iloc[order].reset_index(drop=True)
        new = np.r_[True, codes[1:] != codes[:-1]] if len(codes) else np.zeros(0, dtype=bool)
        starts = np.flatnonzero(new)
        return cls(
            ordered,
            stamps,
            ordered["y"].to_numpy(dtype=np.float64),
            np.asarray(names, dtype=object)[codes[starts]],
            starts,
            np.cumsum(new) - 1,
        )

    def steps(self, newest: np.ndarray) -> tuple[IntArray, list[IntArray]]:
        """The points newer than their series' ``newest`` (ns per series), cut into steps.

        Returns the fresh points and, per step, the fresh points that are the j-th new
        point of their series (fresh points are the end of their series' slice).
        """
        stale = self.ds.astype(np.int64) <= newest[self.series_of]
        fresh = np.flatnonzero(~stale)
        if not len(fresh):
            return fresh, []
        skipped = np.bincount(self.series_of[stale], minlength=len(self.starts))
        series = self.series_of[fresh]
        rank = fresh - self.starts[series] - skipped[series]
        if not rank.any():
            return fresh, [fresh]
        order = np.argsort(rank, kind="stable")
        cuts = np.flatnonzero(np.diff(rank[order])) + 1
        return fresh, np.split(fresh[order], cuts)

    def fresh_frame(self, fresh: IntArray, added: dict[str, np.ndarray]) -> pd.DataFrame:
        """The ``fresh`` points in batch order, with ``added`` columns (one value per
        point of the batch): built from whole columns, as a batch of a point or a few
        would spend more on pandas' ``assign``, ``iloc`` and ``reset_index`` than on
        everything else of its stage."""
        keep = np.sort(fresh)
        every = len(keep) == len(self.y)
        columns = {name: self.frame[name].to_numpy() for name in self.frame.columns}
        columns.update(added)
        # copy=False: the columns are the batch's own or new, and copying them all again
        # cost three times the frame's construction
        return pd.DataFrame(
            {name: column if every else column[keep] for name, column in columns.items()},
            copy=False,
        )

    def when(self, series: int) -> datetime:
        stamp: datetime = pd.Timestamp(self.ds[self.starts[series]]).to_pydatetime()
        return stamp


class SeriesRows:
    """Which row of the state arrays holds each series; new series are warmed up first."""

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self._index = pd.Index([], dtype=object)
        self._row_of = np.zeros(0, dtype=np.int64)

    def _reindex(self) -> None:
        self._index = pd.Index(list(self.rows), dtype=object)
        self._row_of = np.fromiter(self.rows.values(), dtype=np.int64, count=len(self.rows))

    def of(self, batch: SeriesSlices, warm: Callable[[str, datetime], int]) -> IntArray:
        at = self._index.get_indexer(pd.Index(batch.uids))
        rows = self._row_of[np.maximum(at, 0)] if len(self._row_of) else np.zeros(len(at), int)
        unknown = np.flatnonzero(at < 0)
        for series in unknown.tolist():
            uid = str(batch.uids[series])
            rows[series] = self.rows[uid] = warm(uid, batch.when(series))
        if len(unknown):
            self._reindex()
        return np.asarray(rows, dtype=np.int64)

    def forget(self, unique_ids: Iterable[str]) -> None:
        """Drop series whose output was not delivered; they are warmed up again when next seen.

        Their old rows are not reused: the arrays only grow, by the series seen.
        """
        for uid in unique_ids:
            self.rows.pop(uid, None)
        self._reindex()


class FeatureProcessor:
    """Rolling mean, std, slope, z-score and rate of change of each new point."""

    def __init__(self, history: History = no_history, window: int = FEATURE_WINDOW) -> None:
        self.history = history
        self.window = window
        self._series = SeriesRows()
        self._recent = Recent(window + 1)
        self._lock = threading.Lock()

    def _warm(self, unique_id: str, first: datetime) -> int:
        ds, y = self.history(unique_id, first, self.window + 1)
        return self._recent.add(
            np.asarray(ds, dtype="datetime64[ns]").astype(np.int64), np.asarray(y, dtype=float)
        )

    def forget(self, unique_ids: Iterable[str]) -> None:
        """Drop state whose output was not delivered; it is rebuilt from stored history."""
        with self._lock:
            self._series.forget(unique_ids)

    def process(self, frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` (unique_id, host, metric, ds, y, labels) with one column per feature."""
        batch = SeriesSlices.of(frame)
        features = np.zeros((len(batch.y), len(FEATURE_NAMES)))
        stamps = batch.ds.astype(np.int64)
        with self._lock:
            rows = self._series.of(batch, self._warm)
            fresh, steps = batch.steps(self._recent.newest[rows])
            for points in steps:
                at = rows[batch.series_of[points]]
                self._recent.push(at, stamps[points], batch.y[points])
                recent, _ = self._recent.last(at, self.window + 1)
                features[points] = newest_features(recent, self.window)
        return batch.fresh_frame(fresh, dict(zip(FEATURE_NAMES, features.T, strict=True)))


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

    @classmethod
    def of(
        cls, host: str, metric: str, now: datetime, limit: float, crossings: Crossings, row: int
    ) -> FailureEstimate:
        eta, earliest = float(crossings.eta[row]), float(crossings.earliest[row])
        latest = None if np.isinf(crossings.latest[row]) else float(crossings.latest[row])
        advice_ = advice(host, metric, eta, earliest, latest)
        return cls(
            host=host,
            metric=metric,
            as_of=now,
            level=float(crossings.level[row]),
            limit=limit,
            rate_per_hour=float(crossings.rate_per_hour[row]),
            failure_at=now + timedelta(hours=eta),
            eta_hours=eta,
            earliest_hours=earliest,
            latest_hours=latest,
            sentence=advice_.sentence,
            action=advice_.action,
        )

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
    """Anomaly scores with explanations, and time to failure of capacity metrics.

    ``detectors`` gives a fresh detector per metric (by default the named one for all);
    ``champion`` is polled on each batch and returns a version number: when it changes
    (a retrained model became champion), every series is warmed up again with the new
    detectors, from stored history.
    """

    def __init__(
        self,
        detector: str = "novelty",
        history: History = no_history,
        *,
        count: Count | None = None,
        detectors: Callable[[str], Detector] | None = None,
        champion: Callable[[], int | None] | None = None,
    ) -> None:
        self.detector_name = detector
        self.per_metric = detectors is not None
        self.detectors = detectors or (lambda _metric: make_detector(detector))
        probe = self.detectors("")
        self.threshold = probe.threshold
        self.context = probe.context
        self.history = history
        self.count = count
        self.champion = champion
        self.version = champion() if champion else None
        self._by_series = isinstance(fleet_of(lambda: probe), DetectorFleet)
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._series = SeriesRows()
        self._recent = Recent(max(EXPLAIN_BASELINE + FEATURE_WINDOW, TTF_LOOKBACK))
        self._fleets: dict[str, int] = {}
        self._fleet_list: list[Fleet] = []
        # per row of ``_recent``: which fleet scores the series, and its row there
        self._fleet_of_row = np.zeros(0, dtype=np.int64)
        self._fleet_row = np.zeros(0, dtype=np.int64)
        # per row: how many points the series had at its last time-to-failure estimate
        self._estimated = np.zeros(0, dtype=np.int64)
        # per row: a novelty row whose points per day are not known yet; how many are
        self._clock_due = np.zeros(0, dtype=bool)
        self._clocks_due = 0

    def _fleet(self, metric: str) -> int:
        """One fleet per metric when detectors differ by metric (models retrained per
        metric), else one for all."""
        index = self._fleets.get(metric)
        if index is None:
            index = self._fleets[metric] = len(self._fleet_list)
            self._fleet_list.append(fleet_of(lambda: self.detectors(metric)))
        return index

    def _warm(self, unique_id: str, first: datetime) -> int:
        ds, y = self.history(unique_id, first, self.context)
        values = np.asarray(y, dtype=np.float64)
        start = 0
        if self.count is not None and len(values) == self.context:
            start = self.count(unique_id, first) - len(values)
        fleet = self._fleet(unique_id.partition(":")[2] if self.per_metric else "")
        scorer = self._fleet_list[fleet]
        stamps = np.asarray(ds, dtype="datetime64[ns]")
        due = isinstance(scorer, NoveltyFleet) and len(stamps) <= CLOCK_STEPS
        if isinstance(scorer, NoveltyFleet) and not due:
            cycle = points_per_day(stamps, scorer.detector.max_cycle)
            row = scorer.add(values, start, cycle, gaps_of(stamps, cycle, start))
        else:
            row = scorer.add(values, start)
        self._fleet_of_row = np.append(self._fleet_of_row, fleet)
        self._fleet_row = np.append(self._fleet_row, row)
        self._estimated = np.append(self._estimated, -TTF_STRIDE)
        self._clock_due = np.append(self._clock_due, due)
        self._clocks_due += due
        kept = stamps[max(0, len(stamps) - self._recent.size) :]
        return self._recent.add(kept.astype(np.int64), values)

    def _set_clocks(self, rows: IntArray) -> None:
        """Points per day of new novelty rows, from their first sampling steps: a missed
        cycle needs a week of points, so a clock set now misses nothing."""
        due = rows[self._clock_due[rows] & (self._recent.count[rows] > CLOCK_STEPS)]
        if not len(due):
            return
        _, stamps = self._recent.last(due, CLOCK_STEPS + 1)
        for row, times in zip(due.tolist(), stamps.view("datetime64[ns]"), strict=True):
            fleet = self._fleet_list[int(self._fleet_of_row[row])]
            assert isinstance(fleet, NoveltyFleet)
            fleet_row = int(self._fleet_row[row])
            cycle = points_per_day(times, fleet.detector.max_cycle)
            gaps = gaps_of(times, cycle, int(fleet.count[fleet_row]) - len(times))
            fleet.clock(fleet_row, cycle, *gaps[-1:].tolist())
        self._clock_due[due] = False
        self._clocks_due -= len(due)

    def forget(self, unique_ids: Iterable[str]) -> None:
        """Drop state whose predictions were not stored; it is rebuilt from stored history."""
        with self._lock:
            self._series.forget(unique_ids)

    def _follow_champion(self) -> None:
        if self.champion is None:
            return
        version = self.champion()
        if version != self.version:
            self.version = version
            self._reset()

    def predict(self, frame: pd.DataFrame) -> Scored:
        """Score the new points of ``frame`` (unique_id, host, metric, ds, y, labels)."""
        batch = SeriesSlices.of(frame)
        n = len(batch.y)
        scores = np.zeros(n)
        explanation = np.full(n, None, dtype=object)
        stamps = batch.ds.astype(np.int64)
        with self._lock:
            self._follow_champion()
            rows = self._series.of(batch, self._warm)
            fresh, steps = batch.steps(self._recent.newest[rows])
            touched = np.unique(batch.series_of[fresh])
            if self._by_series:
                self._score_runs(batch, fresh, rows, scores, explanation)
            else:
                for points in steps:
                    at = rows[batch.series_of[points]]
                    newest = self._recent.newest[at]
                    elapsed = np.where(newest == NEVER, 0, stamps[points] - newest)
                    self._recent.push(at, stamps[points], batch.y[points])
                    scores[points] = self._score(at, batch.y[points], elapsed)
                    flagged = points[scores[points] >= self.threshold]
                    if len(flagged):
                        explanation[flagged] = self._explain(rows[batch.series_of[flagged]])
                    if self._clocks_due:
                        self._set_clocks(at)
            failures = self._failures(batch, touched, rows[touched])
        added = {
            "score": scores,
            "is_anomaly": scores >= self.threshold,
            "explanation": explanation,
        }
        return Scored(batch.fresh_frame(fresh, added), failures)

    def _score(
        self, rows: IntArray, values: FloatArray, elapsed: npt.NDArray[np.int64]
    ) -> FloatArray:
        """Scores of one step; the rows of each metric's fleet in one update. ``elapsed``:
        ns since each row's previous point, which tells a novelty fleet of gaps."""
        fleet_of_row = self._fleet_of_row[rows]
        if fleet_of_row.min() == fleet_of_row.max():
            return self._update(int(fleet_of_row[0]), self._fleet_row[rows], values, elapsed)
        scores = np.empty(len(rows))
        for fleet in np.unique(fleet_of_row).tolist():
            mine = fleet_of_row == fleet
            fleet_rows = self._fleet_row[rows[mine]]
            scores[mine] = self._update(fleet, fleet_rows, values[mine], elapsed[mine])
        return scores

    def _update(
        self, fleet: int, rows: IntArray, values: FloatArray, elapsed: npt.NDArray[np.int64]
    ) -> FloatArray:
        scorer = self._fleet_list[fleet]
        if isinstance(scorer, NoveltyFleet):
            scorer.note_steps(rows, elapsed)
        return scorer.update(rows, values)

    def _score_runs(
        self,
        batch: SeriesSlices,
        fresh: IntArray,
        rows: IntArray,
        scores: FloatArray,
        explanation: npt.NDArray[np.object_],
    ) -> None:
        """Detectors without an array fleet score each series' new points as one run."""
        series_of = batch.series_of[fresh]
        cuts = np.flatnonzero(np.diff(series_of)) + 1
        for points in np.split(fresh, cuts) if len(fresh) else []:
            row = int(rows[batch.series_of[points[0]]])
            before, _ = self._recent.last(np.array([row]), self._recent.size)
            values = batch.y[points]
            self._recent.extend(row, batch.ds[points].astype(np.int64), values)
            fleet = self._fleet_list[int(self._fleet_of_row[row])]
            assert isinstance(fleet, DetectorFleet)
            scores[points] = fleet.run(int(self._fleet_row[row]), values)
            flagged = scores[points] >= self.threshold
            if flagged.any():
                baseline = before[0][~np.isnan(before[0])]
                shares = contributions(np.concatenate((baseline, values)))[-len(values) :]
                explanation[points[flagged]] = [
                    json.loads(text) for text in describe(shares[flagged])
                ]

    def _explain(self, rows: IntArray) -> list[dict[str, float]]:
        """Explanations of the newest point of each row; series with a full baseline at once."""
        recent, _ = self._recent.last(rows, EXPLAIN_BASELINE + FEATURE_WINDOW)
        young = np.isnan(recent).any(axis=1)
        shares = np.zeros((len(rows), len(FEATURE_NAMES)))
        if not young.all():
            shares[~young] = latest_contributions(recent[~young])
        for index in np.flatnonzero(young).tolist():
            values = recent[index]
            shares[index] = contributions(values[~np.isnan(values)])[-1]
        explained = [json.loads(text) for text in describe(shares)]
        for index in np.flatnonzero(self._missed_cycle(rows)).tolist():
            explained[index] = {MISSED_CYCLE: 1.0}
        return explained

    def _missed_cycle(self, rows: IntArray) -> npt.NDArray[np.bool_]:
        """Rows whose newest point is flagged as a missed daily cycle by a novelty fleet."""
        missed = np.zeros(len(rows), dtype=bool)
        for fleet_index in np.unique(self._fleet_of_row[rows]).tolist():
            fleet = self._fleet_list[fleet_index]
            if isinstance(fleet, NoveltyFleet):
                mine = self._fleet_of_row[rows] == fleet_index
                missed[mine] = fleet.missed[self._fleet_row[rows[mine]]] >= self.threshold
        return missed

    def _failures(
        self, batch: SeriesSlices, series: IntArray, rows: IntArray
    ) -> dict[tuple[str, str], FailureEstimate | None]:
        """Time to failure of the capacity series among ``series`` that are due, all at once.

        A series is due when ``TTF_STRIDE`` points arrived since its last estimate: a
        trend over 120 points moves little from one point to the next, and each
        estimate found becomes a message and a stored row.
        """
        due = self._recent.count[rows] - self._estimated[rows] >= TTF_STRIDE
        series, rows = series[due], rows[due]
        # every series due is looked at now, capacity or not: a series without a limit
        # is asked again ``TTF_STRIDE`` points later, not on each of its points
        self._estimated[rows] = self._recent.count[rows]
        frame = batch.frame
        last = np.append(batch.starts[1:], len(batch.y))[series] - 1
        metrics = frame["metric"].to_numpy()[last]
        labels = frame["labels"].to_numpy()[last]
        limits = np.array(
            [capacity_limit(str(m), label) for m, label in zip(metrics, labels, strict=True)],
            dtype=np.float64,
        )
        capacity = np.flatnonzero(~np.isnan(limits))
        failures: dict[tuple[str, str], FailureEstimate | None] = {}
        if not len(capacity):
            return failures
        hosts = frame["host"].to_numpy()[last]
        values, stamps = self._recent.last(rows[capacity], TTF_LOOKBACK)
        seen = np.minimum(self._recent.count[rows[capacity]], TTF_LOOKBACK)
        for length in np.unique(seen).tolist():
            at = seen == length
            group = capacity[at]
            for index in group.tolist():
                failures[(str(hosts[index]), str(metrics[index]))] = None
            if length < TTF_MIN_POINTS:
                continue
            tail = stamps[at][:, -length:]
            crossings = times_to_failure(
                (tail - tail[:, -1:]).astype(np.float64) / HOUR_NS,
                values[at][:, -length:],
                limits[group],
            )
            for i in np.flatnonzero(crossings.found).tolist():
                index = int(group[i])
                host, metric = str(hosts[index]), str(metrics[index])
                now = EPOCH + timedelta(microseconds=int(tail[i, -1]) // 1000)
                failures[(host, metric)] = FailureEstimate.of(
                    host, metric, now, float(limits[index]), crossings, i
                )
        return failures
