"""``opscast scale``: compare scaling policies over a traffic CSV from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Scaling decisions and their cost.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    return typer.Exit(code=2)


@app.command("simulate")
def simulate_command(
    input_path: Annotated[
        Path,
        typer.Option(
            "--input",
            "-i",
            help="CSV with timestamp and requests_count (or ds and y); is_burst and "
            "is_event are used when present.",
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the comparison (JSON).")
    ],
    chart: Annotated[
        Path | None, typer.Option(help="Also write an HTML chart of load, capacity, replicas.")
    ] = None,
    png: Annotated[Path | None, typer.Option(help="Also write the chart as PNG.")] = None,
    timeframe: Annotated[
        str | None, typer.Option(help="1m, 5m, 15m, 1h or 1d; inferred from the rows if omitted.")
    ] = None,
    min_replicas: Annotated[int, typer.Option(min=1)] = 1,
    max_replicas: Annotated[int, typer.Option(min=1)] = 50,
    capacity: Annotated[
        float, typer.Option(help="Requests per second one replica serves at 100 %.")
    ] = 1.0,
    target_utilization: Annotated[float, typer.Option(help="HPA target, 0 to 1.")] = 0.7,
    price: Annotated[float, typer.Option(help="Price per replica-hour.")] = 0.10,
    provisioning_delay: Annotated[
        float, typer.Option(help="Seconds before a new replica serves.")
    ] = 120.0,
    forecast_only: Annotated[
        bool, typer.Option(help="The predictive policy only recommends; the HPA acts.")
    ] = False,
) -> None:
    """Reactive HPA vs predictive vs perfect-foresight oracle over a traffic CSV."""
    from pydantic import ValidationError
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from opscast.capacity.chart import write_html, write_png
    from opscast.capacity.schemas import ScalingTimeframe, SimulateRequest
    from opscast.capacity.service import infer_timeframe, parse_scaling_csv, simulate
    from opscast.errors import OpscastError
    from opscast.scaling import STAGES, PredictiveMode

    known = [t.value for t in ScalingTimeframe]
    if timeframe is not None and timeframe not in known:
        raise _fail(f"unknown timeframe {timeframe!r}; use one of {', '.join(known)}")
    mode = PredictiveMode.forecast_only if forecast_only else PredictiveMode.forecast_and_scale
    if not input_path.is_file():
        raise _fail(f"no file {input_path}; pass a traffic CSV with --input")
    console = Console(stderr=True)
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    )
    steps = ["read", *STAGES, "write"]
    try:
        with progress:
            task = progress.add_task("read", total=len(steps))

            def advance(stage: str) -> None:
                progress.update(task, description=stage, completed=steps.index(stage))

            points = parse_scaling_csv(input_path.read_bytes())
            request = SimulateRequest(
                data=points,
                timeframe=ScalingTimeframe(timeframe) if timeframe else infer_timeframe(points),
                min_replicas=min_replicas,
                max_replicas=max_replicas,
                capacity_per_replica=capacity,
                target_utilization=target_utilization,
                price_per_replica_hour=price,
                provisioning_delay=provisioning_delay,
                mode=mode,
            )
            result = simulate(request, progress=advance)
            advance("write")
            output.write_text(result.model_dump_json(indent=2), encoding="utf-8")
            if chart:
                write_html(result, chart)
            if png:
                write_png(result, png)
            progress.update(task, completed=len(steps), description="done")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise _fail(f"{where}: {first['msg']}") from None
    except OpscastError as exc:
        raise _fail(exc.message) from None
    policies = result.policies
    for name, outcome in policies.items():
        typer.echo(
            f"{name:<10} cost {outcome.cost:>12,.2f}  replica-hours {outcome.replica_hours:>10,.1f}"
            f"  out of SLA {outcome.sla_violation_minutes:>8,.1f} min"
            f"  unserved {outcome.unserved_share:.3%}"
        )
    gap = result.gap_closed
    typer.echo(
        f"savings {result.savings.cost:,.2f}; at equal SLA "
        f"{'n/a' if result.savings.at_equal_sla is None else f'{result.savings.at_equal_sla:,.2f}'}"
        f"; gap closed: SLA {_share(gap.sla)}, cost {_share(gap.cost)}"
    )
    typer.echo(f"wrote {output}" + (f", {chart}" if chart else "") + (f", {png}" if png else ""))


def _share(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"
