"""The ``opscast`` command line.

Heavy libraries (pandas, SQLAlchemy, FastAPI) are imported inside the commands that
need them so that ``opscast --help`` answers at once.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from opscast import __version__

if TYPE_CHECKING:
    import pandas as pd

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


def _read_series(path: Path) -> pd.DataFrame:
    """A long-format CSV (``unique_id``, ``ds``, ``y``); one unnamed series is allowed."""
    import pandas as pd

    if not path.is_file():
        raise _fail(f"no such file: {path}")
    try:
        frame = pd.read_csv(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _fail(f"{path} is not a readable CSV: {exc}") from None
    if "unique_id" not in frame.columns and {"ds", "y"} <= set(frame.columns):
        frame.insert(0, "unique_id", path.stem)
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
    result.forecasts.to_csv(output, index=False)
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


def main() -> None:
    app()
