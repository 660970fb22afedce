"""The ``demand`` retraining target: refit the global model on the current data set.

Its drift check is the pipeline's (``drift_check``): the serving model's data drift
and concept drift on the newest window of the current data set; the trainer fits a
challenger on that data, with the config of ``OPSCAST_DEMAND_CONFIG`` when set, and
registers it through the guard, so it serves only when it is not worse on the same
holdout.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from opscast.db import Database
from opscast.demand.config import DemandConfig, load_config
from opscast.demand.service import (
    current_dataset,
    drift_of_champion,
    read_prepared,
    record_drift,
    train_and_register,
)
from opscast.registry.service import GuardedOutcome
from opscast.registry.store import ModelStore
from opscast.retraining.drift_checks import DriftVerdict
from opscast.retraining.retrainer import RetrainRequest, Trainer

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
    with database.session() as session:
        record_drift(session, drift, version=version, source="scheduled")
    summary = drift.summary()
    return DriftVerdict(drift.retrain, f"version {version}: {summary['reason']}")


def demand_trainer(config_path: Path | None) -> Trainer:
    """The target's trainer, fitting with the config at ``config_path`` (the settings')."""

    def retrain_demand(request: RetrainRequest) -> list[GuardedOutcome]:
        return _retrain(request, load_config(config_path))

    return retrain_demand


def _retrain(request: RetrainRequest, config: DemandConfig) -> list[GuardedOutcome]:
    request.progress(0.0, "reading the current data set")
    data = _current_data(request.database)
    if data is None:
        return []
    with request.database.session() as session:
        result = train_and_register(
            request.store,
            session,
            data,
            config,
            requested_by=request.requested_by,
            tolerance=request.tolerance,
            progress=request.progress,
        )
    return [result.outcome]
