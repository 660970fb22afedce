"""Train the demand champion in a background thread when the service starts without one.

The data are the current prepared set when one is recorded; else the store-item CSV
under the data directory (``store_demand/train.csv``) when it is there; else the
demand simulator, so a fresh ``make run`` always ends up serving ``/predict``. A thread
like the incident models' (``incidents/background.py``): fitting is CPU-bound library
code that releases the GIL, and ``/health`` shows how far it has got.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from opscast.config import Settings
from opscast.db import Database
from opscast.demand.config import load_config
from opscast.demand.prepare import Prepared, prepare_csv
from opscast.demand.service import (
    PREPARED_FILE,
    TASK,
    champion_model,
    current_dataset,
    demand_dir,
    read_prepared,
    record_dataset,
    train_and_register,
)
from opscast.health import ComponentHealth
from opscast.observability import get_logger
from opscast.registry.store import ModelStore
from opscast.simulate import simulate_demand

log = get_logger(__name__)

SOURCE_CSV = Path("store_demand") / "train.csv"
SIMULATED = {"stores": 3, "items": 10, "start": "2023-01-01", "days": 3 * 365, "seed": 7}


def current_or_initial_data(database: Database, settings: Settings) -> pd.DataFrame:
    """The recorded data set; on first use, the shared CSV or simulated sales, recorded."""
    with database.session() as session:
        dataset = current_dataset(session)
        if dataset is not None:
            return read_prepared(Path(dataset.path))
    path = demand_dir(settings.var_dir) / PREPARED_FILE
    csv = settings.data_dir / SOURCE_CSV
    if csv.is_file():
        prepared = prepare_csv(csv, load_config().data)
        source = str(csv)
    else:
        simulated = simulate_demand(**SIMULATED)  # type: ignore[arg-type]
        prepared = Prepared(
            simulated[["unique_id", "ds", "y", "store", "item"]], len(simulated), [], 0
        )
        source = "simulator"
    path.parent.mkdir(parents=True, exist_ok=True)
    prepared.frame.to_parquet(path, index=False)
    with database.session() as session:
        record_dataset(session, prepared, path, source)
    return prepared.frame


class TrainingStoppedError(Exception):
    """Raised from the progress callback to leave training when the service stops."""


@dataclass
class DemandProgress:
    step: str = "waiting"
    fraction: float = 0.0
    finished: bool = False
    version: int | None = None
    error: str | None = None


class DemandTraining:
    def __init__(self, database: Database, store: ModelStore, settings: Settings) -> None:
        self.database = database
        self.store = store
        self.settings = settings
        self.progress = DemandProgress()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @classmethod
    def on_start(cls, database: Database, store: ModelStore, settings: Settings) -> DemandTraining:
        """Started when the settings train on start; ``stop`` ends it at the next round."""
        training = cls(database, store, settings)
        if settings.train_on_start and settings.demand_train_on_start:
            training.start()
        return training

    @property
    def started(self) -> bool:
        return self._thread is not None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="opscast-demand", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Abandon training at the next boosting round (the service is shutting down)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
        return self.progress.finished

    def _report(self, fraction: float, step: str) -> None:
        if self._stop.is_set():
            raise TrainingStoppedError
        with self._lock:
            self.progress.fraction, self.progress.step = fraction, step

    def _run(self) -> None:
        try:
            serving = champion_model(self.store)
            if serving is None:
                self._report(0.0, "loading data")
                data = current_or_initial_data(self.database, self.settings)
                with self.database.session() as session:
                    result = train_and_register(
                        self.store,
                        session,
                        data,
                        load_config(),
                        requested_by="startup",
                        progress=self._report,
                    )
                version = result.outcome.version.version
            else:
                version = serving[0]
            with self._lock:
                self.progress.version = version
        except TrainingStoppedError:
            log.info("demand training stopped: the service is shutting down")
        except Exception as exc:  # reported on /health; the service keeps serving
            log.error("demand training failed", exc_info=exc)
            with self._lock:
                self.progress.error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        finally:
            with self._lock:
                self.progress.finished = True

    def health(self) -> ComponentHealth:
        with self._lock:
            p = self.progress
            if p.error is not None:
                return ComponentHealth(status="error", kind="training", detail=f"{TASK}: {p.error}")
            if not p.finished:
                return ComponentHealth(
                    status="training",
                    kind="training",
                    detail=f"{TASK}: {p.step} ({p.fraction:.0%})",
                )
            return ComponentHealth(
                status="ok", kind="training", detail=f"{TASK} version {p.version}"
            )
