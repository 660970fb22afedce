"""The perfect-foresight lower bound: the cheapest schedule that serves every request.

The oracle knows the whole series, so it needs ``ceil(rate / capacity)`` ready replicas
in each step (within min/max) and starts each one exactly one provisioning delay before
it is needed. Replicas are interchangeable, so the schedule decomposes into levels: the
k-th replica is needed during the steps where the need is at least k, and between two
such stretches it is cheaper to keep it running when the gap is shorter than the delay
(a restart costs the delay) and to stop it otherwise. Summing the cheapest schedule of
each level gives the cheapest schedule overall, so no policy that serves everything
can cost less.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _runs(mask: npt.NDArray[np.bool_]) -> tuple[IntArray, IntArray]:
    """Starts and (exclusive) ends of the stretches where ``mask`` holds."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def oracle_replica_seconds(
    need: IntArray, step_seconds: float, provisioning_delay: float, initial: int
) -> FloatArray:
    """Replica-seconds paid in each step by the cheapest schedule meeting ``need``.

    ``initial`` replicas are running and ready when the series starts; every other
    replica is paid for its provisioning delay before it serves (before the series
    starts, if need be, charged to the first step).
    """
    paid = np.zeros(len(need), dtype=np.float64)
    top = int(need.max()) if len(need) else 0
    for level in range(1, top + 1):
        starts, ends = _runs(need >= level)
        previous_end: int | None = None
        for start, end in zip(starts, ends, strict=True):
            paid[start:end] += step_seconds
            if previous_end is None:
                gap = start * step_seconds
                warm = level <= initial
                if warm and gap <= provisioning_delay:
                    paid[:start] += step_seconds
                else:
                    _charge_before(paid, start, provisioning_delay, step_seconds)
            else:
                gap = (start - previous_end) * step_seconds
                if gap <= provisioning_delay:
                    paid[previous_end:start] += step_seconds
                else:
                    _charge_before(paid, start, provisioning_delay, step_seconds)
            previous_end = int(end)
    return paid


def _charge_before(paid: FloatArray, start: int, delay: float, step_seconds: float) -> None:
    """Charge ``delay`` seconds to the steps right before ``start`` (the first step if none)."""
    remaining = delay
    index = start - 1
    while remaining > 0 and index >= 0:
        paid[index] += min(step_seconds, remaining)
        remaining -= step_seconds
        index -= 1
    if remaining > 0:
        paid[0] += remaining
