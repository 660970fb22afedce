"""``opscast incidents``: import exports, train, forecast (seed 1's commands)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from opscast.cli.common import (
    fail,
    load_settings,
    open_database,
    open_services,
    steps,
    user_errors,
)

app = typer.Typer(
    help="ITSM incident counts per category: import exports, train, forecast.",
    no_args_is_help=True,
)


@app.command("import")
def incidents_import(
    path: Annotated[
        Path, typer.Argument(help="CSV export (ServiceNow event log, ITSM_data.csv, ...).")
    ],
    layout: Annotated[
        str | None, typer.Option(help="servicenow or itsm; detected from the header if omitted.")
    ] = None,
    column: Annotated[
        list[str] | None,
        typer.Option(
            help="Column mapping KEY=COLUMN (keys: category, opened_at, id, date_format); repeat."
        ),
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="Only incidents opened on or after (YYYY-MM-DD).")
    ] = None,
    end: Annotated[
        str | None, typer.Option(help="Only incidents opened on or before (YYYY-MM-DD).")
    ] = None,
) -> None:
    """Store the daily incident counts per category of an export (kind ``incidents``)."""
    from datetime import date

    from opscast.incidents.imports import import_file

    if not path.is_file():
        raise fail(f"no such file: {path}")
    overrides = {}
    for pair in column or []:
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise fail(f"--column {pair!r} is not KEY=COLUMN (e.g. category=CI_Cat)")
        overrides[key.strip()] = value
    try:
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else None
    except ValueError as exc:
        raise fail(f"--start/--end: {exc}") from None
    settings = load_settings()
    with (
        open_database(settings) as database,
        user_errors(),
        steps(f"importing {path.name}"),
        database.session() as session,
    ):
        result = import_file(
            session, path, layout=layout, overrides=overrides, start=first, end=last
        )
    typer.echo(json.dumps(result.model_dump()))


@app.command("train")
def incidents_train(
    category: Annotated[
        list[str] | None, typer.Option(help="Only this category; repeat for several.")
    ] = None,
) -> None:
    """Train the incident models that have no champion yet (what the service does on start)."""
    from opscast.incidents.background import incident_categories, train_task
    from opscast.incidents.service import task_name
    from opscast.incidents.training import GRANULARITIES
    from opscast.observability import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    with open_services(settings) as services:
        database, forecaster = services.database, services.incident_forecaster
        known = incident_categories(database)
        unknown = sorted(set(category or []) - set(known))
        if unknown:
            raise fail(
                f"no incident category {', '.join(unknown)}; known: {', '.join(known) or 'none'}"
            )
        summary: dict[str, list[str]] = {"ready": [], "too_short": []}
        with user_errors(), steps("training incident models") as step:
            for name in category or known:
                for granularity in GRANULARITIES:
                    task = task_name(name, granularity)
                    step(task)
                    trained = train_task(database, forecaster, name, granularity)
                    summary["ready" if trained else "too_short"].append(task)
    typer.echo(json.dumps(summary))


@app.command("forecast")
def incidents_forecast(
    category: Annotated[str, typer.Option(help="Incident category, e.g. Software.")],
    granularity: Annotated[str, typer.Option(help="daily, weekly, monthly or quarterly.")],
    periods: Annotated[int, typer.Option(min=1, help="How many periods ahead.")],
) -> None:
    """Print the reconciled forecast as JSON, as POST /forecast answers it."""
    from opscast.incidents.schemas import ForecastResponse
    from opscast.observability import configure_logging
    from opscast.timeseries import Granularity

    if granularity not in {"daily", "weekly", "monthly", "quarterly"}:
        raise fail(f"--granularity {granularity!r}: use daily, weekly, monthly or quarterly")
    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    with (
        open_services(settings) as services,
        user_errors(),
        steps(f"{category} {granularity}"),
        services.database.session() as session,
    ):
        result = services.incident_forecaster.forecast(
            session, category, Granularity(granularity), periods
        )
    typer.echo(ForecastResponse.of(result).model_dump_json())
