"""Predictive scaling: replicas for the forecast's upper bound over the provisioning lead time.

A replica asked for now serves only after the provisioning delay, so the count decided
at ``t`` must carry the largest load expected in ``[t, t + delay + buffer]``; sizing it
from the upper bound rather than the mean is what buys headroom exactly where the
forecast is unsure. The result is used as one more proposal to the autoscaler, which
takes the larger of it and its reactive proposal, as crane's EffectiveHPA feeds its
prediction to the HPA and AWS predictive scaling sets a floor under dynamic scaling.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from opscast.scaling.simulation import ScalingSettings

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def lead_steps(provisioning_delay: float, buffer: float, step_seconds: float) -> int:
    """Steps after the current one that a replica started now must still be able to cover."""
    return math.ceil((provisioning_delay + buffer) / step_seconds)


def replicas_for_rate(
    rate: FloatArray,
    capacity_per_replica: float,
    target_utilization: float,
    min_replicas: int,
    max_replicas: int,
) -> IntArray:
    """Replicas that keep ``rate`` (requests per second) at the target utilization."""
    needed = np.ceil(rate / (capacity_per_replica * target_utilization) - 1e-9)
    return np.clip(needed, min_replicas, max_replicas).astype(np.int64)


def predictive_replicas(
    expected_rate: FloatArray, upper_rate: FloatArray, settings: ScalingSettings
) -> IntArray:
    """Replicas for the lead window: the expected peak at the target utilization, and the
    upper bound at full capacity.

    The target's headroom is for what the forecast expects; the upper bound already is
    the headroom for what it does not, so applying the target to it as well would pay
    twice for the same uncertainty.
    """
    at_target = replicas_for_rate(
        expected_rate,
        settings.capacity_per_replica,
        settings.target_utilization,
        settings.min_replicas,
        settings.max_replicas,
    )
    at_capacity = replicas_for_rate(
        upper_rate, settings.capacity_per_replica, 1.0, settings.min_replicas, settings.max_replicas
    )
    return np.maximum(at_target, at_capacity)


def window_peak(values: FloatArray, lead: int) -> FloatArray:
    """Largest of ``values[s .. s+lead]`` for each ``s`` (the window shrinks at the end)."""
    padded = np.concatenate([values, np.full(lead, -np.inf)])
    return np.asarray(
        np.lib.stride_tricks.sliding_window_view(padded, lead + 1)[: len(values)].max(axis=1),
        dtype=np.float64,
    )
