"""Conformal prediction intervals from backtest errors, the same for every model.

Split conformal (as in statsforecast's ConformalIntervals) takes, per series and step,
a quantile of the errors the model made there in the backtest. It assumes nothing about
the error distribution, so it is honest for trees and ensembles too; but with the two or
three windows a forecast can afford, a per-step quantile is the largest of two or three
errors, and 95 % intervals cover about two thirds of what follows.

``add_intervals`` therefore pools. Each absolute error is divided by its series' mean
backtest error (so series of any scale are exchangeable) and by the step's mean of those
ratios over every series (so late steps, which err more, stay wider); the conformal
quantile of all the normalised errors, over series, steps and windows, is scaled back per
series and step. One series with two windows of 48 steps has 96 errors to calibrate on
instead of two; a batch of hundreds of series has tens of thousands.
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
    """Add ``<model>-lo-L`` / ``<model>-hi-L`` columns to ``forecast``.

    A series the backtest could not reach (too short) gets no bounds (NaN) rather than
    bounds borrowed from other series.
    """
    checked = check_levels(levels)
    if not checked:
        return forecast
    errors = backtest.assign(error=(backtest["y"] - backtest[model]).abs())
    errors = errors[np.isfinite(errors["error"])]
    scale = errors.groupby("unique_id")["error"].mean()
    relative = errors["error"] / errors["unique_id"].map(scale)
    profile = relative.groupby(errors["horizon"]).mean()
    normalised = (relative / errors["horizon"].map(profile)).to_numpy(dtype=np.float64)
    normalised = normalised[np.isfinite(normalised)]
    result = forecast.sort_values(["unique_id", "ds"], ignore_index=True)
    steps = result.groupby("unique_id", sort=False).cumcount() + 1
    # steps the backtest never reached take the widest step's profile: uncertainty does
    # not shrink with the horizon
    widest = float(profile.max()) if len(profile) else np.nan
    step_profile = steps.map(profile).fillna(widest).to_numpy(dtype=np.float64)
    series_scale = result["unique_id"].map(scale).to_numpy(dtype=np.float64)
    for level in checked:
        # a perfect backtest (every error 0) leaves nothing to normalise: zero width
        quantile = conformal_quantile(normalised, level) if normalised.size else 0.0
        half = np.where(series_scale == 0, 0.0, quantile * series_scale * step_profile)
        label = f"{level:g}"
        result[f"{model}-lo-{label}"] = result[model] - half
        result[f"{model}-hi-{label}"] = result[model] + half
    return result


def conformal_quantile(values: npt.NDArray[np.float64], level: float) -> float:
    """The ``ceil((n + 1) * level)``-th smallest of ``n`` values (the largest when ``n`` is
    too small for that): it covers at least ``level`` % of values exchangeable with them."""
    ordered = np.sort(values)
    rank = min(ordered.size, int(np.ceil((ordered.size + 1) * level / 100)))
    return float(ordered[rank - 1])


def step_half_widths(
    horizons: Sequence[int] | npt.NDArray[np.int64],
    errors: Sequence[float] | npt.NDArray[np.float64],
    level: float,
    h: int,
) -> npt.NDArray[np.float64]:
    """Half-widths of the ``level`` % interval for steps 1..h of one series.

    ``horizons`` and ``errors`` pair each backtest error with its step. The width of a
    step is the conformal quantile of its absolute errors (``conformal_quantile``). A
    step the backtest never reached borrows the widest width seen, never a narrower one:
    uncertainty does not shrink with the horizon.
    """
    (checked,) = check_levels([level])
    steps = np.asarray(horizons, dtype=np.int64)
    absolute = np.abs(np.asarray(errors, dtype=np.float64))
    if steps.shape != absolute.shape:
        raise ForecastingError("pass one backtest error per horizon step")
    widths = np.full(h, np.nan)
    for step in range(1, h + 1):
        seen = absolute[(steps == step) & np.isfinite(absolute)]
        if seen.size:
            widths[step - 1] = conformal_quantile(seen, checked)
    if np.isnan(widths).all():
        raise ForecastingError("no backtest errors to calibrate the interval on")
    widest = float(np.nanmax(widths))
    result: npt.NDArray[np.float64] = np.where(np.isnan(widths), widest, widths)
    return result
