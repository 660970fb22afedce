"""What every command shares: settings, one-line errors, progress, CSV input and the
database a command opens and closes.

Heavy libraries are imported inside the functions that need them so that ``opscast
--help`` answers at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

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


class Step(Protocol):
    def __call__(self, step: str, done: float | None = None, /) -> None: ...


@contextmanager
def steps(title: str) -> Iterator[Step]:
    """The current step and elapsed time on stderr; a bar once a step says how much is done.

    The callback takes the step's text and, when the command knows it, the fraction done
    (0 to 1): a spinner alone for work of unknown length, a bar and a percentage for work
    that counts (boosting rounds, stages of a pipeline).
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    with progress:
        task = progress.add_task(title, total=None)

        def report(step: str, done: float | None = None, /) -> None:
            if done is None:
                progress.update(task, description=f"{title}: {step}")
            else:
                progress.update(task, description=f"{title}: {step}", total=1.0, completed=done)

        yield report


@contextmanager
def open_services(settings: Settings) -> Iterator[Services]:
    """The long-lived objects of a command, wired as the server wires them (no stream)."""
    from opscast.dependencies import build_services

    with open_database(settings) as database:
        yield build_services(settings, database)
