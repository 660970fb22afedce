"""What every command shares: settings, one-line errors, progress, CSV input and the
database a command opens and closes.

Heavy libraries are imported inside the functions that need them so that ``opscast
--help`` answers at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    import pandas as pd

    from opscast.config import Settings
    from opscast.db import Database
    from opscast.dependencies import Services


def fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


def load_settings(**overrides: object) -> Settings:
    """Environment settings with command-line overrides, or a one-line reason to stop."""
    from pydantic import ValidationError

    from opscast.config import Settings

    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise fail(f"configuration {where}: {first['msg']}".replace(" : ", ": ")) from None


@contextmanager
def open_database(settings: Settings) -> Iterator[Database]:
    """The database of a command, migrated before use and disposed of after, whatever happens.

    The command-line side of the composition root: no command opens or closes one itself.
    """
    from opscast.db import Database

    database = Database.from_settings(settings)
    try:
        database.migrate()
        yield database
    finally:
        database.dispose()


def read_series(path: Path) -> pd.DataFrame:
    """A long-format CSV (``unique_id``, ``ds``, ``y``); one unnamed series is allowed."""
    frame = read_table(path, "input", allow_empty=True)
    if "unique_id" not in frame.columns and {"ds", "y"} <= set(frame.columns):
        frame.insert(0, "unique_id", path.stem)
    return frame


def read_table(path: Path, role: str, *, allow_empty: bool = False) -> pd.DataFrame:
    """Any CSV with a header row, or a one-line reason naming the file."""
    import pandas as pd

    if not path.is_file():
        raise fail(f"no such {role} file: {path}")
    try:
        frame = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise fail(f"{path} is not a readable CSV: {exc}") from None
    if frame.empty and not allow_empty:
        raise fail(f"the {role} file {path} has no rows")
    return frame


@contextmanager
def user_errors() -> Iterator[None]:
    """Errors a user can fix become one line and exit code 2; anything else stays a traceback."""
    from opscast.errors import OpscastError
    from opscast.forecasting import ForecastingError
    from opscast.timeseries import FrameValidationError

    try:
        yield
    except (ForecastingError, FrameValidationError, OpscastError) as exc:
        raise fail(str(exc)) from None


@contextmanager
def steps(title: str) -> Iterator[Callable[[str], None]]:
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


@contextmanager
def open_services(settings: Settings) -> Iterator[Services]:
    """The long-lived objects of a command, wired as the server wires them (no stream)."""
    from opscast.dependencies import build_services

    with open_database(settings) as database:
        yield build_services(settings, database)
