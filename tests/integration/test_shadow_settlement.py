"""Settling shadow scores: a period's actual and errors are recorded once it is observed."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from opscast.db import Database, utc_now
from opscast.incidents.imports import import_file
from opscast.incidents.shadow import settle_shadow
from opscast.registry.repository import ShadowRepository
from opscast.registry.tables import ShadowScore
from opscast.series.service import ingest_frame

MONDAY = datetime(2024, 1, 1)
TASK = "incidents-calls-weekly"


def score(version: int, week: int, predicted: float) -> ShadowScore:
    start = MONDAY + timedelta(weeks=week)
    return ShadowScore(
        task=TASK,
        alias="champion" if version == 1 else "challenger",
        version=version,
        unique_id="Calls",
        period_start=start,
        period_end=start + timedelta(weeks=1),
        predicted=predicted,
        predicted_at=utc_now(),
    )


def test_complete_periods_are_settled_once_and_open_ones_wait(database: Database) -> None:
    days = pd.date_range(MONDAY, periods=14, freq="D")  # two whole weeks
    frame = pd.DataFrame({"unique_id": "Calls", "ds": days, "y": [float(i) for i in range(14)]})
    with database.session() as session:
        ingest_frame(session, frame, kind="incidents", source="test", freq="D")
        stored = ShadowRepository(session).add_new(
            [score(1, 0, 20.0), score(2, 0, 25.0), score(1, 1, 70.0), score(1, 2, 5.0)]
        )
        assert stored == 4
        assert ShadowRepository(session).add_new([score(1, 0, 99.0)]) == 0  # asked again
    with database.session() as session:
        assert settle_shadow(session, "Calls") == 3
        assert settle_shadow(session, "Calls") == 0
        assert settle_shadow(session, "Nobody") == 0
    with database.session() as session:
        rows = session.scalars(select(ShadowScore).order_by(ShadowScore.id)).all()
        # week 0 is 0+1+...+6 = 21, week 1 is 7+...+13 = 70; week 2 is not observed yet
        assert [(r.actual, r.abs_error) for r in rows] == [
            (21.0, 1.0),
            (21.0, 4.0),
            (70.0, 0.0),
            (None, None),
        ]
        errors = {row.version: row for row in ShadowRepository(session).by_version(TASK)}
        assert (errors[1].scored, errors[1].settled, errors[1].mae) == (3, 2, 0.5)
        paired = ShadowRepository(session).paired(TASK, 1, 2)
        assert (paired.periods, paired.first_mae, paired.second_mae) == (1, 1.0, 4.0)


def test_an_import_settles_the_periods_it_completes(database: Database, tmp_path: Path) -> None:
    opened = [MONDAY + timedelta(days=day, hours=9) for day in range(7) for _ in range(day)]
    export = tmp_path / "export.csv"
    pd.DataFrame(
        {
            "Incident_ID": [f"IM{i}" for i in range(len(opened))],
            "CI_Cat": "Calls",
            "Open_Time": [stamp.strftime("%d/%m/%Y %H:%M") for stamp in opened],  # day first
        }
    ).to_csv(export, index=False)
    with database.session() as session:
        ShadowRepository(session).add_new([score(1, 0, 20.0)])
    with database.session() as session:
        import_file(session, export)
    with database.session() as session:
        (row,) = session.scalars(select(ShadowScore)).all()
        assert (row.actual, row.abs_error) == (21.0, 1.0)
