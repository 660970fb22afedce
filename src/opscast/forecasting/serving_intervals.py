"""Intervals for a served forecast, from the serving model's own recent errors.

A model fitted once and fed new context at every request has no refit to backtest,
but it can be replayed: forecast from cutoffs in the recent past, compare with what
happened, and take the conformal quantile of those errors per horizon step
(``conformal.step_half_widths``). The cutoffs are spread over a few seasons so that every
time of day contributes errors, and they are recent so the interval follows the model's
current accuracy rather than the accuracy it had when it was trained.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.forecasting.conformal import check_levels, step_half_widths
from opscast.forecasting.context_models import ContextForecaster, rolling_origin

CALIBRATION_WINDOWS = 39  # the 95 % quantile of 39 errors is the 38th: no interpolation
SEASONS_SPANNED = 2


def calibration_step(season_length: int) -> int:
    """Cutoffs this far apart cover ``SEASONS_SPANNED`` seasons with the windows."""
    return max(1, SEASONS_SPANNED * season_length // CALIBRATION_WINDOWS)


def calibration_points(h: int, season_length: int) -> int:
    """Points of context the calibration needs beyond the model's own context length."""
    return h + calibration_step(season_length) * (CALIBRATION_WINDOWS - 1)


def served_half_widths(
    model: ContextForecaster, values: pd.Series, h: int, level: float, season_length: int
) -> npt.NDArray[np.float64]:
    """Half-widths of the ``level`` % interval for the next ``h`` steps after ``values``."""
    (checked,) = check_levels([level])
    points = rolling_origin(
        model,
        values,
        h=h,
        step=calibration_step(season_length),
        n_windows=CALIBRATION_WINDOWS,
    )
    errors = points["actual"].to_numpy(np.float64) - points["predicted"].to_numpy(np.float64)
    return step_half_widths(points["horizon"].to_numpy(np.int64), errors, checked, h)
