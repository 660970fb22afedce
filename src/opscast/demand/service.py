"""Demand use cases: record the current data set, train under guard, predict, check drift.

Every registration of a demand model goes through ``register_model`` and so through the
registry's one guarded path: the new version becomes the ``store-demand`` champion only
when it is not worse than the serving one on the same holdout (the newest days of the
data it was trained on, which the serving model is scored on too). Nothing here commits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from opscast.db import utc_now
from opscast.demand.config import DemandConfig
from opscast.demand.drift_check import DemandDrift, check_drift
from opscast.demand.prepare import Prepared
from opscast.demand.repository import DatasetRepository
from opscast.demand.tables import DemandDataset
from opscast.demand.training import (
    METRICS,
    DemandModel,
    Evaluation,
    Split,
    TrainedDemand,
    build_features,
    evaluate,
    forecast_table,
    train,
)
from opscast.drift_checks.record import record_check
from opscast.drift_checks.service import PLOTLY_URL, list_reports, store_report
from opscast.drift_checks.tables import DriftReport
from opscast.errors import InvalidInputError, NotFoundError
from opscast.observability import PREDICTIONS
from opscast.registry.service import Challenger, GuardedOutcome, train_guarded
from opscast.registry.store import ModelStore

TASK = "store-demand"
PREPARED_FILE = "prepared.parquet"

Progress = Callable[[float, str], None]


def _quiet(_fraction: float, _step: str) -> None:
    return None


def demand_dir(var_dir: Path) -> Path:
    return var_dir / "demand"


# -- data sets ------------------------------------------------------------------------


def record_dataset(session: Session, prepared: Prepared, path: Path, source: str) -> DemandDataset:
    """Make ``path`` (already written) the current demand data set."""
    frame = prepared.frame
    return DatasetRepository(session).add(
        DemandDataset(
            path=str(path.resolve()),
            source=source[:1000],
            rows=len(frame),
            series=int(frame["unique_id"].nunique()),
            bad_rows=prepared.bad_count,
            first_day=pd.Timestamp(frame["ds"].min()).date(),
            last_day=pd.Timestamp(frame["ds"].max()).date(),
            created_at=utc_now(),
        )
    )


def current_dataset(session: Session) -> DemandDataset | None:
    return DatasetRepository(session).latest()


def read_prepared(path: Path) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise InvalidInputError(
            f"no prepared data at {path}; run `opscast demand prepare` first", field="data"
        ) from None


# -- models ---------------------------------------------------------------------------


def champion_model(store: ModelStore) -> tuple[int, DemandModel] | None:
    """The serving version and model (from the store's in-memory cache), or None."""
    try:
        champion = store.champion(TASK)
    except NotFoundError:
        return None
    model: DemandModel = champion.model
    return champion.info.version, model


def score_on(model: TrainedDemand, prepared: pd.DataFrame, split: Split) -> dict[str, float]:
    """A model's errors on another model's holdout: its own features, the same days."""
    features = build_features(prepared, model.config)
    return evaluate(model, features, split).metrics


def register_model(
    store: ModelStore,
    session: Session,
    trained: TrainedDemand,
    evaluation: Evaluation,
    prepared: pd.DataFrame,
    *,
    requested_by: str,
    tolerance: float = 0.0,
    progress: Progress = _quiet,
) -> GuardedOutcome:
    """Build the served model and register it as the next ``store-demand`` version through
    the registry's guarded path (timed, compared with the champion on the same holdout)."""

    def fit() -> Challenger:
        progress(0.0, "forecasting every series through the horizon")
        model = forecast_table(trained, prepared, evaluation.metrics)
        serving = champion_model(store)
        champion_scores: dict[str, float | None] | None = None
        if serving is not None:
            progress(0.5, f"scoring champion version {serving[0]} on the same holdout")
            champion_scores = dict(score_on(serving[1].trained, prepared, trained.split))
        params: dict[str, str | int | float] = {
            "model": f"global_{trained.booster.engine}",
            "best_iteration": trained.booster.best_iteration,
            "training_rows": trained.rows,
            "series": len(model.pairs),
            "trained_through": f"{trained.split.holdout_start - pd.Timedelta(days=1):%Y-%m-%d}",
            "data_through": model.last_day.isoformat(),
            **{f"split.{key}": value for key, value in trained.split.summary().items()},
            **trained.config.flat_params(),
        }
        progress(0.8, "registering")
        return Challenger(
            model=model,
            data=prepared[["unique_id", "ds", "y"]],
            params=params,
            metrics=evaluation.metrics,
            holdout=dict(evaluation.metrics),
            champion_holdout=champion_scores,
        )

    return train_guarded(
        store,
        session,
        TASK,
        fit,
        tolerance=tolerance,
        requested_by=requested_by,
        required_metrics=METRICS,
    )


@dataclass(frozen=True, slots=True)
class TrainingOutcome:
    outcome: GuardedOutcome
    evaluation: Evaluation


def train_and_register(
    store: ModelStore,
    session: Session,
    prepared: pd.DataFrame,
    config: DemandConfig,
    *,
    requested_by: str,
    tolerance: float = 0.0,
    progress: Progress = _quiet,
) -> TrainingOutcome:
    """Features, fit, holdout evaluation and guarded registration, in one go."""
    progress(0.0, f"building features of {prepared['unique_id'].nunique()} series")
    features = build_features(prepared, config)

    def rounds(done: int, total: int) -> None:
        progress(0.1 + 0.6 * done / total, f"boosting round {done}")

    trained = train(features, config, on_round=rounds)
    progress(0.7, "scoring the holdout")
    evaluation = evaluate(trained, features, trained.split)
    outcome = register_model(
        store,
        session,
        trained,
        evaluation,
        prepared,
        requested_by=requested_by,
        tolerance=tolerance,
        progress=lambda fraction, step: progress(0.75 + 0.25 * fraction, step),
    )
    return TrainingOutcome(outcome, evaluation)


# -- drift ----------------------------------------------------------------------------


DRIFT_KIND = "demand"


def record_drift(
    session: Session, drift: DemandDrift, *, version: int | None, source: str
) -> DriftReport:
    """Store a drift check as a report (``GET /drift/reports?kind=demand``), count it and
    log it, so the dashboard and the report list show the latest verdict whoever ran it."""
    report = store_report(
        session,
        kind=DRIFT_KIND,
        subject=TASK if version is None else f"{TASK} version {version}",
        source=source,
        drift_detected=drift.retrain,
        result=drift.data,
        summary=drift.summary(),
        html=drift.html(PLOTLY_URL),
    )
    record_check(TASK, drift.retrain, report, kind=DRIFT_KIND)
    return report


def latest_drift(session: Session) -> DriftReport | None:
    reports, _ = list_reports(session, limit=1, offset=0, kind=DRIFT_KIND)
    return reports[0] if reports else None


def drift_of_champion(store: ModelStore, prepared: pd.DataFrame) -> tuple[int, DemandDrift] | None:
    """Data and concept drift of the serving model on ``prepared``; None without a model."""
    serving = champion_model(store)
    if serving is None:
        return None
    version, model = serving
    baseline = model.holdout_metrics.get("mape")
    if baseline is None:
        raise InvalidInputError(f"{TASK} version {version} has no registered MAPE", field="task")
    config = model.trained.config
    features = build_features(prepared, config)
    return version, check_drift(model.trained, features, baseline, config)


# -- serving --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemandQuery:
    store: int
    item: int
    day: date


def predict(
    model: DemandModel, version: int, queries: Sequence[DemandQuery]
) -> list[dict[str, Any]]:
    """Every query checked before any is answered: one bad row fails the request whole."""
    for query in queries:
        model.check(query.store, query.item, query.day)
    answers = [
        {
            "store": query.store,
            "item": query.item,
            "date": query.day.isoformat(),
            "predicted_sales": model.predict(query.store, query.item, query.day),
            "model_version": version,
        }
        for query in queries
    ]
    PREDICTIONS.labels(task=TASK, model=f"global_{model.trained.booster.engine}").inc(len(answers))
    return answers
