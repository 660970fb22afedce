"""Train the demand champion in a background thread when the service starts without one.

The data are the current prepared set when one is recorded; else the store-item CSV
under the data directory (``store_demand/train.csv``) when it is there; else the
demand simulator, so a fresh ``make run`` always ends up serving ``/predict``. The
model and its parameters come from ``OPSCAST_DEMAND_CONFIG`` when set. The thread's
handling is ``background_thread``'s, as for the incident models; ``/health`` shows how
far it has got.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from opscast.background_thread import BackgroundThread
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
from opscast.registry.store import ModelStore
from opscast.simulate import simulate_demand

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
        prepared = prepare_csv(csv, load_config(settings.demand_config).data)
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


@dataclass
class DemandProgress:
    step: str = "waiting"
    fraction: float = 0.0
    version: int | None = None


class DemandTraining(BackgroundThread):
    """The champion, trained when there is none; a stop takes effect at the next round."""

    name = "opscast-demand"

    def __init__(self, database: Database, store: ModelStore, settings: Settings) -> None:
        super().__init__()
        self.database = database
        self.store = store
        self.settings = settings
        self.progress = DemandProgress()

    def _report(self, fraction: float, step: str) -> None:
        self.checkpoint()
        with self.lock:
            self.progress.fraction, self.progress.step = fraction, step

    def work(self) -> None:
        serving = champion_model(self.store)
        if serving is None:
            self._report(0.0, "loading data")
            data = current_or_initial_data(self.database, self.settings)
            with self.database.session() as session:
                result = train_and_register(
                    self.store,
                    session,
                    data,
                    load_config(self.settings.demand_config),
                    requested_by="startup",
                    progress=self._report,
                )
            version = result.outcome.version.version
        else:
            version = serving[0]
        with self.lock:
            self.progress.version = version

    def health(self) -> ComponentHealth:
        with self.lock:
            p = self.progress
            if self.error is not None:
                return ComponentHealth(
                    status="error", kind="training", detail=f"{TASK}: {self.error}"
                )
            if not self.finished:
                return ComponentHealth(
                    status="training",
                    kind="training",
                    detail=f"{TASK}: {p.step} ({p.fraction:.0%})",
                )
            return ComponentHealth(
                status="ok", kind="training", detail=f"{TASK} version {p.version}"
            )
