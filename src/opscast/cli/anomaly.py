"""``opscast anomaly``: score a CSV of metrics for anomalies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from opscast.cli.common import read_table, steps, user_errors

app = typer.Typer(help="Score metrics for anomalies.", no_args_is_help=True)


@app.command("score")
def anomaly_score_command(
    input_path: Annotated[
        Path,
        typer.Option("--input", "-i", help="CSV: timestamp,value or long format unique_id,ds,y."),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV to write.")],
    detector: Annotated[
        str,
        typer.Option(
            help="novelty, robust, isolation_forest, half_space_trees, ensemble or"
            " windowed_gaussian."
        ),
    ] = "novelty",
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

    frame = read_table(input_path, "input")
    with user_errors(), steps(f"{detector} over {len(frame):,} points") as step:
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
