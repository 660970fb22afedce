"""The ``incidents`` target's drift check on stored data, for ``opscast retrain --if-drift``.

Per category, the newest four weeks of stored daily counts are checked against the
weeks before them with the statistical test of seed 1's ``POST /detect_drift`` (weekly
sums), and each check leaves its report like a request would. Not its mean-change rule:
a 10 % change of four weeks against the whole history flags every seasonal category,
so a scheduled check would retrain everything every week. The target drifts when any
category does.
"""

from __future__ import annotations

import pandas as pd

from opscast.db import Database
from opscast.drift.mean_change import DEFAULT_THRESHOLD_FACTOR
from opscast.drift_checks.schemas import DriftMethod
from opscast.drift_checks.service import detect_series_drift
from opscast.errors import OpscastError
from opscast.incidents.service import KIND
from opscast.registry.store import ModelStore
from opscast.retraining.drift_checks import DriftVerdict
from opscast.series.repository import SeriesRepository
from opscast.series.service import list_series

RECENT = pd.Timedelta(weeks=4)


def check_incident_drift(_store: ModelStore, database: Database) -> DriftVerdict:
    drifted: list[str] = []
    checked = 0
    with database.session() as session:
        repository = SeriesRepository(session)
        for stats in list_series(session, KIND):
            points = repository.points_frame(stats.series)
            if points.empty:
                continue
            last_monday = (points["ds"].max() - RECENT).to_period("W-SUN").start_time
            recent = points.loc[points["ds"] >= last_monday, ["ds", "y"]]
            try:
                outcome = detect_series_drift(
                    session,
                    category=stats.series.unique_id,
                    granularity="weekly",
                    new_points=recent,
                    threshold_factor=DEFAULT_THRESHOLD_FACTOR,
                    method=DriftMethod.statistical,
                    source="scheduled",
                )
            except OpscastError:  # too little history before the recent weeks
                continue
            checked += 1
            if outcome.drift_detected:
                drifted.append(stats.series.unique_id)
    if drifted:
        return DriftVerdict(
            True, f"{len(drifted)} of {checked} categories drifted: {', '.join(drifted[:5])}"
        )
    return DriftVerdict(False, f"none of {checked} categories drifted")
