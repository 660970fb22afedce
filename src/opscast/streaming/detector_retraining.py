"""The ``detectors`` retraining target: refit the detectors that learn on stored metrics.

Each detector of ``training.RETRAINABLE`` is one registry task (``detector-<name>``)
whose model holds a fitted detector per metric, learnt from the newest stored points
of up to ``max_series`` series per metric (the stream stores every point it takes).
Challenger and champion are judged on the same label-free holdout (``training.py``),
and the guard promotes the challenger only if its ``detector_error`` is not worse. The
stream predictor polls the task's champion and rebuilds its state when it moves.
"""

from __future__ import annotations

import pandas as pd

from opscast.anomaly.training import (
    METRICS,
    PREFERENCE,
    RETRAINABLE,
    TrainedDetectors,
    evaluate,
    fit_detectors,
    holdouts_of,
)
from opscast.errors import NotFoundError
from opscast.observability import get_logger
from opscast.registry.service import Challenger, GuardedOutcome, train_guarded
from opscast.registry.store import ModelStore
from opscast.retraining.retrainer import RetrainRequest
from opscast.series.repository import SeriesRepository
from opscast.series.service import list_series
from opscast.streaming.service import SERIES_KIND

log = get_logger(__name__)

TARGET = "detectors"
POINTS = 4000
MAX_SERIES = 50
MIN_POINTS = 500


def task_name(detector: str) -> str:
    return f"detector-{detector}"


def champion_model(store: ModelStore, detector: str) -> tuple[int, TrainedDetectors] | None:
    """The serving version and model of a detector task, or None before the first one."""
    try:
        champion = store.champion(task_name(detector))
    except NotFoundError:
        return None
    model: TrainedDetectors = champion.model
    return champion.info.version, model


def _recent_points(request: RetrainRequest, points: int, per_metric: int) -> dict[str, list[float]]:
    """The newest ``points`` values of up to ``per_metric`` stored series per metric."""
    with request.database.session() as session:
        stats = list_series(session, SERIES_KIND)
        repository = SeriesRepository(session)
        taken: dict[str, int] = {}
        out: dict[str, list[float]] = {}
        for entry in stats:
            uid = entry.series.unique_id
            metric = uid.partition(":")[2]
            if (entry.points or 0) < MIN_POINTS or taken.get(metric, 0) >= per_metric:
                continue
            taken[metric] = taken.get(metric, 0) + 1
            out[uid] = repository.recent_values(entry.series, points)
    return out


def retrain_detectors(request: RetrainRequest) -> list[GuardedOutcome]:
    points = int(request.params.get("points", POINTS))
    per_metric = int(request.params.get("max_series", MAX_SERIES))
    request.progress(0.0, "reading stored points")
    series = _recent_points(request, points, per_metric)
    if not series:
        log.info("retrain skipped", target=TARGET, why=f"no series with {MIN_POINTS} points")
        return []
    holdouts = holdouts_of(series)
    data = pd.DataFrame(
        {
            "unique_id": [uid for uid, values in sorted(series.items()) for _ in values],
            "y": [value for _, values in sorted(series.items()) for value in values],
        }
    )
    outcomes = []
    for index, detector in enumerate(RETRAINABLE):
        request.progress(index / len(RETRAINABLE), f"fitting {detector} on {len(series)} series")

        def fit(detector: str = detector) -> Challenger:
            challenger = fit_detectors(detector, holdouts)
            scores = evaluate(challenger, holdouts)
            serving = champion_model(request.store, detector)
            return Challenger(
                model=challenger,
                data=data,
                params={"model": detector, "series": len(series), "points": points},
                metrics=scores,
                holdout=scores,
                champion_holdout=None if serving is None else evaluate(serving[1], holdouts),
            )

        with request.database.session() as session:
            outcomes.append(
                train_guarded(
                    request.store,
                    session,
                    task_name(detector),
                    fit,
                    tolerance=request.tolerance,
                    requested_by=request.requested_by,
                    required_metrics=METRICS,
                    preference=PREFERENCE,
                )
            )
    return outcomes
