"""The ``opscast`` command: the root app and where every command and sub-app is registered.

One module per domain under ``opscast.cli``; each imports its heavy libraries inside its
commands so ``opscast --help`` answers at once. A new group of commands is a module with
its own ``app = typer.Typer(...)`` and one ``app.add_typer(...)`` line below.
"""

from __future__ import annotations

from typing import Annotated

import typer

from opscast import __version__
from opscast.cli import (
    alerts,
    anomaly,
    demand,
    drift,
    forecasting,
    incidents,
    jobs,
    keys,
    scaling,
    system,
    tickets,
)

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


# Top-level commands, in the order `opscast --help` lists them.
app.command()(system.serve)
app.command()(system.demo)
app.command()(system.migrate)
app.command()(jobs.retrain)
app.command()(jobs.worker)
app.command("forecast")(forecasting.forecast_command)
app.command("backtest")(forecasting.backtest_command)
app.command("drift")(drift.drift_command)

# Groups of commands, one Typer sub-app per domain.
app.add_typer(tickets.app, name="tickets")
app.add_typer(incidents.app, name="incidents")
app.add_typer(anomaly.app, name="anomaly")
app.add_typer(scaling.app, name="scale")
app.add_typer(demand.app, name="demand")
app.add_typer(alerts.app, name="alerts")
app.add_typer(keys.app, name="keys")


def main() -> None:
    app()
