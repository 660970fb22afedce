"""Train the missing incident champions in a background thread when the service starts.

The server answers at once; ``/health`` shows how far training has got. The thread's
handling (start, stop, crash reporting) is ``background_thread``'s. Training a task
goes through the same per-task lock as a request that needs that champion, so the two
never train the same task twice. The thread stops between tasks when the app shuts down.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opscast.background_thread import BackgroundThread
from opscast.db import Database
from opscast.errors import InvalidInputError
from opscast.health import ComponentHealth
from opscast.incidents.service import KIND, IncidentForecaster, newest_day
from opscast.incidents.training import GRANULARITIES
from opscast.observability import get_logger
from opscast.series.service import list_series
from opscast.timeseries import Granularity

log = get_logger(__name__)


def incident_categories(database: Database) -> list[str]:
    """Every stored incident category: the ones training covers."""
    with database.session() as session:
        return [stats.series.unique_id for stats in list_series(session, KIND)]


def train_task(
    database: Database, forecaster: IncidentForecaster, category: str, granularity: Granularity
) -> bool:
    """Make sure one task has a champion; False when its history is too short to train.

    The one training step of both the service's start-up thread and ``opscast incidents
    train``, so the two always produce the same champions.
    """
    try:
        with database.session() as session:
            forecaster.champion(session, category, granularity, newest_day(session, category))
    except InvalidInputError:
        return False
    return True


@dataclass
class TrainingProgress:
    total: int = 0
    trained: int = 0
    too_short: int = 0
    failed: list[str] = field(default_factory=list)
    current: str | None = None


class BackgroundTraining(BackgroundThread):
    """Every missing champion, task by task; a stop takes effect between tasks."""

    name = "opscast-training"

    def __init__(self, database: Database, forecaster: IncidentForecaster) -> None:
        super().__init__()
        self.database = database
        self.forecaster = forecaster
        self.progress = TrainingProgress()

    def work(self) -> None:
        try:
            categories = incident_categories(self.database)
            work = [(category, level) for category in categories for level in GRANULARITIES]
            with self.lock:
                self.progress.total = len(work)
            for category, level in work:
                self.checkpoint()
                self._train_one(category, level)
        finally:
            with self.lock:
                self.progress.current = None

    def _train_one(self, category: str, granularity: Granularity) -> None:
        with self.lock:
            self.progress.current = f"{category} {granularity.value}"
        try:
            trained = train_task(self.database, self.forecaster, category, granularity)
        except Exception as exc:
            log.warning(
                "training failed", category=category, granularity=granularity.value, exc_info=exc
            )
            with self.lock:
                self.progress.failed.append(f"{category} {granularity.value}")
            return
        with self.lock:
            if trained:
                self.progress.trained += 1
            else:
                self.progress.too_short += 1

    def health(self) -> ComponentHealth:
        with self.lock:
            p = self.progress
            done = f"{p.trained}/{p.total} trained"
            notes = []
            if p.too_short:
                notes.append(f"{p.too_short} without enough history")
            if p.failed:
                notes.append(f"{len(p.failed)} failed ({', '.join(p.failed[:3])})")
            detail = "; ".join([done, *notes])
            if self.error is not None:
                return ComponentHealth(
                    status="error", kind="training", detail=f"{detail}; stopped: {self.error}"
                )
            if not self.finished:
                doing = f", training {p.current}" if p.current else ""
                return ComponentHealth(
                    status="training", kind="training", detail=f"{detail}{doing}"
                )
            return ComponentHealth(status="ok", kind="training", detail=detail)
