"""Rolling-origin backtests: refit at each cutoff, forecast the next ``h`` points.

Cutoffs are counted per series from its end (window ``w`` trains on all but the last
``h + step * (n_windows - 1 - w)`` points), so series of different lengths and end dates
are backtested alike. A series too short for a window sits that window out rather than
failing the whole run.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from opscast.forecasting.protocol import Forecaster, ForecastingError

MIN_TRAIN_POINTS = 4


class SeriesTooShortError(ForecastingError):
    """No series is long enough for even one backtest window."""


def cross_validate(
    make_model: Callable[[], Forecaster],
    df: pd.DataFrame,
    *,
    h: int,
    n_windows: int = 3,
    step: int | None = None,
    on_window: Callable[[], None] | None = None,
) -> pd.DataFrame:
    """``unique_id``, ``ds``, ``cutoff``, ``horizon`` (1..h), ``y`` and the model's column."""
    if h < 1 or n_windows < 1:
        raise ForecastingError("horizon and windows must be at least 1")
    step = step or h
    frame = df.sort_values(["unique_id", "ds"], ignore_index=True)
    grouped = frame.groupby("unique_id", sort=False)
    position = grouped.cumcount()
    length = grouped["y"].transform("size")
    results = []
    for window in range(n_windows):
        train_end = length - h - step * (n_windows - 1 - window)
        usable = train_end >= MIN_TRAIN_POINTS
        train = frame[usable & (position < train_end)]
        test_mask = usable & (position >= train_end) & (position < train_end + h)
        test = frame[test_mask].assign(horizon=(position - train_end + 1)[test_mask])
        if train.empty or test.empty:
            continue
        model = make_model().fit(train)
        predicted = model.predict(h)
        cutoffs = train.groupby("unique_id", sort=False)["ds"].max().rename("cutoff")
        merged = test.merge(predicted, on=["unique_id", "ds"], how="inner").merge(
            cutoffs, left_on="unique_id", right_index=True
        )
        results.append(merged)
        if on_window is not None:
            on_window()
    if not results:
        raise SeriesTooShortError(
            f"series are too short to backtest {n_windows} window(s) of {h} points; "
            "lower --horizon or --windows"
        )
    model_column = (
        results[0].columns.difference([*frame.columns, "horizon", "cutoff"], sort=False).tolist()
    )
    columns = ["unique_id", "ds", "cutoff", "horizon", "y", *model_column]
    return pd.concat(results, ignore_index=True)[columns]
