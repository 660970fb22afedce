"""Bursts and events: where they are, and how each policy fared during them.

A burst is a step whose load jumps far above the recent norm: above the trailing
median of the last hour by more than ``threshold`` robust standard deviations (1.4826
times the median absolute deviation) and by at least half. The median and MAD ignore
the spike itself, so one burst does not hide the next. When the input says where its
bursts and events are (seed 5's ``is_burst`` / ``is_event`` columns) those flags are used
as they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

BoolArray = npt.NDArray[np.bool_]
MAD_TO_SIGMA = 1.4826


def detect_bursts(load: npt.NDArray[np.float64], window: int, threshold: float = 5.0) -> BoolArray:
    """Steps far above the trailing ``window`` steps (which exclude the step itself)."""
    series = pd.Series(load)
    past = series.shift(1)
    median = past.rolling(window, min_periods=max(3, window // 2)).median()
    deviation = (past - median).abs().rolling(window, min_periods=max(3, window // 2)).median()
    spread = np.maximum(MAD_TO_SIGMA * deviation, np.sqrt(median.clip(lower=1.0)))
    flagged = (series > median + threshold * spread) & (series > 1.5 * median)
    result: BoolArray = flagged.fillna(False).to_numpy(dtype=bool)
    return result


@dataclass(frozen=True, slots=True)
class Episode:
    kind: str  # "burst" or "event"
    start: int  # first step
    end: int  # one past the last step
    source: str  # "flagged" (from the input) or "detected"


def episodes(flags: BoolArray, kind: str, source: str) -> list[Episode]:
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [Episode(kind, int(s), int(e), source) for s, e in zip(starts, ends, strict=True)]
