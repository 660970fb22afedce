"""The ``demand`` retraining target: refit the global model on the current data set.

Its drift check is the pipeline's (``drift_check``): the serving model's data drift
and concept drift on the newest window of the current data set; the trainer fits a
challenger on that data and registers it through the guard, so it serves only when it
is not worse on the same holdout.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from opscast.db import Database
from opscast.demand.config import load_config
from opscast.demand.service import (
    current_dataset,
    drift_of_champion,
    read_prepared,
    train_and_register,
)
from opscast.registry.service import GuardedOutcome
from opscast.registry.store import ModelStore
from opscast.retraining.drift_checks import DriftVerdict
from opscast.retraining.retrainer import RetrainRequest

TARGET = "demand"


def _current_data(database: Database) -> pd.DataFrame | None:
    with database.session() as session:
        dataset = current_dataset(session)
        path = None if dataset is None else dataset.path
    return None if path is None else read_prepared(Path(path))


def check_demand_drift(store: ModelStore, database: Database) -> DriftVerdict:
    data = _current_data(database)
    if data is None:
        return DriftVerdict(False, "no demand data set is recorded (opscast demand prepare)")
    checked = drift_of_champion(store, data)
    if checked is None:
        return DriftVerdict(True, "no demand model is registered yet")
    version, drift = checked
    summary = drift.summary()
    return DriftVerdict(drift.retrain, f"version {version}: {summary['reason']}")


def retrain_demand(request: RetrainRequest) -> list[GuardedOutcome]:
    request.progress(0.0, "reading the current data set")
    data = _current_data(request.database)
    if data is None:
        return []
    with request.database.session() as session:
        result = train_and_register(
            request.store,
            session,
            data,
            load_config(),
            requested_by=request.requested_by,
            tolerance=request.tolerance,
            progress=request.progress,
        )
    return [result.outcome]
