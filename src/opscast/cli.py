"""The ``opscast`` command line.

Heavy libraries (pandas, SQLAlchemy, FastAPI) are imported inside the commands that
need them so that ``opscast --help`` answers at once.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from opscast import __version__
from opscast.cli_keys import app as keys_app

if TYPE_CHECKING:
    import pandas as pd
    from fastapi import FastAPI

    from opscast.config import Settings
    from opscast.db import Database
    from opscast.drift import DataDriftResult

app = typer.Typer(
    name="opscast",
    help="Forecast, watch and act on operations time series.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"opscast {__version__}")
        raise typer.Exit


@app.callback()
def main_options(
    _version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Forecast, watch and act on operations time series."""


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


def _load_settings(**overrides: object) -> Settings:
    """Environment settings with command-line overrides, or a one-line reason to stop."""
    from pydantic import ValidationError

    from opscast.config import Settings

    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise _fail(f"configuration {where}: {first['msg']}".replace(" : ", ": ")) from None


@app.command()
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
    settings = _load_settings(host=host, port=port, workers=workers, metrics_port=metrics_port)
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
            raise _fail(f"cannot serve metrics on port {settings.metrics_port}: {exc}") from None
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
    )


@app.command()
def demo(
    force: Annotated[bool, typer.Option(help="Reload data sets that are already stored.")] = False,
) -> None:
    """Load the demo data sets (idempotent: what is already stored is kept)."""
    from rich.progress import Progress

    from opscast.db import Database
    from opscast.demo import DEMO_SETS, load_demo_set

    settings = _load_settings()
    database = Database(settings.resolved_database_url)
    database.migrate()
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
    database.dispose()


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest version (the service also does this on start)."""
    from opscast.db import Database

    settings = _load_settings()
    database = Database(settings.resolved_database_url)
    database.migrate()
    typer.echo(f"schema at {database.current_revision()} ({database.dialect})")
    database.dispose()


@app.command()
def retrain(
    task: Annotated[
        str, typer.Option(help="Target to retrain (incidents, tickets) or all.")
    ] = "all",
    if_drift: Annotated[
        bool,
        typer.Option(
            "--if-drift", help="Only run the retrains that drift checks have queued, if any."
        ),
    ] = False,
) -> None:
    """Retrain now, under guard, and print a JSON summary (for cron and CI).

    Runs in this process; with --if-drift nothing is trained unless a drift check flagged
    since the last retrain (its retrain is waiting in the queue).
    """
    from opscast.db import Database
    from opscast.jobs.catalog import job_runner
    from opscast.jobs.service import get_job, list_jobs
    from opscast.registry import ModelStore
    from opscast.retraining.service import RETRAIN_JOB, request_retrain

    settings = _load_settings()
    database = Database(settings.resolved_database_url)
    database.migrate()
    runner = job_runner(settings, database, ModelStore.from_settings(settings))
    with database.session() as session:
        queued, _ = list_jobs(session, status="queued", kind=RETRAIN_JOB, limit=500)
        drift_queued = [job.id for job in queued if job.requested_by.startswith("drift:")]
    if if_drift and not drift_queued:
        typer.echo(json.dumps({"jobs": [], "message": "no drift check asked for a retrain"}))
        database.dispose()
        return
    if not if_drift:
        with _user_errors(), database.session() as session:
            request_retrain(
                session,
                task,
                known=runner.handlers[RETRAIN_JOB].targets,  # type: ignore[attr-defined]
                requested_by="cli",
            )
    with _steps("retraining"):
        ran = runner.run_until_idle()
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
    database.dispose()
    typer.echo(json.dumps({"jobs": summary}, indent=2, default=str))
    if any(row["status"] != "succeeded" for row in summary):
        raise typer.Exit(code=1)


@app.command()
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

    from opscast.db import Database
    from opscast.jobs.catalog import job_runner
    from opscast.observability import configure_logging
    from opscast.registry import ModelStore

    settings = _load_settings()
    configure_logging(settings.log_level, settings.log_format)
    database = Database(settings.resolved_database_url)
    database.migrate()
    runner = job_runner(settings, database, ModelStore.from_settings(settings))
    if once:
        ran = runner.run_until_idle()
        typer.echo(json.dumps({"jobs_run": ran}))
        database.dispose()
        return
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    typer.echo(f"worker {runner.worker} running job kinds: {', '.join(runner.kinds) or 'none'}")
    runner.start()
    stopped.wait()
    runner.stop()
    database.dispose()


def _read_series(path: Path) -> pd.DataFrame:
    """A long-format CSV (``unique_id``, ``ds``, ``y``); one unnamed series is allowed."""
    frame = _read_table(path, "input", allow_empty=True)
    if "unique_id" not in frame.columns and {"ds", "y"} <= set(frame.columns):
        frame.insert(0, "unique_id", path.stem)
    return frame


def _read_table(path: Path, role: str, *, allow_empty: bool = False) -> pd.DataFrame:
    """Any CSV with a header row, or a one-line reason naming the file."""
    import pandas as pd

    if not path.is_file():
        raise _fail(f"no such {role} file: {path}")
    try:
        frame = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _fail(f"{path} is not a readable CSV: {exc}") from None
    if frame.empty and not allow_empty:
        raise _fail(f"the {role} file {path} has no rows")
    return frame


@contextmanager
def _user_errors() -> Iterator[None]:
    """Errors a user can fix become one line and exit code 2; anything else stays a traceback."""
    from opscast.errors import OpscastError
    from opscast.forecasting import ForecastingError
    from opscast.timeseries import FrameValidationError

    try:
        yield
    except (ForecastingError, FrameValidationError, OpscastError) as exc:
        raise _fail(str(exc)) from None


@contextmanager
def _steps(title: str) -> Iterator[Callable[[str], None]]:
    """A spinner with the current step and elapsed time, on stderr."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with progress:
        task = progress.add_task(title, total=None)
        yield lambda step: progress.update(task, description=f"{title}: {step}")


InputOption = Annotated[
    Path, typer.Option("--input", "-i", help="CSV in long format: unique_id, ds, y.")
]
HorizonOption = Annotated[int, typer.Option("--horizon", "-h", min=1, help="Steps to forecast.")]
FreqOption = Annotated[
    str | None, typer.Option(help="Pandas frequency of ds (D, h, 5min, ...); inferred if omitted.")
]
SeasonOption = Annotated[
    list[int] | None,
    typer.Option(
        min=1,
        help="Season length in steps (24 for hourly data); repeat for several cycles "
        "(--season-length 24 --season-length 168); from --freq if omitted.",
    ),
]
BudgetOption = Annotated[
    float | None,
    typer.Option(
        min=0,
        help="Seconds auto/ensemble may spend on expensive candidates (ets, arima), "
        "hardest series first [default: twice the cheap candidates' time].",
    ),
]


@app.command("forecast")
def forecast_command(
    input_path: InputOption,
    horizon: HorizonOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV to write.")],
    model: Annotated[str, typer.Option(help="Model name, or auto / ensemble.")] = "auto",
    freq: FreqOption = None,
    season_length: SeasonOption = None,
    level: Annotated[
        list[float] | None, typer.Option(help="Interval level in percent; repeat for several.")
    ] = None,
    windows: Annotated[
        int, typer.Option(min=1, help="Backtest windows for selection and intervals.")
    ] = 2,
    time_budget: BudgetOption = None,
) -> None:
    """Forecast every series of a CSV; writes unique_id, ds, <model> and -lo-L/-hi-L columns.

    Local models run on the Dask cluster at OPSCAST_DASK_SCHEDULER when it is set.
    """
    from opscast.forecasting import forecast

    settings = _load_settings()
    frame = _read_series(input_path)
    with _user_errors(), _steps(f"{model} x {frame['unique_id'].nunique()} series") as step:
        result = forecast(
            frame,
            model,
            horizon,
            freq=freq,
            seasons=season_length or (),
            levels=level or [],
            n_windows=windows,
            on_step=step,
            time_budget=time_budget,
            scheduler=settings.dask_scheduler,
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    from opscast.csv_export import write_csv

    write_csv(result.forecasts, output)
    typer.echo(f"wrote {len(result.forecasts):,} rows to {output}", err=True)
    if result.chosen:
        picked = Counter(name for names in result.chosen.values() for name in names)
        typer.echo(
            "models used: " + ", ".join(f"{name} x{count}" for name, count in picked.most_common()),
            err=True,
        )
        series = len(result.chosen)
        typer.echo(
            "backtested: "
            + ", ".join(f"{name} on {n}/{series}" for name, n in result.tried.items()),
            err=True,
        )


def _finite_or_none(value: float) -> float | None:
    """JSON has no NaN: an undefined score (MAPE of zeros, MASE of a flat history) is null."""
    return float(value) if math.isfinite(value) else None


@app.command("backtest")
def backtest_command(
    input_path: InputOption,
    horizon: HorizonOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="JSON summary to write.")],
    model: Annotated[
        list[str] | None, typer.Option(help="Model to compare; repeat for several.")
    ] = None,
    windows: Annotated[int, typer.Option(min=1, help="Rolling-origin windows.")] = 3,
    step: Annotated[
        int | None, typer.Option(min=1, help="Points between cutoffs [default: horizon].")
    ] = None,
    freq: FreqOption = None,
    season_length: SeasonOption = None,
    time_budget: BudgetOption = None,
) -> None:
    """Rolling-origin backtest: MAE, RMSE, MAPE, sMAPE and MASE per model and per series."""
    from opscast.forecasting import backtest

    settings = _load_settings()
    frame = _read_series(input_path)
    models = model or ["seasonal_naive", "ets", "theta"]
    with _user_errors(), _steps(f"backtest x {frame['unique_id'].nunique()} series") as report:
        result = backtest(
            frame,
            models,
            horizon,
            n_windows=windows,
            step=step,
            freq=freq,
            seasons=season_length or (),
            on_step=report,
            time_budget=time_budget,
            scheduler=settings.dask_scheduler,
        )
    per_series: dict[str, dict[str, dict[str, float | None]]] = {}
    for row in result.per_series.to_dict("records"):
        per_series.setdefault(str(row["unique_id"]), {})[str(row["model"])] = {
            str(name): _finite_or_none(value)
            for name, value in row.items()
            if name not in {"unique_id", "model"}
        }
    overall = {
        name: {metric: _finite_or_none(value) for metric, value in scores.items()}
        for name, scores in result.overall.items()
    }
    summary = {
        "horizon": horizon,
        "windows": windows,
        "step": step or horizon,
        "freq": str(result.spec.freq),
        "season_length": result.spec.season_length,
        "models": overall,
        "per_series": per_series,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(summary, indent=2, allow_nan=False))
    for name, model_scores in result.overall.items():
        typer.echo(
            f"{name:>18}  "
            + "  ".join(f"{metric} {value:.3f}" for metric, value in model_scores.items()),
            err=True,
        )


# --- tickets and servers -------------------------------------------------------------

tickets_app = typer.Typer(
    help="Tickets: classify a text, retrain the classifier.", no_args_is_help=True
)
app.add_typer(tickets_app, name="tickets")


def _demo_operations(database: Database, settings: Settings) -> None:
    """Demo tickets and a simulated fleet, after the demo series."""
    from opscast.demo import load_demo_operations
    from opscast.tickets.service import Scoring

    with _steps("demo tickets and fleet"), database.session() as session:
        outcome = load_demo_operations(session, Scoring.from_settings(settings))
    if outcome.skipped:
        typer.echo("  tickets and servers: present, demo skipped")
    else:
        typer.echo(
            f"  tickets: {outcome.tickets} demo tickets; servers: {outcome.servers}, "
            f"{outcome.server_tickets} failed and opened a ticket"
        )


@tickets_app.command("retrain")
def tickets_retrain() -> None:
    """Retrain the ticket classifier on the generated sample and every corrected ticket.

    The new version serves only if it is not worse on the holdout; the same training as
    `opscast retrain --task tickets`, answered with the classifier's own summary.
    """
    from opscast.db import Database
    from opscast.tickets.service import Scoring, retrain_classifier

    settings = _load_settings()
    database = Database(settings.resolved_database_url)
    database.migrate()
    with _user_errors(), _steps("ticket classifier"), database.session() as session:
        result = retrain_classifier(session, Scoring.from_settings(settings))
    database.dispose()
    typer.echo(result.model_dump_json(indent=2))


@tickets_app.command("analyze")
def tickets_analyze(
    description: Annotated[str, typer.Argument(help="The ticket text.")],
    title: Annotated[str | None, typer.Option(help="The ticket title, if any.")] = None,
) -> None:
    """Classify and prioritise a text (nothing is stored); prints JSON."""
    from pydantic import ValidationError

    from opscast.db import Database
    from opscast.tickets.schemas import AnalyzeIn
    from opscast.tickets.service import Scoring, analyze

    try:
        body = AnalyzeIn(description=description, title=title)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise _fail(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    settings = _load_settings()
    database = Database(settings.resolved_database_url)
    database.migrate()
    with database.session() as session:
        result = analyze(
            session, body.description, Scoring.from_settings(settings), title=body.title
        )
    database.dispose()
    typer.echo(result.model_dump_json(indent=2))


# --- drift -------------------------------------------------------------------------------


def _column_settings(pairs: list[str], option: str) -> dict[str, str]:
    """``COLUMN=VALUE`` pairs; the last '=' splits, so column names may contain one."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        column, sep, value = pair.rpartition("=")
        if not sep or not column or not value:
            raise _fail(f"{option} takes COLUMN=VALUE, got {pair!r}")
        parsed[column] = value
    return parsed


@app.command("drift")
def drift_command(
    reference_path: Annotated[
        Path, typer.Option("--reference", "-r", help="CSV of the reference data (training time).")
    ],
    current_path: Annotated[
        Path, typer.Option("--current", "-c", help="CSV of the current data to check.")
    ],
    report: Annotated[
        Path | None, typer.Option(help="HTML report to write (opens offline).")
    ] = None,
    summary: Annotated[
        Path | None, typer.Option(help="JSON summary to write [default: print it].")
    ] = None,
    column: Annotated[
        list[str] | None, typer.Option(help="Column to compare; repeat [default: all].")
    ] = None,
    test: Annotated[
        list[str] | None,
        typer.Option(help="COLUMN=TEST with ks, wasserstein, psi, jensen_shannon, chi_square."),
    ] = None,
    threshold: Annotated[
        list[str] | None,
        typer.Option(help="COLUMN=VALUE: p-value (ks, chi_square) or distance to drift at."),
    ] = None,
    drift_share: Annotated[
        float, typer.Option(min=0, max=1, help="Share of drifted columns that is dataset drift.")
    ] = 0.5,
    store: Annotated[
        bool, typer.Option(help="Also store the report in the database (GET /drift/reports).")
    ] = False,
    fail_on_drift: Annotated[
        bool, typer.Option(help="Exit with code 1 when the data set drifted (for CI jobs).")
    ] = False,
) -> None:
    """Data drift per column between two CSVs, with the test chosen by column type and size."""
    from opscast.drift import TEST_NAMES, ColumnOverride
    from opscast.observability import configure_logging

    settings = _load_settings()
    configure_logging(settings.log_level, settings.log_format)
    reference = _read_table(reference_path, "reference")
    current = _read_table(current_path, "current")
    tests = _column_settings(test or [], "--test")
    for column_name, name in tests.items():
        if name not in TEST_NAMES:
            raise _fail(f"unknown test {name!r} for {column_name}; use {', '.join(TEST_NAMES)}")
    thresholds: dict[str, float] = {}
    for column_name, value in _column_settings(threshold or [], "--threshold").items():
        try:
            thresholds[column_name] = float(value)
        except ValueError:
            raise _fail(f"--threshold {column_name}={value}: not a number") from None
    overrides = {
        name: ColumnOverride(test=tests.get(name), threshold=thresholds.get(name))  # type: ignore[arg-type]
        for name in {*tests, *thresholds}
    }
    title = f"Data drift: {current_path.name} against {reference_path.name}"
    with _user_errors(), _steps(f"drift x {len(column or reference.columns)} columns") as step:
        result = _run_drift_check(
            reference, current, column, overrides, drift_share, title, report, store, step, settings
        )
    payload = json.dumps(result.summary(), indent=2, allow_nan=False)
    if summary is not None:
        summary.parent.mkdir(parents=True, exist_ok=True)
        summary.write_text(payload)
    else:
        typer.echo(payload)
    drifted = ", ".join(result.drifted_columns) or "none"
    typer.echo(
        f"{'drift' if result.dataset_drift else 'no drift'}: {len(result.drifted_columns)} of "
        f"{len(result.columns)} columns drifted (share {result.share_drifted:.2f}, dataset "
        f"drift at >= {result.drift_share:.2f}); drifted: {drifted}",
        err=True,
    )
    if fail_on_drift and result.dataset_drift:
        raise typer.Exit(code=1)


def _run_drift_check(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: list[str] | None,
    overrides: dict[str, Any],
    drift_share: float,
    title: str,
    report: Path | None,
    store: bool,
    step: Callable[[str], None],
    settings: Settings,
) -> DataDriftResult:
    from opscast.drift import service

    check = service.check_data_drift(
        reference,
        current,
        columns=columns,
        overrides=overrides,
        drift_share=drift_share,
        title=title,
        on_step=step,
    )
    if report is not None:
        step("writing the report")
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(check.html(), encoding="utf-8")
    stored = None
    if store:
        from opscast.db import Database

        step("storing the report")
        database = Database(settings.resolved_database_url)
        database.migrate()
        with database.session() as session:
            stored = service.store_data_report(session, check, source="cli")
        database.dispose()
    result = check.result
    service.record_check(
        "dataset", result.dataset_drift, stored, drifted_columns=result.drifted_columns
    )
    return result


# -- incidents ------------------------------------------------------------------------

incidents_app = typer.Typer(
    help="ITSM incident counts per category: import exports, train, forecast.",
    no_args_is_help=True,
)
app.add_typer(incidents_app, name="incidents")


@incidents_app.command("import")
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

    from opscast.db import Database
    from opscast.incidents.service import import_file

    if not path.is_file():
        raise _fail(f"no such file: {path}")
    overrides = {}
    for pair in column or []:
        key, sep, value = pair.partition("=")
        if not sep or not key or not value:
            raise _fail(f"--column {pair!r} is not KEY=COLUMN (e.g. category=CI_Cat)")
        overrides[key.strip()] = value
    try:
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else None
    except ValueError as exc:
        raise _fail(f"--start/--end: {exc}") from None
    settings = _load_settings()
    database = Database(settings.resolved_database_url)
    database.migrate()
    with _user_errors(), _steps(f"importing {path.name}"), database.session() as session:
        result = import_file(
            session, path, layout=layout, overrides=overrides, start=first, end=last
        )
    database.dispose()
    typer.echo(json.dumps(result.model_dump()))


@incidents_app.command("train")
def incidents_train(
    category: Annotated[
        list[str] | None, typer.Option(help="Only this category; repeat for several.")
    ] = None,
) -> None:
    """Train the incident models that have no champion yet (what the service does on start)."""
    from opscast.db import Database
    from opscast.errors import InvalidInputError
    from opscast.incidents.service import KIND, IncidentForecaster, newest_day, task_name
    from opscast.incidents.training import GRANULARITIES
    from opscast.observability import configure_logging
    from opscast.registry import ModelStore
    from opscast.series.service import list_series

    settings = _load_settings()
    configure_logging(settings.log_level, settings.log_format)
    database = Database(settings.resolved_database_url)
    database.migrate()
    forecaster = IncidentForecaster(ModelStore.from_settings(settings))
    with database.session() as session:
        known = [stats.series.unique_id for stats in list_series(session, KIND)]
    unknown = sorted(set(category or []) - set(known))
    if unknown:
        raise _fail(
            f"no incident category {', '.join(unknown)}; known: {', '.join(known) or 'none'}"
        )
    summary: dict[str, list[str]] = {"ready": [], "too_short": []}
    with _user_errors(), _steps("training incident models") as step:
        for name in category or known:
            for granularity in GRANULARITIES:
                task = task_name(name, granularity)
                step(task)
                with database.session() as session:
                    try:
                        forecaster.champion(session, name, granularity, newest_day(session, name))
                        summary["ready"].append(task)
                    except InvalidInputError:
                        summary["too_short"].append(task)
    database.dispose()
    typer.echo(json.dumps(summary))


@incidents_app.command("forecast")
def incidents_forecast(
    category: Annotated[str, typer.Option(help="Incident category, e.g. Software.")],
    granularity: Annotated[str, typer.Option(help="daily, weekly, monthly or quarterly.")],
    periods: Annotated[int, typer.Option(min=1, help="How many periods ahead.")],
) -> None:
    """Print the reconciled forecast as JSON, as POST /forecast answers it."""
    from opscast.db import Database
    from opscast.incidents.schemas import ForecastResponse
    from opscast.incidents.service import IncidentForecaster
    from opscast.observability import configure_logging
    from opscast.registry import ModelStore
    from opscast.timeseries import Granularity

    if granularity not in {"daily", "weekly", "monthly", "quarterly"}:
        raise _fail(f"--granularity {granularity!r}: use daily, weekly, monthly or quarterly")
    settings = _load_settings()
    configure_logging(settings.log_level, settings.log_format)
    database = Database(settings.resolved_database_url)
    database.migrate()
    forecaster = IncidentForecaster(ModelStore.from_settings(settings))
    with _user_errors(), _steps(f"{category} {granularity}"), database.session() as session:
        result = forecaster.forecast(session, category, Granularity(granularity), periods)
    database.dispose()
    typer.echo(ForecastResponse.of(result).model_dump_json())


anomaly_app = typer.Typer(help="Score metrics for anomalies.", no_args_is_help=True)
app.add_typer(anomaly_app, name="anomaly")
app.add_typer(keys_app, name="keys")


@anomaly_app.command("score")
def anomaly_score_command(
    input_path: Annotated[
        Path,
        typer.Option("--input", "-i", help="CSV: timestamp,value or long format unique_id,ds,y."),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV to write.")],
    detector: Annotated[
        str,
        typer.Option(
            help="robust, isolation_forest, half_space_trees, ensemble or windowed_gaussian."
        ),
    ] = "robust",
    threshold: Annotated[
        float | None,
        typer.Option(
            min=0.0, max=1.0, help="Flag scores at or above this [default: per detector]."
        ),
    ] = None,
    explain: Annotated[
        bool, typer.Option(help="Add the features that drove each flagged point.")
    ] = True,
) -> None:
    """Add anomaly_score (causal, in [0, 1]) and is_anomaly to every row of a CSV."""
    from opscast.anomaly.scoring import score_frame

    frame = _read_table(input_path, "input")
    with _user_errors(), _steps(f"{detector} over {len(frame):,} points") as step:
        scored = score_frame(
            frame, detector=detector, threshold=threshold, explain=explain, on_series=step
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    from opscast.csv_export import write_csv

    write_csv(scored, output)
    typer.echo(
        f"wrote {len(scored):,} rows to {output}; {int(scored['is_anomaly'].sum()):,} flagged",
        err=True,
    )


def main() -> None:
    app()
