"""The ``tickets`` retraining target: the learned classifier, refitted with the corrections."""

from __future__ import annotations

from opscast.registry.service import GuardedOutcome
from opscast.retraining.retrainer import RetrainRequest
from opscast.tickets.classifier import TASK, train_classifier


def retrain_tickets(request: RetrainRequest) -> list[GuardedOutcome]:
    request.progress(0.0, "fitting the classifier on the sample and the corrected tickets")
    with request.database.session() as session:
        outcome = train_classifier(
            request.store,
            session,
            tolerance=request.tolerance,
            requested_by=request.requested_by,
        )
    request.progress(1.0, f"{TASK} version {outcome.version.version}")
    return [outcome]
