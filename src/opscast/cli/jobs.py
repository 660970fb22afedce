"""Background work from the command line: retrain now, run a job worker."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from opscast.cli.common import load_settings, open_services, steps, user_errors


def retrain(
    task: Annotated[
        str, typer.Option(help="Target to retrain (incidents, tickets) or all.")
    ] = "all",
    if_drift: Annotated[
        bool,
        typer.Option(
            "--if-drift",
            help="Run every target's drift check on the stored data first; retrain what drifted.",
        ),
    ] = False,
) -> None:
    """Retrain now, under guard, and print a JSON summary (for cron and CI).

    Runs in this process; with --if-drift the drift checks run first and nothing is
    trained unless one flagged (now, or earlier with its retrain still queued).
    """
    from opscast.jobs.service import get_job, list_jobs
    from opscast.retraining.service import RETRAIN_JOB, request_retrain

    settings = load_settings()
    with open_services(settings) as services:
        database = services.database
        checks: dict[str, Any] = {}
        if if_drift:  # every target's drift check on the stored data queues what drifted
            from opscast.retraining.catalog import drift_checks
            from opscast.retraining.drift_checks import run_drift_checks

            with steps("drift checks"):
                checks["drift_checks"] = run_drift_checks(
                    services.model_store, database, drift_checks(), services.retrainer.targets
                )
        with database.session() as session:
            queued, _ = list_jobs(session, status="queued", kind=RETRAIN_JOB, limit=500)
            drift_queued = [job.id for job in queued if job.requested_by.startswith("drift:")]
        if if_drift and not drift_queued:
            message = {"jobs": [], "message": "no drift check asked for a retrain", **checks}
            typer.echo(json.dumps(message, default=str))
            return
        if not if_drift:
            with user_errors(), database.session() as session:
                request_retrain(session, task, known=services.retrainer.targets, requested_by="cli")
        with steps("retraining"):
            ran = services.jobs.run_until_idle()
        summary = []
        with database.session() as session:
            for job_id in ran:
                job, _ = get_job(session, job_id)
                summary.append(
                    {
                        "id": job.id,
                        "kind": job.kind,
                        "task": job.task,
                        "status": job.status,
                        "requested_by": job.requested_by,
                        "result": job.result,
                        "error": job.error,
                    }
                )
    typer.echo(json.dumps({"jobs": summary, **checks}, indent=2, default=str))
    if any(row["status"] != "succeeded" for row in summary):
        raise typer.Exit(code=1)


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Run what is queued (and due), then exit.")
    ] = False,
) -> None:
    """Run background jobs from the database queue, beside or instead of the server's runner.

    Start several on other machines against the same OPSCAST_DATABASE_URL to spread
    retraining; set OPSCAST_RUN_JOBS=false on the API processes to keep them serving only.
    """
    import signal
    import threading

    from opscast.observability import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    with open_services(settings) as services:
        runner = services.jobs
        if once:
            ran = runner.run_until_idle()
            typer.echo(json.dumps({"jobs_run": ran}))
            return
        stopped = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopped.set())
        kinds = ", ".join(runner.kinds) or "none"
        typer.echo(f"worker {runner.worker} running job kinds: {kinds}")
        runner.start()
        stopped.wait()
        runner.stop()
