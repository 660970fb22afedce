"""The incidents drift check behind `opscast retrain --if-drift`, on stored daily counts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from opscast.db import Database
from opscast.drift_checks.repository import DriftReportRepository
from opscast.incidents.drift_check import check_incident_drift
from opscast.registry import ModelStore
from opscast.series.service import ingest_frame
from opscast.simulate import simulate_incidents


def test_a_category_whose_last_weeks_jumped_drifts_and_a_steady_one_does_not(
    var_dir: Path,
) -> None:
    history = simulate_incidents(
        start="2023-01-01", days=2 * 365, categories=["Network", "Database"], seed=11
    )
    late = (history["unique_id"] == "Network") & (
        history["ds"] > history["ds"].max() - pd.Timedelta(weeks=5)
    )
    history.loc[late, "y"] = history.loc[late, "y"] * 3
    database = Database(f"sqlite:///{var_dir / 'opscast.db'}")
    database.migrate()
    with database.session() as session:
        ingest_frame(session, history, kind="incidents", source="test", freq="D")
    verdict = check_incident_drift(ModelStore(f"sqlite:///{var_dir / 'mlflow.db'}"), database)
    assert verdict.drifted, verdict
    assert verdict.reason == "1 of 2 categories drifted: Network"
    with database.session() as session:
        assert DriftReportRepository(session).count(None) == 2, "each check leaves its report"
    database.dispose()
