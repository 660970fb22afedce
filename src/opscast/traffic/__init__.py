"""Seed 5's traffic domain: forecasts at 1m/5m/15m, backtests and CSV upload."""
