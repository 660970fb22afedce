"""``opscast forecast`` and ``opscast backtest``: the forecasting kernel on CSV files."""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Annotated

import typer

from opscast.cli.common import load_settings, read_series, steps, user_errors

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
JobsOption = Annotated[
    int | None,
    typer.Option(
        help="Worker processes for per-series models: 0 for every core, -1 all but one "
        "[default: OPSCAST_FORECAST_JOBS, every core].",
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
    jobs: JobsOption = None,
) -> None:
    """Forecast every series of a CSV; writes unique_id, ds, <model> and -lo-L/-hi-L columns.

    Local models run on the Dask cluster at OPSCAST_DASK_SCHEDULER when it is set.
    """
    from opscast.forecasting import forecast

    settings = load_settings()
    frame = read_series(input_path)
    with user_errors(), steps(f"{model} x {frame['unique_id'].nunique()} series") as step:
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
            jobs=settings.forecast_jobs if jobs is None else jobs,
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
    jobs: JobsOption = None,
) -> None:
    """Rolling-origin backtest: MAE, RMSE, MAPE, sMAPE and MASE per model and per series."""
    from opscast.forecasting import backtest

    settings = load_settings()
    frame = read_series(input_path)
    models = model or ["seasonal_naive", "ets", "theta"]
    with user_errors(), steps(f"backtest x {frame['unique_id'].nunique()} series") as report:
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
            jobs=settings.forecast_jobs if jobs is None else jobs,
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
