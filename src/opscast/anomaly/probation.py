"""The model a learning detector scores with: its fitted one, or one learnt from the
first points of what it scores.

A detector that learns (the Isolation Forest, the LSTM autoencoder) and was not given a
history to ``fit`` learns from the first ``train_size`` points of the series it scores
and reports 0 for them, the "probationary period" of the Numenta Anomaly Benchmark. The
model learnt that way serves that call only, so the next series learns afresh and a
prefix of at least ``train_size`` points scores as the start of the whole.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from opscast.anomaly.features import FloatArray

Model = TypeVar("Model")


def model_for(
    values: FloatArray, fitted: Model | None, train_size: int, train: Callable[[FloatArray], Model]
) -> tuple[Model, int] | None:
    """The model to score ``values`` with and how many leading points trained it (0 for a
    fitted one); None when there is no fitted model and fewer than ``train_size`` points."""
    if fitted is not None:
        return fitted, 0
    if len(values) < train_size:
        return None
    return train(values[:train_size]), train_size
