"""Guarded promotion and rollback with real models, a real MLflow store and both databases."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.orm import Session

from opscast.db import Database
from opscast.errors import ConflictError, NotFoundError
from opscast.forecasting import backtest
from opscast.forecasting.zoo import ModelSpec, single_model
from opscast.registry import CHAMPION, ModelStore
from opscast.registry.service import (
    CHALLENGER,
    REFUSED_TAG,
    audit_trail,
    reconcile_champions,
    register_guarded,
    rollback,
)

HORIZON = 7


@pytest.fixture(scope="module")
def weekly_series() -> pd.DataFrame:
    """Two series with a strong weekly cycle: seasonal naive wins, the mean loses."""
    rng = np.random.default_rng(3)
    days = pd.date_range("2025-01-01", periods=10 * 7, freq="D")
    cycle = np.tile([5.0, 20, 22, 21, 19, 8, 4], 10)
    return pd.concat(
        pd.DataFrame({"unique_id": uid, "ds": days, "y": scale * cycle + rng.normal(0, 1, 70)})
        for uid, scale in (("a", 1.0), ("b", 3.0))
    )


@pytest.fixture(scope="module")
def holdout_scores(weekly_series: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Every candidate scored on the same windows, as a retraining job does."""
    result = backtest(
        weekly_series,
        ["seasonal_naive", "historic_average", "naive"],
        HORIZON,
        n_windows=2,
        season_length=7,
    )
    return result.overall


@pytest.fixture
def store(model_store_ready: Path) -> ModelStore:
    return ModelStore(f"sqlite:///{model_store_ready}", artifact_dir=model_store_ready.parent)


def train(name: str, frame: pd.DataFrame) -> object:
    return single_model(name, ModelSpec(freq="D", season_length=7))().fit(frame)


EQUAL_SCORES = {"mae": 1.0, "rmse": 1.0, "mape": 0.1, "smape": 0.1, "mase": 1.0}


def register_equal_constant(
    store: ModelStore, session: Session, task: str, data: pd.DataFrame
) -> None:
    """A constant challenger that scores as well as its champion: the guard promotes it."""
    register_guarded(
        store,
        session,
        task,
        {"constant": 1},
        data=data,
        params={"model": "constant"},
        metrics=EQUAL_SCORES,
        champion_holdout=EQUAL_SCORES,
        challenger_holdout=EQUAL_SCORES,
    )


def test_only_a_model_that_is_not_worse_replaces_the_champion(
    database: Database,
    store: ModelStore,
    weekly_series: pd.DataFrame,
    holdout_scores: dict[str, dict[str, float]],
) -> None:
    task = "demo-weekly"

    def retrain(name: str, champion: str | None, tolerance: float = 0.0) -> object:
        with database.session() as session:
            return register_guarded(
                store,
                session,
                task,
                train(name, weekly_series),
                data=weekly_series,
                params={"model": name},
                metrics=holdout_scores[name],
                champion_holdout=holdout_scores[champion] if champion else None,
                challenger_holdout=holdout_scores[name],
                tolerance=tolerance,
                requested_by="test",
            )

    first = retrain("historic_average", None)
    assert first.promoted  # type: ignore[attr-defined]
    assert store.champion_version(task) == 1

    better = retrain("seasonal_naive", "historic_average")
    assert better.promoted  # type: ignore[attr-defined]
    assert store.champion(task).info.version == 2

    worse = retrain("naive", "seasonal_naive")
    assert not worse.promoted  # type: ignore[attr-defined]
    assert store.champion_version(task) == 2
    refused = store.get_task(task)
    assert refused.aliases == {CHAMPION: 2, CHALLENGER: 3}
    tags = store.client.get_model_version(task, "3").tags
    assert tags[REFUSED_TAG].startswith("mase ")
    assert "worse than the champion's" in tags[REFUSED_TAG]

    with database.session() as session:
        history = [(e.action, e.version, e.previous_version) for e in audit_trail(session, task)]
    assert history == [("refused", 3, 2), ("promoted", 2, 1), ("promoted", 1, None)]


def test_rollback_returns_to_the_previous_champion_and_is_recorded(
    database: Database, store: ModelStore, weekly_series: pd.DataFrame
) -> None:
    task = "demo-rollback"
    for _ in range(2):
        with database.session() as session:
            register_equal_constant(store, session, task, weekly_series)
    assert store.champion_version(task) == 2

    with database.session() as session:
        event = rollback(store, session, task, reason="bad forecasts", requested_by="oncall")
    assert (event.version, event.previous_version, event.requested_by) == (1, 2, "oncall")
    assert store.champion_version(task) == 1

    with database.session() as session:
        again = rollback(store, session, task)  # undoing the rollback
    assert (again.version, again.previous_version) == (2, 1)

    with database.session() as session, pytest.raises(ConflictError, match="already"):
        rollback(store, session, task, to_version=2)
    with database.session() as session, pytest.raises(NotFoundError, match="no version 9"):
        rollback(store, session, task, to_version=9)
    with database.session() as session:
        actions = [e.action for e in audit_trail(session, task)]
    assert actions == ["rolled_back", "rolled_back", "promoted", "promoted"]


def test_rollback_needs_a_task_with_history(database: Database, store: ModelStore) -> None:
    with database.session() as session, pytest.raises(NotFoundError):
        rollback(store, session, "never-trained")
    store.register(
        "single",
        {"k": 1},
        data=pd.DataFrame({"unique_id": ["a"], "ds": [pd.Timestamp("2025-01-01")], "y": [1.0]}),
        params={"model": "constant"},
        metrics=EQUAL_SCORES,
        promote=True,
    )
    with database.session() as session, pytest.raises(ConflictError, match="no earlier"):
        rollback(store, session, "single")


def test_a_promotion_whose_audit_row_never_committed_is_undone_on_start(
    database: Database, store: ModelStore, weekly_series: pd.DataFrame
) -> None:
    """The alias moves at once, the audit row with the unit of work: a crash in between
    leaves a champion nobody decided, until the service reconciles on start."""
    task = "demo-crash"

    def promote() -> None:
        with database.session() as session:
            register_equal_constant(store, session, task, weekly_series)
            if store.champion_version(task) == 2:
                raise RuntimeError("crash before the unit of work commits")

    promote()
    with pytest.raises(RuntimeError, match="crash"):
        promote()
    assert store.champion_version(task) == 2  # the registry moved; the audit did not

    with database.session() as session:
        fixed = reconcile_champions(store, session)
    assert [(e.task, e.version, e.previous_version) for e in fixed] == [(task, 1, 2)]
    assert store.champion_version(task) == 1
    with database.session() as session:
        assert [e.action for e in audit_trail(session, task)] == ["rolled_back", "promoted"]
        assert reconcile_champions(store, session) == []  # they agree now
