"""Every retraining target and its trainer: the domains whose models opscast keeps fresh."""

from __future__ import annotations

from opscast.config import Settings
from opscast.retraining.drift_checks import DriftCheck
from opscast.retraining.retrainer import Trainer


def trainers(settings: Settings) -> dict[str, Trainer]:
    """``settings`` name the files a trainer reads (the demand model's config)."""
    from opscast.demand.retraining import TARGET as DEMAND
    from opscast.demand.retraining import demand_trainer
    from opscast.incidents.retraining import retrain_incidents
    from opscast.streaming.detector_retraining import TARGET as DETECTORS
    from opscast.streaming.detector_retraining import retrain_detectors
    from opscast.tickets.retraining import retrain_tickets

    return {
        "incidents": retrain_incidents,
        "tickets": retrain_tickets,
        DETECTORS: retrain_detectors,
        DEMAND: demand_trainer(settings.demand_config),
    }


def drift_checks() -> dict[str, DriftCheck]:
    """The targets whose drift ``opscast retrain --if-drift`` checks on the stored data."""
    from opscast.demand.retraining import TARGET as DEMAND
    from opscast.demand.retraining import check_demand_drift
    from opscast.incidents.drift_check import check_incident_drift

    return {DEMAND: check_demand_drift, "incidents": check_incident_drift}
