"""``opscast drift``: data drift between two CSV files.

A file-to-file check loads neither storage nor the drift service; only ``--store`` does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from opscast.cli.common import fail, load_settings, open_database, read_table, steps, user_errors

if TYPE_CHECKING:
    import pandas as pd

    from opscast.config import Settings
    from opscast.drift import DataDriftResult


def _column_settings(pairs: list[str], option: str) -> dict[str, str]:
    """``COLUMN=VALUE`` pairs; the last '=' splits, so column names may contain one."""
    parsed: dict[str, str] = {}
    for pair in pairs:
        column, sep, value = pair.rpartition("=")
        if not sep or not column or not value:
            raise fail(f"{option} takes COLUMN=VALUE, got {pair!r}")
        parsed[column] = value
    return parsed


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

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    reference = read_table(reference_path, "reference")
    current = read_table(current_path, "current")
    tests = _column_settings(test or [], "--test")
    for column_name, name in tests.items():
        if name not in TEST_NAMES:
            raise fail(f"unknown test {name!r} for {column_name}; use {', '.join(TEST_NAMES)}")
    thresholds: dict[str, float] = {}
    for column_name, value in _column_settings(threshold or [], "--threshold").items():
        try:
            thresholds[column_name] = float(value)
        except ValueError:
            raise fail(f"--threshold {column_name}={value}: not a number") from None
    overrides = {
        name: ColumnOverride(test=tests.get(name), threshold=thresholds.get(name))  # type: ignore[arg-type]
        for name in {*tests, *thresholds}
    }
    title = f"Data drift: {current_path.name} against {reference_path.name}"
    with user_errors(), steps(f"drift x {len(column or reference.columns)} columns") as step:
        result = _run_drift_check(
            reference, current, column, overrides, drift_share, title, report, store, step, settings
        )
    payload = json.dumps(result.summary(), indent=2, allow_nan=False)
    if summary is not None:
        from opscast.atomic_files import write_atomically

        with user_errors():
            write_atomically(summary, payload)
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
    from opscast.drift.check import check_data_drift
    from opscast.drift_checks.record import record_check

    check = check_data_drift(
        reference,
        current,
        columns=columns,
        overrides=overrides,
        drift_share=drift_share,
        title=title,
        on_step=step,
    )
    if report is not None:
        from opscast.atomic_files import write_atomically

        step("writing the report")
        write_atomically(report, check.html())
    stored = None
    if store:
        from opscast.drift_checks import service

        step("storing the report")
        with open_database(settings) as database, database.session() as session:
            stored = service.store_data_report(session, check, source="cli")
    result = check.result
    record_check("dataset", result.dataset_drift, stored, drifted_columns=result.drifted_columns)
    return result
