"""Where each point sits on its series' regular time grid.

Gap checks and gap filling need the same fact: how many steps of ``freq`` lie between a
series' first point and each of its points. Computing it in one vectorised place keeps
the two consistent. Fixed steps (minutes, hours, days, integer steps) are counted from
each series' own first point, so series need not share an anchor. Calendar steps
(weeks starting on a weekday, month or quarter starts) have unequal lengths, so they are
counted on one shared calendar. A point between grid lines is refused rather than
silently moved: filling such data would invent values at the wrong times.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset, Tick

from opscast.timeseries.errors import FrameValidationError

Step = int | BaseOffset
IntArray = npt.NDArray[np.int64]


def parse_step(freq: str | int | BaseOffset | None, *, integer_ds: bool) -> Step:
    """The grid step for ``freq``: a positive int for integer ``ds``, a pandas offset otherwise."""
    if integer_ds:
        if freq is None:
            return 1
        if isinstance(freq, int) and not isinstance(freq, bool) and freq > 0:
            return freq
        raise FrameValidationError(
            f"freq {freq!r} does not fit integer steps in ds; pass a positive whole number",
            column="freq",
        )
    if freq is None or isinstance(freq, int):
        raise FrameValidationError(
            "ds holds timestamps, so freq must be a pandas offset alias such as "
            "'h', 'D', 'W-MON' or 'MS'",
            column="freq",
        )
    try:
        return to_offset(freq)
    except ValueError:
        raise FrameValidationError(
            f"unknown frequency {freq!r}; use a pandas offset alias such as "
            "'h', 'D', 'W-MON' or 'MS'",
            column="freq",
        ) from None


def _fixed_length(step: int | Tick) -> int:
    """The step as a count of ds units (nanoseconds for timestamps)."""
    return step if isinstance(step, int) else int(step.nanos)


def _as_int64(ds: pd.Series) -> IntArray:
    return ds.to_numpy().astype("int64")


def _off_grid(row: int, value: object, step: Step) -> FrameValidationError:
    label = step if isinstance(step, int) else step.freqstr
    return FrameValidationError(
        f"value {value} is not on the {label!r} grid of its series; resample to that "
        "granularity first or pass the frequency the data has",
        column="ds",
        row=row,
    )


def grid_positions(unique_id: pd.Series, ds: pd.Series, step: Step) -> IntArray:
    """Steps of ``step`` from each row's series start to the row (0 for the first point).

    ``unique_id`` and ``ds`` must share a default RangeIndex; an off-grid row raises with
    its position.
    """
    first = ds.groupby(unique_id, sort=False).transform("min")
    if isinstance(step, int | Tick):
        fixed = _fixed_length(step)
        elapsed = _as_int64(ds) - _as_int64(first)
        off = elapsed % fixed != 0
        if off.any():
            row = int(np.flatnonzero(off)[0])
            raise _off_grid(row, ds.iloc[row], step)
        return elapsed // fixed
    calendar = pd.date_range(ds.min(), ds.max(), freq=step)
    places = calendar.searchsorted(ds.to_numpy())
    found = places < len(calendar)
    found[found] = calendar.to_numpy()[places[found]] == ds.to_numpy()[found]
    if not found.all():
        row = int(np.flatnonzero(~found)[0])
        raise _off_grid(row, ds.iloc[row], step)
    starts = calendar.searchsorted(first.to_numpy())
    return (places - starts).astype("int64")


def grid_values(first: pd.Series, counts: IntArray, step: Step) -> npt.NDArray[np.generic]:
    """``counts[i]`` consecutive grid values starting at ``first.iloc[i]``, all series chained."""
    total = int(counts.sum())
    offsets = np.repeat(np.cumsum(counts) - counts, counts)
    within = np.arange(total, dtype="int64") - offsets
    values: npt.NDArray[np.generic]
    if isinstance(step, int):
        values = np.repeat(first.to_numpy().astype("int64"), counts) + within * step
        return values
    if isinstance(step, Tick):
        starts = np.repeat(first.to_numpy().astype("datetime64[ns]"), counts)
        values = starts + (within * _fixed_length(step)).astype("timedelta64[ns]")
        return values
    if total == 0:
        values = first.to_numpy()[:0]
        return values
    # an upper bound for the last value any series needs
    end = first.max() + step * int(counts.max())
    calendar = pd.date_range(first.min(), end, freq=step).to_numpy()
    base = np.repeat(calendar.searchsorted(first.to_numpy()), counts)
    values = calendar[base + within]
    return values
