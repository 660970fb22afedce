"""Every kind of background job this build of opscast can run, by the name jobs carry.

The composition lives here, in one place, so the runner in the server process and a
separate ``opscast worker`` process run exactly the same kinds.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from opscast.config import Settings
from opscast.db import Database
from opscast.jobs.runner import Handler, JobRunner
from opscast.registry.store import ModelStore

if TYPE_CHECKING:
    from opscast.retraining.retrainer import Retrainer
    from opscast.streaming.pipeline import StreamPipeline


def job_handlers(
    settings: Settings,
    store: ModelStore,
    retrainer: Retrainer | None = None,
    stream: StreamPipeline | None = None,
) -> dict[str, Handler]:
    """``retrainer`` and ``stream`` come from the composition root when it has built them."""
    from opscast.retraining.catalog import trainers
    from opscast.retraining.retrainer import Retrainer
    from opscast.retraining.service import RETRAIN_JOB
    from opscast.streaming import prometheus_pull

    return {
        RETRAIN_JOB: retrainer or Retrainer(store, trainers(settings)),
        prometheus_pull.KIND: prometheus_pull.prometheus_pull_job(settings, stream),
    }


def job_runner(
    settings: Settings,
    database: Database,
    retrainer: Retrainer,
    *,
    stream: StreamPipeline | None = None,
) -> JobRunner:
    """The runner the server, ``opscast worker`` and ``opscast retrain`` all use."""
    return JobRunner(
        database,
        job_handlers(settings, retrainer.store, retrainer, stream),
        poll_seconds=settings.job_poll_seconds,
        stale_after=timedelta(seconds=settings.job_stale_seconds),
    )
