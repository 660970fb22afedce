"""Sources read from the database: drift reports and finished retraining jobs.

Each is read past a stored cursor, so every report and job is judged once, by one
process, whatever restarts happen. On the very first start the cursors begin at the
newest rows: history from before alerting existed is not replayed as a flood.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from opscast.alerting.observations import Observation, from_drift_report, from_retrain_job
from opscast.alerting.repository import AlertRepository

RETRAIN_JOB_KIND = "retrain"
BATCH = 200


def start_cursors(session: Session) -> None:
    repository = AlertRepository(session)
    for source, newest in repository.newest_ids().items():
        if repository.cursor(source) is None:
            repository.move_cursor(source, newest)


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
    return found
