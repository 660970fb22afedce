"""Sources read from the database: drift reports, finished retraining jobs, shadow scores.

Shadow scores give two kinds of evidence: the serving model's live error against the
challenger's (``model_error``), and each series' newest settled actual against the
serving model's forecast interval (``forecast_breach``). They exist while shadow mode
runs with a challenger (``OPSCAST_SHADOW=true``), the only place where opscast keeps a
served forecast until its actual is known.

Each is read past a stored cursor, so every report and job is judged once, by one
process, whatever restarts happen. On the very first start the cursors begin at the
newest rows: history from before alerting existed is not replayed as a flood.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from opscast.alerting.observations import (
    Observation,
    Settled,
    from_drift_report,
    from_forecast_breach,
    from_retrain_job,
    from_shadow_errors,
)
from opscast.alerting.repository import EPOCH, EVALUATION_TURN, AlertRepository, epoch_seconds

RETRAIN_JOB_KIND = "retrain"
BATCH = 200
SHADOW_PERIODS = 60
"""Newest settled periods per alias that the live error is measured on, and per series
that the forecast interval is calibrated on."""
BREACH_ROWS = 10_000
"""Settled champion periods of one task read per tick (every series' newest first)."""


def start_cursors(session: Session) -> None:
    repository = AlertRepository(session)
    settled = repository.newest_settled()
    newest_of = repository.newest_ids(RETRAIN_JOB_KIND) | {
        "shadow": 0 if settled is None else epoch_seconds(settled),
        EVALUATION_TURN: 0,
    }
    for source, newest in newest_of.items():
        if repository.cursor(source) is None:
            repository.move_cursor(source, newest)


def anything_new(session: Session) -> bool:
    """Whether a source holds rows past its cursor: a look that writes nothing, so an idle
    tick need not take the evaluation turn (a write, on SQLite the database's lock)."""
    repository = AlertRepository(session)
    newest = repository.newest_ids(RETRAIN_JOB_KIND)
    settled = repository.newest_settled()
    return (
        newest["drift"] > (repository.cursor("drift") or 0)
        or newest["retrain"] > (repository.cursor("retrain") or 0)
        or (settled is not None and epoch_seconds(settled) > (repository.cursor("shadow") or 0))
    )


def read_sources(session: Session) -> list[Observation]:
    repository = AlertRepository(session)
    found: list[Observation] = []
    last = repository.cursor("drift") or 0
    for report in repository.drift_reports_after(last, BATCH):
        found.append(
            from_drift_report(
                report.id,
                report.kind,
                report.subject,
                report.drift_detected,
                report.share_drifted,
                report.created_at,
            )
        )
        last = report.id
    repository.move_cursor("drift", last)
    last = repository.cursor("retrain") or 0
    for job in repository.finished_jobs_after(RETRAIN_JOB_KIND, last, BATCH):
        found.extend(
            from_retrain_job(
                job.id,
                job.task,
                job.status,
                job.result,
                job.error,
                job.finished_at or job.created_at,
            )
        )
        last = job.id
    repository.move_cursor("retrain", last)
    found.extend(_shadow(repository))
    return found


def _shadow(repository: AlertRepository) -> list[Observation]:
    """Tasks whose shadow scores settled since the last read; the cursor is in seconds."""
    after = EPOCH + timedelta(seconds=repository.cursor("shadow") or 0)
    tasks, newest = repository.shadow_tasks_settled_after(after)
    if newest is None:
        return []
    repository.move_cursor("shadow", epoch_seconds(newest))
    found = []
    for task in tasks:
        observation = from_shadow_errors(
            task, repository.shadow_errors(task, 2 * SHADOW_PERIODS), newest
        )
        if observation is not None:
            found.append(observation)
        found.extend(_breaches(repository, task, newest))
    return found


def _breaches(repository: AlertRepository, task: str, at: datetime) -> list[Observation]:
    """Per series of ``task``, its newest settled period against the forecast interval."""
    periods: dict[str, list[Settled]] = {}
    for row in repository.settled_champion_periods(task, BREACH_ROWS):
        if row.actual is None or row.abs_error is None:
            continue
        periods.setdefault(row.unique_id, []).append(
            Settled(row.period_start, row.predicted, row.actual, row.abs_error)
        )
    found = []
    for series, settled in periods.items():
        newest, earlier = settled[0], [p.abs_error for p in settled[1 : SHADOW_PERIODS + 1]]
        observation = from_forecast_breach(task, series, newest, earlier, at)
        if observation is not None:
            found.append(observation)
    return found
