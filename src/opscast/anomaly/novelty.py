"""Context novelty: how rarely the recent shape of a metric has been seen before.

A metric that alerts is one doing something it has not done lately: a level it has not
held, a spike in a place where the usual rhythm has none, a daily cycle that failed to
come. The detector keeps a memory of short *patterns* and scores each point by how new
its pattern is, in the spirit of the contextual detectors that lead the Numenta Anomaly
Benchmark (Numenta's HTM sequence memory, CAD OSE's contexts, ARTime's categories):

1. **Symbols at several time scales.** For each scale ``m`` the point's value is
   smoothed over the last ``m`` points and placed on one of ``levels`` equal bins
   spanning the range (min .. max) of the smoothed values of the last ``memory``
   points; bins of the same width continue one range below and above it.
2. **Contexts.** The symbol, alone and preceded by the symbols ``m``, ``2m`` ..
   ``orders * m`` points earlier, forms ``orders + 1`` patterns per scale.
3. **Novelty.** Each pattern's count among the patterns of the recent past (the
   current and the previous half of ``memory``) gives ``1 / (1 + count)``; the raw
   score is the mean over scales and patterns, so 1 means "never seen, at any scale,
   in any context" and a pattern seen a few times fades fast.
4. **Records.** A value beyond the range of the raw values of the last ``memory``
   points (the completed blocks kept as for the symbols, and the current block so far)
   by more than ``spatial_tolerance`` of that range is flagged whatever its pattern:
   HTM's "spatial anomaly" check, with the 5 % Numenta uses for NAB. A pattern can
   look familiar at every scale while the value under it is a record; this catches the
   record at its first point. Its score grows with the break, ``0.5 + excess / 2`` for
   an excess in widths of the range, up to 1 at a full width: a noisy metric creeping
   to a new high (a filling disk, daily) scores just above the threshold and stays
   below the shipped alert rule's 0.7, while a jump of a whole range pages. Records
   rest on their own and start no rest of the patterns, so the new patterns of the
   change a record may begin still raise their alarm.
5. **Missed cycles.** With a clock (``cycle``: points per day, from the series' sampling
   step), the longest scale's symbol is compared with the symbols at the same time of
   day 1, 2, 3 and 7 days earlier. When those four agree, the day has a rhythm (the
   week-old one keeps a weekday from being judged by a weekend); a symbol at least
   ``cycle_gap`` bins away from them is a daily peak that did not come, or one that
   came at night, which no pattern of the last hours can show. It scores its distance
   in ranges (bins over ``levels - 1``) up to 1, and rests for a day on its own.
6. **Rest.** Nothing is reported for the first ``warmup`` points, when every
   pattern is new. After that, a raw score at or above ``rest_level`` silences the
   next ``rest`` points (reported 0): the onset of a change is the news, its
   continuation is not, and
   NAB, like an on-call engineer, counts every repeated alarm against the detector.

Everything is causal and bounded: each point is scored from the points before it, and
the memory forgets after ``memory`` points, so a process restarted from the stored
tail of a series scores exactly as one that never stopped. The pattern counts live
in a hashed table per series (``2 ** bits`` buckets per half of memory); batch
scoring hashes exactly as ``NoveltyFleet`` does, so batch and stream agree to the
last bit, collisions included. Cost per point: about ``3 * len(scales) * (orders + 1)``
array operations, independent of ``memory``; no Python loop runs per point in batch.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Self, TypeVar, cast

import numpy as np
import numpy.typing as npt

from opscast.anomaly.features import FloatArray, as_values
from opscast.anomaly.trailing import IntArray

BLOCKS = 64
"""The range is kept as the min and max of 64 blocks of ``memory // 64`` points."""
DAYS = np.array([1, 2, 3, 7], dtype=np.int64)
"""The earlier days a missed cycle is judged against: the last three and a week ago."""
SECOND_NS = 10**9
DAY_NS = 86_400 * SECOND_NS
CLOCK_STEPS = 12
"""Sampling steps needed before a series' clock (points per day) is trusted."""
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
"""Fibonacci hashing: the top bits of key * 2^64 / phi spread nearby keys apart."""
NEVER = np.iinfo(np.int64).min // 2
"""The position of an alarm that never happened: any rest after it is long over."""


@dataclass
class NoveltyDetector:
    """Mean novelty of multi-scale contexts, with a rest after each alarm (module doc)."""

    scales: tuple[int, ...] = (6, 12, 24)
    levels: int = 6
    orders: int = 4
    memory: int = 8000
    rest: int = 100
    rest_level: float = 0.45
    warmup: int = 150
    bits: int = 14
    threshold: float = 0.45
    spatial_tolerance: float = 0.05
    cycle: int = 0
    """Points per day of the series scored (0: no clock, no missed-cycle check)."""
    cycle_gap: int = 4
    max_cycle: int = 1440
    """The longest day a stream keeps symbols for: one-minute points."""
    name: str = "novelty"

    def __post_init__(self) -> None:
        if min(self.scales) < 1 or self.levels < 1 or self.memory < 2 or self.orders < 0:
            raise ValueError("scales, levels and orders must be positive and memory at least 2")
        if not 3 * self.levels < 256 or not 0 <= self.cycle <= self.max_cycle:
            raise ValueError("levels must stay below 86 and cycle between 0 and max_cycle")
        # the stream counts each half of memory in 16 bits
        if self.pane * self.keys_per_point >= 1 << 16:
            raise ValueError("memory // 2 * patterns per point must stay below 65,536")

    @property
    def pane(self) -> int:
        """Points per half of memory: counts cover the current and the previous half."""
        return max(1, self.memory // 2)

    @property
    def block(self) -> int:
        return max(1, self.memory // BLOCKS)

    @property
    def keys_per_point(self) -> int:
        return len(self.scales) * (self.orders + 1)

    @property
    def lags(self) -> int:
        """Symbols a context reaches back."""
        return self.orders * max(self.scales)

    @property
    def longest(self) -> int:
        """Index of the longest scale, whose symbols a missed cycle compares."""
        return self.scales.index(max(self.scales))

    @property
    def context(self) -> int:
        # counts reach two panes back, their contexts ``lags`` further, each symbol's
        # range ``BLOCKS`` blocks and its smoothing a scale further still; a missed
        # cycle looks a week back and rests a day
        symbol = (BLOCKS + 1) * self.block + max(self.scales)
        return max(2 * self.pane + self.lags, (int(DAYS[-1]) + 1) * self.max_cycle) + symbol

    def fit(self, history: npt.ArrayLike) -> Self:
        return self

    def score(self, values: npt.ArrayLike, *, start: int = 0) -> FloatArray:
        return self.trace(as_values(values), start).scores

    def trace(
        self, x: FloatArray, start: int = 0, tail: int | None = None, gaps: IntArray | None = None
    ) -> NoveltyTrace:
        """Scores and every intermediate a stream needs to continue from ``x``'s end.

        With ``tail``, only the last ``tail`` points are scored (the rest report 0):
        what a stream resuming after ``x`` needs, the patterns of all of them aside.
        ``gaps``: the positions of points that came after missing ones (``gaps_of``).
        """
        n = len(x)
        positions = start + np.arange(n, dtype=np.int64)
        symbols = []
        ranges = []
        for m in self.scales:
            smooth = smoothed(x, m)
            low, high, blocks = trailing_range(smooth, positions, self.block)
            symbols.append(symbolize(smooth, low, high, self.levels))
            ranges.append(blocks)
        low, high, blocks = trailing_range(x, positions, self.block, current_block=True)
        ranges.append(blocks)
        record = record_score(x, low, high, self.spatial_tolerance)
        keys = self.keys(symbols, n)
        first = 0 if tail is None else max(0, n - tail)
        counts = pane_counts(bucket_of(keys, self.bits), positions, self.pane, first)
        raw = np.zeros(n - first)
        for column in range(keys.shape[1]):
            raw = raw + 1.0 / (1.0 + counts[:, column])
        raw = np.concatenate((np.zeros(first), raw / keys.shape[1]))
        raw = np.where(positions < self.warmup, 0.0, raw)
        # every missed cycle is found, not only the tail's: each rests a day on its own;
        # for a week after missing points the days a point is compared with are shifted
        missed = cycle_break(symbols[self.longest], self.cycle, self.cycle_gap, self.levels)
        marks = np.full(n, NEVER)
        if gaps is not None and len(gaps):
            marks[np.asarray(gaps, dtype=np.int64) - start] = np.asarray(gaps, dtype=np.int64)
        last_gap = np.maximum.accumulate(marks) if n else marks
        shifted = positions - last_gap < DAYS[-1] * self.cycle
        missed = np.where((positions < self.warmup) | shifted, 0.0, missed)
        last_cycle = np.maximum.accumulate(np.where(missed > 0, positions, NEVER)) if n else missed
        cycle_before = np.concatenate(([NEVER], last_cycle[:-1]))
        missed = np.where(positions - cycle_before <= self.cycle, 0.0, missed)
        raw = np.maximum(raw, np.where(np.arange(n) < first, 0.0, missed))
        # only a new pattern starts a rest: a record that starts one would silence the
        # patterns of the change it begins
        loud = np.where(raw >= self.rest_level, positions, NEVER)
        last_loud = np.maximum.accumulate(loud) if n else loud
        before = np.concatenate(([NEVER], last_loud[:-1]))
        record = np.where((np.arange(n) < first) | (positions < self.warmup), 0.0, record)
        # records rest on their own: a climbing metric breaks one after another
        broken = np.where(record > 0, positions, NEVER)
        last_record = np.maximum.accumulate(broken) if n else broken
        record_before = np.concatenate(([NEVER], last_record[:-1]))
        record = np.where(positions - record_before <= self.rest, 0.0, record)
        scores = np.where(positions - before <= self.rest, 0.0, np.maximum(raw, record))
        return NoveltyTrace(
            scores,
            missed,
            symbols,
            ranges,
            keys,
            last_loud,
            last_record,
            last_cycle.astype(np.int64),
            last_gap,
        )

    def keys(self, symbols: list[IntArray], n: int) -> npt.NDArray[np.int64]:
        """(n, keys_per_point) pattern of each point, scale by scale, order by order."""
        base = 3 * self.levels + 1
        marker = 3 * self.levels
        out = np.empty((n, self.keys_per_point), dtype=np.int64)
        column = 0
        for index, (m, symbol) in enumerate(zip(self.scales, symbols, strict=True)):
            key = symbol.astype(np.int64)
            for order in range(self.orders + 1):
                if order:
                    key = key * base + lagged(symbol, order * m, marker)
                out[:, column] = (key * 8 + order) * 16 + index
                column += 1
        return out


@dataclass(frozen=True, slots=True)
class NoveltyTrace:
    scores: FloatArray
    missed: FloatArray
    """The missed-cycle score of each point (0 in its rest): what explains an alarm."""
    symbols: list[IntArray]
    ranges: list[tuple[FloatArray, FloatArray]]
    """Per scale, then for the raw values, the min and max of each block, oldest first."""
    keys: npt.NDArray[np.int64]
    last_loud: IntArray
    last_record: IntArray
    last_cycle: IntArray
    last_gap: IntArray


def smoothed(x: FloatArray, m: int) -> FloatArray:
    """Mean of the last ``m`` points (fewer at the start), summed oldest first.

    The stream sums its ring of the last ``m`` values in the same order, zeros for
    the points before the series began, so both get the same bits.
    """
    n = len(x)
    padded = np.concatenate((np.zeros(m - 1), x))
    total = padded[:n].copy()
    for lag in range(1, m):
        total = total + padded[lag : lag + n]
    seen = np.minimum(np.arange(1, n + 1), m).astype(np.float64)
    return np.asarray(total / seen, dtype=np.float64)


def trailing_range(
    values: FloatArray, positions: IntArray, block: int, *, current_block: bool = False
) -> tuple[FloatArray, FloatArray, tuple[FloatArray, FloatArray]]:
    """Min and max of the 64 completed blocks before each point's block (in the first
    block, of the values before the point): the range a level shift is measured against
    stays put until its block is complete, instead of stretching to the shift at once.
    With ``current_block``, the values of the point's own block before it count too: the
    range a record is measured against, which a climbing metric must not outrun.

    Blocks are counted from the series start, so the range forgets a block at a time;
    before any value they are +inf and -inf. Also returns each block's min and max.
    """
    n = len(values)
    if not n:
        empty = np.empty(0)
        return empty, empty, (empty, empty)
    lead = int(positions[0] % block)
    blocks = -(-(lead + n) // block)
    ranges = []
    for extreme, empty_value in ((np.minimum, np.inf), (np.maximum, -np.inf)):
        grid = np.full(blocks * block, empty_value)
        grid[lead : lead + n] = values
        cells, per_block = _prefix_and_ring(
            grid.reshape(blocks, block), extreme, empty_value, current_block
        )
        ranges.append((cells[lead : lead + n], per_block))
    (low, block_min), (high, block_max) = ranges
    return low, high, (block_min, block_max)


def _prefix_and_ring(
    grid: FloatArray, extreme: np.ufunc, empty: float, current_block: bool
) -> tuple[FloatArray, FloatArray]:
    """Per cell of a (blocks, block) grid, the extreme of the ``BLOCKS`` rows before
    (of the cells before it in its row when there are none, or also those cells with
    ``current_block``); and each row's extreme."""
    rows, width = grid.shape
    so_far = np.full((rows, width), empty)
    so_far[:, 1:] = extreme.accumulate(grid, axis=1)[:, :-1]
    per_block = extreme.reduce(grid, axis=1)
    padded = np.concatenate((np.full(BLOCKS, empty), per_block))
    windows = np.lib.stride_tricks.sliding_window_view(padded, BLOCKS)[:rows]
    ring = extreme.reduce(windows, axis=1)
    if current_block:
        cells = extreme(ring[:, None], so_far)
    else:
        cells = np.where(np.isinf(ring)[:, None], so_far, ring[:, None])
    return np.asarray(cells.ravel(), dtype=np.float64), np.asarray(per_block, dtype=np.float64)


def record_score(
    values: FloatArray, low: FloatArray, high: FloatArray, tolerance: float
) -> FloatArray:
    """0.5 plus half the excess beyond [low, high] in widths of the range, at most 1,
    where that excess is above ``tolerance`` (any departure from a flat range scores 1);
    0 elsewhere and before any range exists."""
    span = high - low
    with np.errstate(invalid="ignore", divide="ignore"):  # no range yet: inf - inf
        gap = np.maximum(values - high, low - values)
        excess = np.where(span > 0, gap / span, np.where(gap > 0, np.inf, 0.0))
    broken = np.isfinite(low) & np.isfinite(high) & (excess > tolerance)
    return np.where(broken, np.minimum(1.0, 0.5 + excess / 2), 0.0)


def symbolize(values: FloatArray, low: FloatArray, high: FloatArray, levels: int) -> IntArray:
    """Bins of width (high - low) / levels, numbered from the range's low minus one range
    width (0) to its high plus one range width (3 * levels - 1), farther values clipped.

    Bins outside the range keep a value far beyond it apart from a new record by a
    hair. With no spread yet (one value seen, or a flat metric) the value's own bin is
    the middle one and any other value lies just below or above.
    """
    span = high - low
    spread = np.isfinite(span) & (span > 0)
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        level = np.floor((values - low) / np.where(spread, span, 1.0) * levels)
    flat = np.where(values < low, -1, np.where(values > high, levels, levels // 2))
    flat = np.where(np.isfinite(low), flat, levels // 2)
    binned = np.where(spread, np.clip(np.nan_to_num(level), -levels, 2 * levels - 1), flat)
    return binned.astype(np.int64) + levels


def cycle_break(symbol: IntArray, cycle: int, gap: int, levels: int) -> FloatArray:
    """Per point, ``gap`` or more bins away from the same time of each of ``DAYS`` days
    before, which all hold one symbol: that distance in ranges (at most 1), else 0."""
    n = len(symbol)
    if cycle <= 0:
        return np.zeros(n)
    marker = 3 * levels
    before = [lagged(symbol, int(days) * cycle, marker) for days in DAYS]
    agreed = np.logical_and.reduce([earlier == before[0] for earlier in before[1:]])
    distance = np.abs(symbol - before[0])
    broken = agreed & (before[0] != marker) & (distance >= gap)
    return np.where(broken, cycle_score(distance, levels), 0.0)


def cycle_score(distance: IntArray, levels: int) -> FloatArray:
    """A missed cycle's score: its distance in ranges (bins over ``levels - 1``), at most 1.
    Batch and stream both score with it, so they agree to the last bit."""
    return np.minimum(1.0, distance / max(1, levels - 1))


def after_missing(elapsed: npt.ArrayLike, cycle: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Whether each step of ``elapsed`` ns is more than one and a half steps of a clock of
    ``cycle`` points per day (none without a clock): one or more points are missing."""
    ns, days = np.asarray(elapsed, dtype=np.int64), np.asarray(cycle, dtype=np.int64)
    return np.asarray((days > 0) & (2 * ns > 3 * (DAY_NS // np.maximum(days, 1))))


def points_per_day(stamps: npt.ArrayLike, longest: int) -> int:
    """A series' clock: points per day when at least 9 in 10 of its sampling steps are
    within a tenth of one step, a whole number of seconds that divides a day into at most
    ``longest`` points; else 0 (no clock). Scrapers' jitter of milliseconds is allowed."""
    steps = np.diff(np.asarray(stamps, dtype="datetime64[ns]").astype(np.int64))
    if len(steps) < CLOCK_STEPS:
        return 0
    step = round(float(np.median(steps)) / SECOND_NS) * SECOND_NS
    if step <= 0 or DAY_NS % step or np.mean(np.abs(steps - step) <= step / 10) < 0.9:
        return 0
    cycle = DAY_NS // step
    return cycle if cycle <= longest else 0


def gaps_of(stamps: npt.ArrayLike, cycle: int, start: int = 0) -> IntArray:
    """Positions (the first stamp's is ``start``) of the points that came more than one
    and a half steps of the clock after the point before: one or more points are missing,
    and counting points no longer finds the same time of day."""
    steps = np.diff(np.asarray(stamps, dtype="datetime64[ns]").astype(np.int64))
    return start + 1 + np.flatnonzero(after_missing(steps, cycle))


def lagged(symbol: IntArray, lag: int, marker: int) -> IntArray:
    """``symbol`` ``lag`` points earlier; ``marker`` before the first point."""
    n = len(symbol)
    out = np.full(n, marker, dtype=np.int64)
    if lag < n:
        out[lag:] = symbol[: n - lag]
    return out


def bucket_of(keys: npt.NDArray[np.int64], bits: int) -> npt.NDArray[np.int64]:
    """Bucket of each pattern in a table of ``2 ** bits``."""
    mixed = keys.astype(np.uint64) * GOLDEN
    return (mixed >> np.uint64(64 - bits)).astype(np.int64)


def pane_counts(
    buckets: npt.NDArray[np.int64], positions: IntArray, pane: int, first: int = 0
) -> npt.NDArray[np.int64]:
    """Per point from ``first`` on and per pattern, the earlier patterns in its bucket in
    the current and in the previous pane (what the stream's two tables hold)."""
    n, keys = buckets.shape
    if first >= n:
        return np.zeros((0, keys), dtype=np.int64)
    stride = n + 1
    ordered = np.sort((buckets * stride + np.arange(n)[:, None]).ravel())
    asked, where = buckets[first:], positions[first:]
    local = np.arange(first, n)[:, None]
    # local index where the previous pane starts (clipped to the first point)
    previous = np.maximum((where // pane - 1) * pane - positions[0], 0)[:, None]

    def before(index: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        found = np.searchsorted(ordered, (asked * stride + index).ravel(), side="left")
        return np.asarray(found.reshape(len(asked), keys), dtype=np.int64)

    counts: npt.NDArray[np.int64] = before(local) - before(previous)
    return counts


Array = TypeVar("Array", bound=np.ndarray[Any, Any])


class NoveltyFleet:
    """``NoveltyDetector`` scores for many series, one row of arrays each.

    ``update`` scores one new value for each of some rows with the arithmetic of
    ``NoveltyDetector.trace``, in the same order, so the scores are the batch scores
    to the last bit. A row holds the last ``max(scales)`` values, per scale the block
    minima and maxima of the range and the last ``orders * m`` symbols, and two
    tables of ``2 ** bits`` pattern counts, one per half of memory, packed as the low and
    high 16 bits of one word per bucket so a lookup reads both at once (64 KiB per
    series at the default 14 bits). For missed cycles it keeps the longest scale's
    symbols of the last week of one-minute points (10 KiB) and its clock, which starts
    as the detector's ``cycle`` and ``clock`` sets once the sampling step is known.
    """

    def __init__(self, detector: NoveltyDetector | None = None) -> None:
        self.detector = d = detector or NoveltyDetector()
        self.threshold = d.threshold
        self.rows = 0
        self._span = max(d.scales)
        self._size = 1 << d.bits
        self._base = 3 * d.levels + 1
        self._marker = 3 * d.levels
        scales = len(d.scales) + 1  # the last range is the raw values
        self.count = np.zeros(0, dtype=np.int64)
        self.begin = np.zeros(0, dtype=np.int64)
        self.last_loud = np.zeros(0, dtype=np.int64)
        self.last_record = np.zeros(0, dtype=np.int64)
        self.raw = np.zeros((0, self._span))
        self.block_min = np.zeros((0, scales, BLOCKS))
        self.block_max = np.zeros((0, scales, BLOCKS))
        self.ring_min = np.zeros((0, scales))
        self.ring_max = np.zeros((0, scales))
        self.now_min = np.zeros((0, scales))
        self.now_max = np.zeros((0, scales))
        self.symbols = [np.zeros((0, d.orders * m + 1), dtype=np.int64) for m in d.scales]
        self.tables = np.zeros((0, self._size), dtype=np.uint32)
        self._week = int(DAYS[-1]) * d.max_cycle + 1
        self.days = np.zeros((0, self._week), dtype=np.uint8)
        self.cycle = np.zeros(0, dtype=np.int64)
        self.last_cycle = np.zeros(0, dtype=np.int64)
        self.missed = np.zeros(0)
        """The missed-cycle score of each row's newest point (``NoveltyTrace.missed``)."""
        self.last_gap = np.zeros(0, dtype=np.int64)

    def _grow(self, rows: int) -> None:
        extra = rows - len(self.count)
        if extra <= 0:
            return
        inf = np.inf

        def more(array: Array, fill: float) -> Array:
            block = np.full((extra, *array.shape[1:]), fill, dtype=array.dtype)
            return cast(Array, np.concatenate((array, block)))

        self.count = more(self.count, 0)
        self.begin = more(self.begin, 0)
        self.last_loud = more(self.last_loud, NEVER)
        self.last_record = more(self.last_record, NEVER)
        self.raw = more(self.raw, 0.0)
        self.block_min, self.block_max = more(self.block_min, inf), more(self.block_max, -inf)
        self.ring_min, self.ring_max = more(self.ring_min, inf), more(self.ring_max, -inf)
        self.now_min, self.now_max = more(self.now_min, inf), more(self.now_max, -inf)
        self.symbols = [more(ring, self._marker) for ring in self.symbols]
        self.tables = more(self.tables, 0)
        self.days = more(self.days, self._marker)
        self.cycle = more(self.cycle, self.detector.cycle)
        self.last_cycle = more(self.last_cycle, NEVER)
        self.missed = more(self.missed, 0.0)
        self.last_gap = more(self.last_gap, NEVER)

    def add(
        self,
        history: npt.ArrayLike = (),
        start: int = 0,
        cycle: int | None = None,
        gaps: IntArray | None = None,
    ) -> int:
        """A new row continuing ``history`` (the series from position ``start``), with
        ``cycle`` points per day (the detector's by default) and the ``gaps`` in it."""
        d = self.detector if cycle is None else replace(self.detector, cycle=cycle)
        row = self.rows
        self.rows += 1
        if self.rows > len(self.count):
            self._grow(2 * self.rows)
        values = as_values(history) if len(np.asarray(history)) else np.empty(0)
        n = len(values)
        end = start + n
        self.count[row], self.begin[row] = end, start
        self.tables[row] = 0
        self.days[row] = self._marker
        self.cycle[row], self.last_cycle[row], self.missed[row] = d.cycle, NEVER, 0.0
        self.last_gap[row] = NEVER
        if not n:
            return row
        trace = d.trace(values, start, tail=d.rest, gaps=gaps)
        self.last_loud[row] = trace.last_loud[-1]
        self.last_record[row] = trace.last_record[-1]
        self.last_cycle[row], self.missed[row] = trace.last_cycle[-1], trace.missed[-1]
        self.last_gap[row] = trace.last_gap[-1]
        back = np.arange(max(start, end - self._week), end)
        self.days[row, back % self._week] = trace.symbols[d.longest][back - start]
        kept = np.arange(max(start, end - self._span), end)
        self.raw[row, kept % self._span] = values[kept - start]
        block_ids = np.unique(np.arange(start, end) // d.block)
        done = block_ids < end // d.block
        for index, (low, high) in enumerate(trace.ranges):
            full = block_ids[done][-BLOCKS:]
            self.block_min[row, index, full % BLOCKS] = low[done][-BLOCKS:]
            self.block_max[row, index, full % BLOCKS] = high[done][-BLOCKS:]
            self.ring_min[row, index] = self.block_min[row, index].min()
            self.ring_max[row, index] = self.block_max[row, index].max()
            if not done[-1]:
                self.now_min[row, index], self.now_max[row, index] = low[-1], high[-1]
        for index in range(len(d.scales)):
            ring = self.symbols[index]
            back = np.arange(max(start, end - ring.shape[1]), end)
            ring[row, back % ring.shape[1]] = trace.symbols[index][back - start]
        buckets = bucket_of(trace.keys, d.bits)
        positions = np.arange(start, end)
        last_pane = (end - 1) // d.pane
        for pane in (last_pane - 1, last_pane):
            mine = buckets[positions // d.pane == pane].ravel()
            counts = np.bincount(mine, minlength=self._size).astype(np.uint32)
            self.tables[row] |= counts << np.uint32(16 * (pane % 2))
        return row

    def clock(self, row: int, cycle: int, last_gap: int = NEVER) -> None:
        """Set a row's points per day, and the position of the last point that came after
        missing ones: its missed cycles are checked from then on."""
        if not 0 <= cycle <= self.detector.max_cycle:
            raise ValueError(f"cycle must lie between 0 and {self.detector.max_cycle}")
        self.cycle[row], self.last_gap[row] = cycle, last_gap

    def note_steps(self, rows: IntArray, elapsed: npt.NDArray[np.int64]) -> None:
        """Before ``update``: ``elapsed`` ns since each row's last point. More than one and
        a half steps of a row's clock is a gap (``gaps_of``)."""
        late = rows[after_missing(elapsed, self.cycle[rows])]
        self.last_gap[late] = self.count[late]

    def update(self, rows: IntArray, values: FloatArray) -> FloatArray:
        """Score one new value for each of ``rows`` (distinct), then remember it."""
        d = self.detector
        at = self.count[rows]
        span = self._span
        raw_values = self.raw.reshape(-1)
        raw_values[rows * span + at % span] = values
        seen = np.minimum(at - self.begin[rows] + 1, span).astype(np.float64)
        keys = np.empty((d.keys_per_point, len(rows)), dtype=np.int64)
        # the last ``span`` values of every row in one gather, oldest first; each scale
        # sums its last ``m`` of them in that order, as ``smoothed`` does
        lags = np.arange(span - 1, -1, -1)[:, None]
        window = raw_values.take(rows * span + (at - lags) % span)
        column = 0
        for index, m in enumerate(d.scales):
            total = window[span - m]
            for lag in range(span - m + 1, span):
                total = total + window[lag]
            smooth = total / np.minimum(seen, float(m))
            low, high = self._range(rows, index)
            symbol = symbolize(smooth, low, high, d.levels)
            ring = self.symbols[index]
            width = ring.shape[1]
            earlier = ring.reshape(-1).take(
                rows * width + (at - m * np.arange(1, d.orders + 1)[:, None]) % width
            )
            key = symbol
            for order in range(d.orders + 1):
                if order:
                    key = key * self._base + earlier[order - 1]
                keys[column] = (key * 8 + order) * 16 + index
                column += 1
            ring[rows, at % width] = symbol
            self._extend_range(rows, index, at, smooth)
            if index == d.longest:
                missed = self._missed_cycle(rows, at, symbol)
        record = self._record(rows, at, values)
        raw = np.maximum(np.where(at < d.warmup, 0.0, self._novelty(rows, at, keys)), missed)
        scores = np.where(at - self.last_loud[rows] <= d.rest, 0.0, np.maximum(raw, record))
        self.last_loud[rows] = np.where(raw >= d.rest_level, at, self.last_loud[rows])
        self.count[rows] = at + 1
        return scores

    def _novelty(self, rows: IntArray, at: IntArray, keys: npt.NDArray[np.int64]) -> FloatArray:
        """Mean novelty of each row's new patterns (``trace``), which then join its counts."""
        d = self.detector
        pane = at // d.pane
        shift = (np.uint32(16) * (pane % 2)).astype(np.uint32)
        starting = at % d.pane == 0
        if starting.any():
            # a new half of memory: forget the half before the previous one
            keep = ~(np.uint32(0xFFFF) << shift[starting])
            self.tables[rows[starting]] &= keep[:, None]
        cells = rows * self._size + bucket_of(keys, d.bits)
        table = self.tables.reshape(-1)
        words = table.take(cells)
        counts = (words & np.uint32(0xFFFF)).astype(np.int64) + (words >> np.uint32(16))
        raw = np.zeros(len(rows))
        for column in range(d.keys_per_point):
            raw = raw + 1.0 / (1.0 + counts[column])
        one = np.uint32(1) << shift
        table[cells] = words + one
        # rarely, two patterns of a row share a bucket: count each of them
        ordered = np.sort(cells, axis=0)
        shared = np.flatnonzero((ordered[1:] == ordered[:-1]).any(axis=0))
        if len(shared):
            table[cells[:, shared]] = words[:, shared]
            np.add.at(table, cells[:, shared].ravel(), np.tile(one[shared], len(cells)))
        return raw / d.keys_per_point

    def _missed_cycle(self, rows: IntArray, at: IntArray, symbol: IntArray) -> FloatArray:
        """``cycle_break`` of each row's new longest-scale symbol, which then joins the
        row's week; 0 in the warm-up and within a day of the row's last missed cycle."""
        d = self.detector
        cycle = self.cycle[rows]
        cells = rows * self._week
        days = self.days.reshape(-1)
        # yesterday first: the three other days are read only where it is far enough
        yesterday = days.take(cells + (at - cycle) % self._week).astype(np.int64)
        distance = np.abs(symbol - yesterday)
        aligned = at - self.last_gap[rows] >= DAYS[-1] * cycle
        far = np.flatnonzero(
            (cycle > 0)
            & aligned
            & (distance >= d.cycle_gap)
            & (yesterday != self._marker)
            & (at >= d.warmup)
        )
        missed = np.zeros(len(rows))
        if len(far):
            before = days.take(cells[far] + (at[far] - DAYS[1:, None] * cycle[far]) % self._week)
            broken = far[(before == yesterday[far]).all(axis=0)]
            missed[broken] = cycle_score(distance[broken], d.levels)
        days[cells + at % self._week] = symbol
        recent = self.last_cycle[rows]
        self.last_cycle[rows] = np.where(missed > 0, at, recent)
        missed = np.where(at - recent <= cycle, 0.0, missed)
        self.missed[rows] = missed
        return missed

    def _record(self, rows: IntArray, at: IntArray, values: FloatArray) -> FloatArray:
        """The record score of each value against its row's raw range (``trace``), which
        the value then joins; 0 in the warm-up and in the rest after a record."""
        raw = len(self.detector.scales)
        low, high = self._range(rows, raw, current_block=True)
        record = record_score(values, low, high, self.detector.spatial_tolerance)
        self._extend_range(rows, raw, at, values)
        record = np.where(at < self.detector.warmup, 0.0, record)
        recent = self.last_record[rows]
        self.last_record[rows] = np.where(record > 0, at, recent)
        return np.where(at - recent <= self.detector.rest, 0.0, record)

    def _range(
        self, rows: IntArray, index: int, *, current_block: bool = False
    ) -> tuple[FloatArray, FloatArray]:
        """Each row's range for ``index`` before its next value (``trailing_range``)."""
        ring_min, ring_max = self.ring_min[rows, index], self.ring_max[rows, index]
        now_min, now_max = self.now_min[rows, index], self.now_max[rows, index]
        if current_block:
            return np.minimum(ring_min, now_min), np.maximum(ring_max, now_max)
        low = np.where(np.isinf(ring_min), now_min, ring_min)
        high = np.where(np.isinf(ring_max), now_max, ring_max)
        return low, high

    def _extend_range(self, rows: IntArray, index: int, at: IntArray, smooth: FloatArray) -> None:
        block = self.detector.block
        self.now_min[rows, index] = np.fmin(self.now_min[rows, index], smooth)
        self.now_max[rows, index] = np.fmax(self.now_max[rows, index], smooth)
        done = (at + 1) % block == 0
        if not done.any():
            return
        closed, slots = rows[done], (at[done] // block) % BLOCKS
        self.block_min[closed, index, slots] = self.now_min[closed, index]
        self.block_max[closed, index, slots] = self.now_max[closed, index]
        self.ring_min[closed, index] = self.block_min[closed, index].min(axis=1)
        self.ring_max[closed, index] = self.block_max[closed, index].max(axis=1)
        self.now_min[closed, index] = np.inf
        self.now_max[closed, index] = -np.inf
