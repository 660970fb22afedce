"""MLflow tracking and model registry behind one small class, with a cache of serving models.

A *task* is one forecasting problem that is trained and served as a unit (for example
``incidents-software-monthly``); it is an MLflow registered model. Each training is an
MLflow run holding the parameters, the backtest metrics, the data fingerprint and the
pickled fitted model; registering the run makes a new version, and the ``champion``
alias marks the version that serves. Operators can move the alias with MLflow's own UI
or CLI: serving processes notice it, because the cache re-reads the alias (one indexed
query) at most every ``refresh_seconds`` and reloads only when the version changed.

MLflow is imported on first use, not at module import: it takes seconds to import and
the CLI must start in well under one. The embedded default is a SQLite tracking store
with artifacts on local disk; with an ``http(s)://`` tracking URI the server decides
where artifacts go.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import pickle
import tempfile
import threading
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opscast.errors import InvalidInputError, NotFoundError
from opscast.observability import MODEL_ERROR, MODEL_TRAINED
from opscast.registry.fingerprint import data_fingerprint

if TYPE_CHECKING:
    import pandas as pd

    from opscast.config import Settings

CHAMPION = "champion"
# What a forecasting version must carry; other kinds of model name their own metrics.
REQUIRED_METRICS = ("mae", "rmse", "mape", "smape", "mase")
EXPERIMENT = "opscast"
MODEL_ARTIFACT_DIR = "model"
MODEL_FILE = "model.pkl"
FINGERPRINT_PARAM = "data_fingerprint"
TASK_TAG = "opscast.task"


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One registered version of a task: what was trained, on what, and how well."""

    task: str
    version: int
    run_id: str
    created_at: datetime
    aliases: tuple[str, ...]
    params: dict[str, str]
    metrics: dict[str, float | None]
    fingerprint: str | None

    @property
    def model_name(self) -> str:
        return self.params.get("model", "unknown")


@dataclass(frozen=True, slots=True)
class Task:
    name: str
    tags: dict[str, str]
    aliases: dict[str, int]
    versions: list[ModelVersion]

    @property
    def champion(self) -> ModelVersion | None:
        number = self.aliases.get(CHAMPION)
        return next((v for v in self.versions if v.version == number), None)


@dataclass(frozen=True, slots=True)
class Champion:
    """A registered model of a task (the serving one unless loaded by another alias), loaded."""

    task: str
    info: ModelVersion
    model: Any


@dataclass
class _Cached:
    champion: Champion
    checked_at: float


@dataclass
class _RunData:
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float | None] = field(default_factory=dict)


def _quiet_mlflow() -> None:
    """MLflow logs every schema migration at INFO, draws progress bars on artifact
    downloads and phones home, unless told not to (before it is imported)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", module=r"mlflow(\..*)?$")


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _missing(exc: Exception) -> bool:
    return getattr(exc, "error_code", "") in {"RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"}


def _export_serving(info: ModelVersion) -> None:
    """Publish what serves for a task: its backtest errors and when it was trained."""
    for metric, value in info.metrics.items():
        if value is not None:
            MODEL_ERROR.labels(task=info.task, metric=metric).set(value)
    MODEL_TRAINED.labels(task=info.task).set(info.created_at.timestamp())


class ModelStore:
    """Register, promote and serve models of named tasks; safe to share between threads."""

    def __init__(
        self,
        tracking_uri: str,
        *,
        artifact_dir: Path | None = None,
        refresh_seconds: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tracking_uri = tracking_uri
        self.artifact_dir = artifact_dir
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._client_lock = threading.Lock()
        self._cache_lock = threading.Lock()
        self._client: Any = None
        self._experiment_id: str | None = None
        self._cache: dict[str, _Cached] = {}
        self._runs: dict[str, _RunData] = {}

    @classmethod
    def from_settings(cls, settings: Settings, *, refresh_seconds: float = 5.0) -> ModelStore:
        """The configured store; a tracking server decides where artifacts go, else local disk.

        A SQLite store keeps its artifacts next to its file, any other database under
        the var dir.
        """
        uri = settings.resolved_mlflow_uri
        artifacts: Path | None
        if uri.startswith(("http://", "https://", "databricks")):
            artifacts = None
        elif uri.startswith("sqlite:///"):
            artifacts = Path(uri.removeprefix("sqlite:///")).resolve().parent / "mlartifacts"
        else:
            artifacts = (settings.var_dir / "mlartifacts").resolve()
        return cls(uri, artifact_dir=artifacts, refresh_seconds=refresh_seconds)

    # -- MLflow plumbing -------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The MLflow client, created (and a local store migrated) on first use."""
        with self._client_lock:
            if self._client is None:
                _quiet_mlflow()
                from mlflow import MlflowClient

                if self.tracking_uri.startswith("sqlite:///"):
                    Path(self.tracking_uri.removeprefix("sqlite:///")).parent.mkdir(
                        parents=True, exist_ok=True
                    )
                self._client = MlflowClient(
                    tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri
                )
            return self._client

    def _experiment(self) -> str:
        if self._experiment_id is None:
            found = self.client.get_experiment_by_name(EXPERIMENT)
            if found is not None:
                self._experiment_id = str(found.experiment_id)
            else:
                location = self.artifact_dir.as_uri() if self.artifact_dir else None
                if self.artifact_dir is not None:
                    self.artifact_dir.mkdir(parents=True, exist_ok=True)
                self._experiment_id = str(
                    self.client.create_experiment(EXPERIMENT, artifact_location=location)
                )
        return self._experiment_id

    def _run_data(self, run_id: str) -> _RunData:
        """Params and metrics of a finished run; runs never change, so they are cached."""
        cached = self._runs.get(run_id)
        if cached is None:
            data = self.client.get_run(run_id).data
            cached = _RunData(
                params=dict(data.params),
                metrics={key: _finite(float(value)) for key, value in data.metrics.items()},
            )
            self._runs[run_id] = cached
        return cached

    def _version(self, task: str, raw: Any) -> ModelVersion:
        data = self._run_data(str(raw.run_id))
        return ModelVersion(
            task=task,
            version=int(raw.version),
            run_id=str(raw.run_id),
            created_at=datetime.fromtimestamp(int(raw.creation_timestamp) / 1000, tz=UTC),
            aliases=tuple(sorted(raw.aliases or ())),
            params=data.params,
            metrics=data.metrics,
            fingerprint=data.params.get(FINGERPRINT_PARAM),
        )

    # -- writing ---------------------------------------------------------------------

    def register(
        self,
        task: str,
        model: Any,
        *,
        data: pd.DataFrame,
        params: Mapping[str, str | int | float],
        metrics: Mapping[str, float],
        tags: Mapping[str, str] | None = None,
        promote: bool = False,
        required_metrics: Sequence[str] = REQUIRED_METRICS,
    ) -> ModelVersion:
        """Log one training run of ``task`` and register it as the task's next version.

        ``data`` is the training frame (only its fingerprint is stored); ``metrics`` must
        hold every name in ``required_metrics`` (the backtest MAE, RMSE, MAPE, sMAPE and
        MASE for a forecaster; a classifier names its own); ``params`` should name the
        model under ``model``. With ``promote`` the new version becomes the champion.
        """
        from mlflow.entities import Metric, Param, RunTag

        absent = [name for name in required_metrics if name not in metrics]
        if absent:
            raise ValueError(f"register() needs evaluation metrics {', '.join(absent)}")
        fingerprint = data_fingerprint(data)
        client = self.client
        run = client.create_run(self._experiment(), tags={TASK_TAG: task}, run_name=task)
        run_id = str(run.info.run_id)
        now = int(time.time() * 1000)
        logged = {key: str(value) for key, value in params.items()}
        logged[FINGERPRINT_PARAM] = fingerprint
        try:
            client.log_batch(
                run_id,
                metrics=[Metric(key, float(value), now, 0) for key, value in metrics.items()],
                params=[Param(key, value) for key, value in logged.items()],
                tags=[RunTag(f"opscast.{key}", value) for key, value in (tags or {}).items()],
            )
            with tempfile.TemporaryDirectory() as scratch:
                path = Path(scratch) / MODEL_FILE
                path.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
                client.log_artifact(run_id, str(path), artifact_path=MODEL_ARTIFACT_DIR)
        except Exception:
            # a disk that filled mid-copy leaves part of the file: no version points at
            # it, and it is removed so that no reader can take it for a model
            with contextlib.suppress(Exception):
                from mlflow.store.artifact.artifact_repository_registry import (
                    get_artifact_repository,
                )

                partial: Any = get_artifact_repository(run.info.artifact_uri)
                partial.delete_artifacts()
            client.set_terminated(run_id, status="FAILED")
            raise
        client.set_terminated(run_id)
        self._ensure_registered_model(task, tags or {})
        source = f"{run.info.artifact_uri}/{MODEL_ARTIFACT_DIR}"
        raw = client.create_model_version(task, source=source, run_id=run_id)
        if promote:
            self.set_alias(task, CHAMPION, int(raw.version))
            raw = client.get_model_version(task, str(raw.version))
        return self._version(task, raw)

    def _ensure_registered_model(self, task: str, tags: Mapping[str, str]) -> None:
        try:
            self.client.get_registered_model(task)
        except Exception as exc:
            if not _missing(exc):
                raise
            try:
                self.client.create_registered_model(task, tags=dict(tags))
            except Exception as again:  # another thread or process created it first
                if getattr(again, "error_code", "") != "RESOURCE_ALREADY_EXISTS":
                    raise

    def set_alias(self, task: str, alias: str, version: int) -> None:
        """Point ``alias`` at ``version``; moving ``champion`` changes what serves.

        This process serves the new version from its next request; other processes
        notice within ``refresh_seconds``.
        """
        try:
            raw = self.client.get_model_version(task, str(version))
        except Exception as exc:
            if _missing(exc):
                raise NotFoundError(f"task {task!r} has no version {version}") from exc
            raise
        self.client.set_registered_model_alias(task, alias, str(version))
        with self._cache_lock:  # this process serves the new version from the next call
            self._cache.pop(f"{task}@{alias}", None)
        if alias == CHAMPION:
            _export_serving(self._version(task, raw))

    # -- reading ---------------------------------------------------------------------

    def champion_version(self, task: str) -> int | None:
        """The version the champion alias points at now (one query, no model loading)."""
        return self.alias_version(task, CHAMPION)

    def alias_version(self, task: str, alias: str) -> int | None:
        """The version ``alias`` points at now, or None when the task or alias is absent."""
        try:
            return int(self.client.get_model_version_by_alias(task, alias).version)
        except Exception as exc:
            if _missing(exc):
                return None
            raise

    def champion(self, task: str) -> Champion:
        """The serving model of ``task``, from memory unless the alias has moved."""
        return self.aliased(task, CHAMPION)

    def aliased(self, task: str, alias: str) -> Champion:
        """The model ``alias`` points at, kept in memory and reloaded when the alias moves.

        Raises NotFoundError when the task has no such alias.
        """
        key = f"{task}@{alias}"
        with self._cache_lock:
            cached = self._cache.get(key)
            now = self._clock()
            if cached is not None and now - cached.checked_at < self.refresh_seconds:
                return cached.champion
            version = self.alias_version(task, alias)
            if version is None:
                self._cache.pop(key, None)
                raise NotFoundError(f"task {task!r} has no {alias} model yet")
            if cached is not None and cached.champion.info.version == version:
                cached.checked_at = now
                return cached.champion
            loaded = self._load(task, version)
            self._cache[key] = _Cached(loaded, now)
            if alias == CHAMPION:
                _export_serving(loaded.info)
            return loaded

    def _load(self, task: str, version: int) -> Champion:
        from mlflow.artifacts import download_artifacts

        raw = self.client.get_model_version(task, str(version))
        with tempfile.TemporaryDirectory() as scratch:
            local = download_artifacts(
                artifact_uri=f"{raw.source}/{MODEL_FILE}",
                dst_path=scratch,
                tracking_uri=self.tracking_uri,
            )
            model = pickle.loads(Path(local).read_bytes())  # our own artifacts only
        return Champion(task=task, info=self._version(task, raw), model=model)

    def get_task(self, task: str) -> Task:
        try:
            registered = self.client.get_registered_model(task)
        except Exception as exc:
            if _missing(exc):
                raise NotFoundError(f"no task named {task!r} in the model registry") from exc
            raise
        return self._task(registered)

    def _task(self, registered: Any) -> Task:
        name = str(registered.name)
        raws = self.client.search_model_versions(f"name = '{name}'")
        versions = sorted(
            (self._version(name, raw) for raw in raws), key=lambda v: v.version, reverse=True
        )
        aliases = {str(alias): int(number) for alias, number in registered.aliases.items()}
        return Task(name=name, tags=dict(registered.tags), aliases=aliases, versions=versions)

    def list_tasks(self, prefix: str | None = None) -> list[Task]:
        """Every registered task (optionally those whose name starts with ``prefix``)."""
        if prefix is not None and "'" in prefix:
            raise InvalidInputError("a task prefix cannot contain quotes", field="prefix")
        query = f"name LIKE '{prefix}%'" if prefix else ""
        tasks: list[Task] = []
        token: str | None = None
        while True:
            page = self.client.search_registered_models(
                filter_string=query, max_results=500, page_token=token
            )
            tasks.extend(self._task(registered) for registered in page)
            token = page.token
            if not token:
                break
        return sorted(tasks, key=lambda task: task.name)
