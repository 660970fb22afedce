"""The ``incidents`` retraining target: every category at every granularity, under guard.

With a ``file_path`` (seed 1's ``POST /retrain``) the export is imported first, in its own
unit of work, so a retrain that fails later still keeps the imported counts.
"""

from __future__ import annotations

from pathlib import Path

from opscast.incidents.imports import import_file
from opscast.incidents.service import KIND, train_category
from opscast.incidents.training import GRANULARITIES, InsufficientHistoryError
from opscast.observability import get_logger
from opscast.registry.service import GuardedOutcome
from opscast.retraining.retrainer import RetrainRequest
from opscast.series.service import list_series

log = get_logger(__name__)


def retrain_incidents(request: RetrainRequest) -> list[GuardedOutcome]:
    file_path = request.params.get("file_path")
    if file_path:
        request.progress(0.0, f"importing {Path(str(file_path)).name}")
        with request.database.session() as session:
            imported = import_file(session, Path(str(file_path)))
        request.progress(0.0, f"imported {imported.points_written} daily counts")
    with request.database.session() as session:
        categories = [stats.series.unique_id for stats in list_series(session, KIND)]
    work = [(category, level) for category in categories for level in GRANULARITIES]
    outcomes = []
    for done, (category, granularity) in enumerate(work):
        request.progress(done / len(work), f"{category} {granularity.value}")
        try:
            with request.database.session() as session:
                outcomes.append(
                    train_category(
                        request.store,
                        session,
                        category,
                        granularity,
                        tolerance=request.tolerance,
                        requested_by=request.requested_by,
                    )
                )
        except InsufficientHistoryError as exc:
            log.info(
                "retrain skipped", category=category, granularity=granularity.value, why=str(exc)
            )
    return outcomes
