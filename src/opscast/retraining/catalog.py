"""Every retraining target and its trainer: the domains whose models opscast keeps fresh."""

from __future__ import annotations

from opscast.retraining.retrainer import Trainer


def trainers() -> dict[str, Trainer]:
    from opscast.incidents.retraining import retrain_incidents
    from opscast.streaming.detector_retraining import TARGET as DETECTORS
    from opscast.streaming.detector_retraining import retrain_detectors
    from opscast.tickets.retraining import retrain_tickets

    return {
        "incidents": retrain_incidents,
        "tickets": retrain_tickets,
        DETECTORS: retrain_detectors,
    }
