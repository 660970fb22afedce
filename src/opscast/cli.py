"""The ``opscast`` command line.

Heavy libraries (pandas, SQLAlchemy, FastAPI) are imported inside the commands that
need them so that ``opscast --help`` answers at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from opscast import __version__

if TYPE_CHECKING:
    from opscast.config import Settings

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
) -> None:
    """Run the whole service: API, dashboard and embedded parts."""
    import uvicorn

    from opscast.api.app import create_app

    settings = _load_settings(host=host, port=port)
    uvicorn.run(
        create_app(settings),
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


def main() -> None:
    app()
