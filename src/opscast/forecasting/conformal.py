"""Conformal prediction intervals from backtest errors, the same for every model.

For each series and horizon step, the interval half-width at level L is the L-th
percentile of the absolute errors the model made at that step in the backtest windows
(split conformal, as in statsforecast's ConformalIntervals). It assumes nothing about
the error distribution, so it is honest for trees and ensembles too, and it widens with
the horizon because late steps err more. With few windows the percentile is coarse;
more windows give tighter, better-calibrated intervals.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.forecasting.protocol import ForecastingError


def check_levels(levels: Sequence[float]) -> list[float]:
    bad = [level for level in levels if not 0 < level < 100]
    if bad:
        raise ForecastingError(f"interval levels must lie between 0 and 100, got {bad}")
    return sorted(set(levels))


def add_intervals(
    forecast: pd.DataFrame,
    backtest: pd.DataFrame,
    model: str,
    levels: Sequence[float],
) -> pd.DataFrame:
    """Add ``<model>-lo-L`` / ``<model>-hi-L`` columns to ``forecast``."""
    checked = check_levels(levels)
    if not checked:
        return forecast
    errors = backtest.assign(error=(backtest["y"] - backtest[model]).abs())
    result = forecast.sort_values(["unique_id", "ds"], ignore_index=True)
    result["horizon"] = result.groupby("unique_id", sort=False).cumcount() + 1
    for level in checked:
        width = (
            errors.groupby(["unique_id", "horizon"])["error"]
            .quantile(level / 100, interpolation="higher")
            .rename("width")
        )
        # steps the backtest never reached borrow the widest width seen for the series
        widest = width.groupby(level=0).max().rename("widest")
        joined = result.join(width, on=["unique_id", "horizon"]).join(widest, on="unique_id")
        half = joined["width"].fillna(joined["widest"]).to_numpy(dtype=np.float64)
        label = f"{level:g}"
        result[f"{model}-lo-{label}"] = result[model] - half
        result[f"{model}-hi-{label}"] = result[model] + half
    return result.drop(columns="horizon")


def step_half_widths(
    horizons: Sequence[int] | npt.NDArray[np.int64],
    errors: Sequence[float] | npt.NDArray[np.float64],
    level: float,
    h: int,
) -> npt.NDArray[np.float64]:
    """Half-widths of the ``level`` % interval for steps 1..h of one series.

    ``horizons`` and ``errors`` pair each backtest error with its step. The width of a
    step is the conformal quantile of its absolute errors (the ``ceil((n + 1) * level)``-th
    smallest of ``n``, which covers at least ``level`` % of exchangeable errors; the largest
    when ``n`` is too small for that). A step the backtest never reached borrows the widest
    width seen, never a narrower one: uncertainty does not shrink with the horizon.
    """
    (checked,) = check_levels([level])
    steps = np.asarray(horizons, dtype=np.int64)
    absolute = np.abs(np.asarray(errors, dtype=np.float64))
    if steps.shape != absolute.shape:
        raise ForecastingError("pass one backtest error per horizon step")
    widths = np.full(h, np.nan)
    for step in range(1, h + 1):
        seen = np.sort(absolute[(steps == step) & np.isfinite(absolute)])
        if seen.size:
            rank = min(seen.size, int(np.ceil((seen.size + 1) * checked / 100)))
            widths[step - 1] = seen[rank - 1]
    if np.isnan(widths).all():
        raise ForecastingError("no backtest errors to calibrate the interval on")
    widest = float(np.nanmax(widths))
    result: npt.NDArray[np.float64] = np.where(np.isnan(widths), widest, widths)
    return result
