"""The MLflow-backed model store on a local SQLite tracking store in a temporary var dir."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from prometheus_client import REGISTRY

from opscast.config import Settings
from opscast.errors import NotFoundError
from opscast.registry import CHAMPION, ModelStore, data_fingerprint

METRICS = {"mae": 1.0, "rmse": 1.5, "mape": 0.1, "smape": 0.12, "mase": 0.9}


@dataclass
class FakeClock:
    now: float = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One tracking store for the module: creating one migrates MLflow's schema (seconds)."""
    return tmp_path_factory.mktemp("registry")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def store(store_dir: Path, clock: FakeClock) -> ModelStore:
    return ModelStore(
        f"sqlite:///{store_dir / 'mlflow.db'}",
        artifact_dir=store_dir / "artifacts",
        refresh_seconds=5.0,
        clock=clock,
    )


def training_frame(level: float) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.date_range("2024-01-01", periods=5, freq="D"),
            "y": [level] * 5,
        }
    )


def register(store: ModelStore, task: str, level: float, **kwargs: Any) -> int:
    version = store.register(
        task,
        {"level": level},
        data=training_frame(level),
        params={"model": "constant", "horizon": 3},
        metrics={**METRICS, "mae": level},
        **kwargs,
    )
    return version.version


def test_promotion_is_served_and_the_cache_reloads_when_the_alias_moves(
    store: ModelStore, clock: FakeClock
) -> None:
    task = "test-promotion"
    assert register(store, task, 1.0, promote=True) == 1
    serving = ModelStore(store.tracking_uri, artifact_dir=store.artifact_dir, clock=clock)
    assert serving.champion(task).model == {"level": 1.0}

    assert register(store, task, 2.0, promote=True) == 2
    assert store.champion(task).model == {"level": 2.0}  # the promoting process: at once
    clock.now += 1.0  # another process within refresh_seconds keeps its loaded champion
    assert serving.champion(task).model == {"level": 1.0}
    clock.now += 5.0
    champion = serving.champion(task)
    assert champion.model == {"level": 2.0}
    assert champion.info.version == 2
    assert champion.info.aliases == (CHAMPION,)


def test_any_alias_is_served_like_the_champion(store: ModelStore, clock: FakeClock) -> None:
    task = "test-challenger"
    register(store, task, 1.0, promote=True)
    with pytest.raises(NotFoundError, match="no challenger model"):
        store.aliased(task, "challenger")
    register(store, task, 2.0)
    store.set_alias(task, "challenger", 2)
    assert store.alias_version(task, "challenger") == 2
    assert store.aliased(task, "challenger").model == {"level": 2.0}
    assert store.champion(task).model == {"level": 1.0}


def test_unpromoted_versions_do_not_serve_until_an_alias_points_at_them(
    store: ModelStore, clock: FakeClock
) -> None:
    task = "test-unpromoted"
    register(store, task, 1.0, promote=True)
    register(store, task, 5.0)
    assert store.champion(task).model == {"level": 1.0}
    store.set_alias(task, CHAMPION, 2)
    clock.now += 10.0
    assert store.champion(task).model == {"level": 5.0}
    value = REGISTRY.get_sample_value("opscast_model_error", {"task": task, "metric": "mae"})
    assert value == 5.0
    trained_at = REGISTRY.get_sample_value(
        "opscast_model_trained_timestamp_seconds", {"task": task}
    )
    assert trained_at == store.champion(task).info.created_at.timestamp()


def test_an_operator_moving_the_alias_in_mlflow_is_noticed(
    store: ModelStore, clock: FakeClock
) -> None:
    task = "test-operator"
    register(store, task, 1.0, promote=True)
    register(store, task, 3.0, promote=True)
    assert store.champion(task).model == {"level": 3.0}
    store.client.set_registered_model_alias(task, CHAMPION, "1")  # a rollback done in MLflow
    clock.now += 10.0
    assert store.champion(task).model == {"level": 1.0}


def test_metrics_params_and_fingerprint_are_stored(store: ModelStore) -> None:
    task = "test-listing"
    register(store, task, 1.0, promote=True, tags={"domain": "test"})
    register(store, task, 4.0)
    [listed] = store.list_tasks(prefix="test-listing")
    assert listed.aliases == {CHAMPION: 1}
    assert listed.tags == {"domain": "test"}
    assert [v.version for v in listed.versions] == [2, 1]
    newest, oldest = listed.versions
    assert newest.metrics == {**METRICS, "mae": 4.0}
    assert newest.params["horizon"] == "3"
    assert newest.model_name == "constant"
    assert newest.fingerprint == data_fingerprint(training_frame(4.0))
    assert oldest.fingerprint == data_fingerprint(training_frame(1.0))
    assert listed.champion == oldest
    assert store.get_task(task) == listed


def test_unknown_tasks_versions_and_missing_metrics_are_refused(store: ModelStore) -> None:
    with pytest.raises(NotFoundError, match="no champion"):
        store.champion("test-never-registered")
    with pytest.raises(NotFoundError, match="no task"):
        store.get_task("test-never-registered")
    register(store, "test-refusals", 1.0)
    with pytest.raises(NotFoundError, match="no champion"):
        store.champion("test-refusals")
    with pytest.raises(NotFoundError, match="no version 7"):
        store.set_alias("test-refusals", CHAMPION, 7)
    with pytest.raises(ValueError, match="mase"):
        store.register(
            "test-refusals",
            {},
            data=training_frame(1.0),
            params={"model": "x"},
            metrics={k: v for k, v in METRICS.items() if k != "mase"},
        )
    assert len(store.get_task("test-refusals").versions) == 1


def test_default_store_lives_in_the_var_dir(settings: Settings, var_dir: Path) -> None:
    store = ModelStore.from_settings(settings)
    register(store, "test-var-dir", 2.0, promote=True)
    assert (var_dir / "mlflow.db").is_file()
    assert list((var_dir / "mlartifacts").rglob("model.pkl"))
    reopened = ModelStore.from_settings(settings)
    assert reopened.champion("test-var-dir").model == {"level": 2.0}
