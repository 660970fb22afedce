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
