"""Deterministic, vectorised simulators of the data opscast works on."""

from opscast.simulate.demand import simulate_demand
from opscast.simulate.incidents import DEFAULT_CATEGORIES, simulate_incidents
from opscast.simulate.server_metrics import FAILURE_KINDS, METRICS, Fleet, simulate_fleet
from opscast.simulate.traffic import simulate_traffic

__all__ = [
    "DEFAULT_CATEGORIES",
    "FAILURE_KINDS",
    "METRICS",
    "Fleet",
    "simulate_demand",
    "simulate_fleet",
    "simulate_incidents",
    "simulate_traffic",
]
