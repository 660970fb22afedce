"""Long-format time-series kernel: validation, granularities, features and error metrics."""

from opscast.timeseries.errors import FrameValidationError
from opscast.timeseries.features import (
    CALENDAR_FEATURES,
    ROLLING_STATS,
    add_calendar,
    add_lags,
    add_rolling,
)
from opscast.timeseries.frames import (
    infer_freq,
    long_to_wide,
    to_long,
    validate_long_frame,
    wide_to_long,
)
from opscast.timeseries.granularity import (
    AGGREGATIONS,
    FILL_POLICIES,
    Aggregation,
    FillPolicy,
    Granularity,
    fill_gaps,
    period_start,
    resample,
)
from opscast.timeseries.metrics import (
    METRIC_NAMES,
    evaluate,
    mae,
    mape,
    mase,
    rmse,
    seasonal_naive_scale,
    smape,
)

__all__ = [
    "AGGREGATIONS",
    "CALENDAR_FEATURES",
    "FILL_POLICIES",
    "METRIC_NAMES",
    "ROLLING_STATS",
    "Aggregation",
    "FillPolicy",
    "FrameValidationError",
    "Granularity",
    "add_calendar",
    "add_lags",
    "add_rolling",
    "evaluate",
    "fill_gaps",
    "infer_freq",
    "long_to_wide",
    "mae",
    "mape",
    "mase",
    "period_start",
    "resample",
    "rmse",
    "seasonal_naive_scale",
    "smape",
    "to_long",
    "validate_long_frame",
    "wide_to_long",
]
