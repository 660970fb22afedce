"""The one list of table modules, so Alembic and tests see the whole schema."""

from __future__ import annotations

from importlib import import_module

TABLE_MODULES = (
    "opscast.series.tables",
    "opscast.jobs.tables",
    "opscast.registry.tables",
    "opscast.retraining.tables",
    "opscast.servers.tables",
    "opscast.tickets.tables",
    "opscast.drift_checks.tables",
    "opscast.streaming.tables",
    "opscast.streaming.anomaly_tables",
    "opscast.alerting.tables",
    "opscast.demand.tables",
    "opscast.auth.tables",
)


def import_all_tables() -> None:
    for module in TABLE_MODULES:
        import_module(module)
