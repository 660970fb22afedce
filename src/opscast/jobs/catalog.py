"""Every kind of background job this build of opscast can run, by the name jobs carry.

The composition lives here, in one place, so the runner in the server process and a
separate ``opscast worker`` process run exactly the same kinds.
"""

from __future__ import annotations

from datetime import timedelta

from opscast.config import Settings
from opscast.db import Database
from opscast.jobs.runner import Handler, JobRunner
from opscast.registry.store import ModelStore


def job_handlers(settings: Settings, store: ModelStore) -> dict[str, Handler]:
    from opscast.retraining.catalog import trainers
    from opscast.retraining.retrainer import Retrainer
    from opscast.retraining.service import RETRAIN_JOB
    from opscast.streaming import prometheus_pull

    return {
        RETRAIN_JOB: Retrainer(store, trainers()),
        prometheus_pull.KIND: prometheus_pull.prometheus_pull_job(settings),
    }


def job_runner(settings: Settings, database: Database, store: ModelStore) -> JobRunner:
    """The runner the server, ``opscast worker`` and ``opscast retrain`` all use."""
    return JobRunner(
        database,
        job_handlers(settings, store),
        poll_seconds=settings.job_poll_seconds,
        stale_after=timedelta(seconds=settings.job_stale_seconds),
    )
