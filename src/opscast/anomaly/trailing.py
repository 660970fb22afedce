"""Trailing-window statistics refreshed on a fixed stride, identical in batch and in a stream.

A trailing median over 6,400 points recomputed at every point costs the window on every
update, which is what kept a stream of one point per series at a few hundred points per
second. The statistics of such a long window barely move from one point to the next, so
they are recomputed only at *refresh points*, counted from the series start: while the
window fills, each time the series has grown by 1/64 since the last one; once it is
full, every ``window // 64`` points. Point ``p`` is judged against the statistics of
the window before its refresh point ``refresh_point(p)``; the cost per point is about
64 values, whatever the window.

Batch and stream must agree to the last bit, so both hand the same values in the same
order to the same reduction: the order of a ring buffer that stores position ``q`` in
slot ``q % window`` (``ring_order``). The median is order-free; the mean and standard
deviation are not, to rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from opscast.anomaly.features import FloatArray

IntArray = npt.NDArray[np.int64]
WindowStat = Callable[[FloatArray], tuple[FloatArray, FloatArray]]
"""(k, w) windows, one per row -> two statistics per row."""

REFRESHES_PER_WINDOW = 64
# values gathered per chunk of windows: 8 MB of float64, so the reductions' temporaries
# stay in cache instead of faulting in fresh pages
GATHER_VALUES = 1 << 20


def refresh_stride(window: int) -> int:
    """Points between refreshes of a full window: 64 refreshes while it slides by itself."""
    return max(1, window // REFRESHES_PER_WINDOW)


@lru_cache(maxsize=64)
def _filling(window: int) -> IntArray:
    """Refresh points while the window fills: each 1/64 of the points so far after the last.

    A young window's statistics move fast, so they are refreshed as often, relative to
    its length, as a full one's; the last entry is the first refresh point of a full
    window, from which they come every ``refresh_stride`` points.
    """
    points = [0]
    while points[-1] < window:
        points.append(points[-1] + max(1, points[-1] // REFRESHES_PER_WINDOW))
    return np.array(points, dtype=np.int64)


def refresh_point(positions: IntArray, window: int) -> IntArray:
    """The latest refresh point at or before each position."""
    filling = _filling(window)
    full, stride = int(filling[-1]), refresh_stride(window)
    early = filling[np.searchsorted(filling, np.minimum(positions, full), side="right") - 1]
    return np.where(positions < full, early, positions - (positions - full) % stride)


def is_refresh_point(positions: IntArray, window: int) -> npt.NDArray[np.bool_]:
    due: npt.NDArray[np.bool_] = refresh_point(positions, window) == positions
    return due


def _std(windows: FloatArray, mean: FloatArray) -> FloatArray:
    centred = windows - mean[:, None]
    spread: FloatArray = np.sqrt(np.einsum("ij,ij->i", centred, centred) / windows.shape[1])
    return spread


def median_std(windows: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Median and population standard deviation of each row.

    One selection per row: ``np.median`` asks for both middle ranks at once, which
    numpy selects ten times slower than one.
    """
    n = windows.shape[1]
    half = n // 2
    ordered = np.partition(windows, half, axis=1)
    upper = ordered[:, half]
    median = upper if n % 2 else (ordered[:, :half].max(axis=1) + upper) / 2.0
    return median, _std(windows, windows.mean(axis=1))


def mean_std(windows: FloatArray) -> tuple[FloatArray, FloatArray]:
    mean = windows.mean(axis=1)
    return mean, _std(windows, mean)


def ring_order(ends: IntArray, window: int) -> IntArray:
    """Positions of the ``window`` points before each end, in ring-buffer slot order."""
    slots = np.arange(window, dtype=np.int64)
    return (ends - window)[:, None] + (slots[None, :] - ends[:, None]) % window


def stats_at(
    values: FloatArray,
    start: int,
    ends: IntArray,
    window: int,
    stat: WindowStat,
    min_count: int,
) -> tuple[FloatArray, FloatArray]:
    """``stat`` of the (up to) ``window`` values before each position in ``ends``.

    ``values[i]`` is the series at position ``start + i``. A window that would reach
    before ``start`` is cut there (the stream keeps enough context that no score it
    reports depends on a cut window); fewer than ``min_count`` values give NaN.
    """
    first = np.full(len(ends), np.nan)
    second = np.full(len(ends), np.nan)
    lows = np.maximum(ends - window, start)
    full = (ends - window >= start) & (window >= min_count)
    full_at = np.flatnonzero(full)
    chunk = max(1, GATHER_VALUES // max(window, 1))
    for offset in range(0, len(full_at), chunk):
        rows = full_at[offset : offset + chunk]
        first[rows], second[rows] = stat(values[ring_order(ends[rows], window) - start])
    for row in np.flatnonzero(~full & (ends - lows >= min_count)).tolist():
        low, end = int(lows[row]) - start, int(ends[row]) - start
        a, b = stat(values[None, low:end])
        first[row], second[row] = a[0], b[0]
    return first, second


def trailing_stats(
    values: FloatArray,
    start: int,
    window: int,
    stat: WindowStat,
    min_count: int,
    first: int = 0,
) -> tuple[FloatArray, FloatArray]:
    """Per point from ``values[first]`` on, ``stat`` of the window before its refresh point."""
    positions = start + np.arange(first, len(values), dtype=np.int64)
    refresh = refresh_point(positions, window)
    ends, index = np.unique(refresh, return_inverse=True)
    one, two = stats_at(values, start, ends, window, stat, min_count)
    return one[index], two[index]


class RingWindows:
    """The last ``window`` values of many series, one row each, and their refreshed stats.

    ``push`` appends one value to each of some rows and recomputes the statistics of the
    rows that reached a refresh point, all rows at once; what it returns and keeps is
    what ``trailing_stats`` gives the whole series.
    """

    def __init__(self, window: int, stat: WindowStat, min_count: int, rows: int = 0) -> None:
        self.window = window
        self.stride = refresh_stride(window)
        self._full = int(_filling(window)[-1])
        self._early = frozenset(_filling(window).tolist())
        self.stat = stat
        self.min_count = min_count
        self.values = np.zeros((rows, window))
        self.count = np.zeros(rows, dtype=np.int64)
        self.first = np.full(rows, np.nan)
        self.second = np.full(rows, np.nan)

    @property
    def rows(self) -> int:
        return len(self.count)

    def grow(self, rows: int) -> None:
        """Room for at least ``rows`` series; new rows are empty."""
        extra = rows - self.rows
        if extra <= 0:
            return
        self.values = np.vstack((self.values, np.zeros((extra, self.window))))
        self.count = np.concatenate((self.count, np.zeros(extra, dtype=np.int64)))
        self.first = np.concatenate((self.first, np.full(extra, np.nan)))
        self.second = np.concatenate((self.second, np.full(extra, np.nan)))

    def restore(self, row: int, values: FloatArray, start: int) -> None:
        """State of ``row`` after positions ``start`` .. ``start + len(values) - 1``."""
        count = start + len(values)
        self.count[row] = count
        self.values[row] = 0.0
        kept = np.arange(max(start, count - self.window), count, dtype=np.int64)
        self.values[row, kept % self.window] = values[kept - start]
        at = refresh_point(np.array([count], dtype=np.int64), self.window)
        first, second = stats_at(values, start, at, self.window, self.stat, self.min_count)
        self.first[row], self.second[row] = first[0], second[0]

    def push(self, rows: IntArray, values: FloatArray) -> None:
        """Append ``values[i]`` to row ``rows[i]`` (distinct rows) and refresh where due."""
        count = self.count[rows]
        self.values[rows, count % self.window] = values
        count = count + 1
        self.count[rows] = count
        due = is_refresh_point(count, self.window)
        if not due.any():
            return
        rows, count = rows[due], count[due]
        full = count >= self.window
        if full.all():
            self._refresh(rows)
            return
        if full.any():
            self._refresh(rows[full])
        for length in np.unique(count[~full]).tolist():
            if length >= self.min_count:
                self._refresh(rows[~full][count[~full] == length], length)

    def push_one(self, row: int, value: float) -> None:
        """``push`` of a single value, without the array bookkeeping (per-event use)."""
        count = int(self.count[row])
        self.values[row, count % self.window] = value
        count += 1
        self.count[row] = count
        if count >= self._full and (count - self._full) % self.stride:
            return
        if count >= self._full or count in self._early:
            length = None if count >= self.window else count
            if length is None or length >= self.min_count:
                self._refresh(np.array([row]), length)

    def _refresh(self, rows: IntArray, length: int | None = None) -> None:
        chunk = max(1, GATHER_VALUES // self.window)
        for at in range(0, len(rows), chunk):
            part = rows[at : at + chunk]
            windows = self.values[part] if length is None else self.values[part, :length]
            self.first[part], self.second[part] = self.stat(np.ascontiguousarray(windows))
