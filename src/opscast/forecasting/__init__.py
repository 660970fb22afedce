"""Forecasting kernel: model zoo, rolling-origin backtests, conformal intervals, selection."""

from opscast.forecasting.forecast import BacktestResult, ForecastResult, backtest, forecast
from opscast.forecasting.protocol import Forecaster, ForecastingError
from opscast.forecasting.zoo import MODEL_NAMES, ModelSpec

__all__ = [
    "MODEL_NAMES",
    "BacktestResult",
    "ForecastResult",
    "Forecaster",
    "ForecastingError",
    "ModelSpec",
    "backtest",
    "forecast",
]
