"""opscast: forecast, watch and act on operations time series."""

__version__ = "0.1.0"
