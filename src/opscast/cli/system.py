"""The service's own commands: serve, demo, migrate."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from opscast.cli.common import fail, load_settings, open_database, steps

if TYPE_CHECKING:
    from fastapi import FastAPI

    from opscast.config import Settings
    from opscast.db import Database


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind [default: OPSCAST_HOST]")
    ] = None,
    port: Annotated[
        int | None, typer.Option(min=1, max=65535, help="Port [default: OPSCAST_PORT or 8000]")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help="Worker processes [default: OPSCAST_WORKERS or 1]"),
    ] = None,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=65535,
            help="Also serve /metrics alone on this port [default: OPSCAST_METRICS_PORT]",
        ),
    ] = None,
) -> None:
    """Run the whole service: API, dashboard and embedded parts."""
    settings = load_settings(host=host, port=port, workers=workers, metrics_port=metrics_port)
    # Before anything imports prometheus_client: the workers inherit the directory.
    if settings.workers > 1:
        from opscast.serving import prepare_workers

        prepare_workers(settings)
    import uvicorn

    from opscast.serving import start_metrics_server

    if settings.metrics_port:
        try:
            start_metrics_server(settings.host, settings.metrics_port)
        except OSError as exc:
            raise fail(f"cannot serve metrics on port {settings.metrics_port}: {exc}") from None
    target: str | FastAPI
    if settings.workers > 1:
        # Workers are fresh interpreters that build the app from the same environment,
        # so the command-line overrides travel as variables.
        for name, value in (("HOST", host), ("PORT", port)):
            if value is not None:
                os.environ[f"OPSCAST_{name}"] = str(value)
        target = "opscast.api.app:create_app"
    else:
        from opscast.api.app import create_app

        target = create_app(settings)
    uvicorn.run(
        target,
        factory=settings.workers > 1,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        timeout_keep_alive=settings.keep_alive_seconds,
    )


def demo(
    force: Annotated[bool, typer.Option(help="Reload data sets that are already stored.")] = False,
) -> None:
    """Load the demo data sets (idempotent: what is already stored is kept)."""
    from rich.progress import Progress

    from opscast.demo import DEMO_SETS, load_demo_set

    settings = load_settings()
    with open_database(settings) as database:
        with Progress(transient=False) as progress:
            task = progress.add_task("demo data", total=len(DEMO_SETS))
            for demo_set in DEMO_SETS:
                progress.update(task, description=f"{demo_set.kind}: {demo_set.description}")
                with database.session() as session:
                    outcome = load_demo_set(session, demo_set, force=force)
                state = "already stored" if outcome.skipped else f"{outcome.points:,} points"
                progress.console.print(f"  {outcome.kind}: {outcome.series} series, {state}")
                progress.advance(task)
        _demo_operations(database, settings)


def migrate() -> None:
    """Bring the database schema to the newest version (the service also does this on start)."""
    with open_database(load_settings()) as database:
        typer.echo(f"schema at {database.current_revision()} ({database.dialect})")


def _demo_operations(database: Database, settings: Settings) -> None:
    """Demo tickets, a simulated fleet and drift reports, after the demo series.

    Alerting is started first, as a running server's would be, so the demo's drift
    reports are judged by its rules like any new report: a drifted one fires an alert
    whose notifications the server sends when it starts.
    """
    from opscast.alerting.runtime import AlertingRuntime
    from opscast.demo import load_demo_operations
    from opscast.tickets.scoring import Scoring

    alerting = AlertingRuntime(settings, database, None)
    alerting.prepare()
    with steps("demo tickets and fleet"), database.session() as session:
        outcome = load_demo_operations(session, Scoring.from_settings(settings))
    notified = alerting.judge_sources()
    if outcome.skipped:
        typer.echo("  tickets and servers: present, demo skipped")
    else:
        typer.echo(
            f"  tickets: {outcome.tickets} demo tickets; servers: {outcome.servers}, "
            f"{outcome.server_tickets} failed and opened a ticket"
        )
    if notified:
        typer.echo(f"  alerts: {notified} fired on the demo's drift reports (GET /alerts)")
