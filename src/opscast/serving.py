"""Serving from several worker processes, and keeping the Prometheus metrics true across them.

Each worker is a separate interpreter with its own counters; a scrape reaches one worker
at random, so without help it would see a fraction of the traffic that jumps around
between scrapes. prometheus-client's multiprocess mode makes every worker write its
values to memory-mapped files in ``PROMETHEUS_MULTIPROC_DIR``, and ``/metrics`` sums the
files of all workers, live and dead (a counter must not drop when a worker restarts).

The mode is chosen when ``prometheus_client`` is first imported, so the directory is
prepared by the parent (``opscast serve --workers N`` or gunicorn's master) before any
metric exists, and emptied then: values left by an earlier run would be added to this
one's. How each gauge combines across workers is declared with the gauge in
``observability.py``.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from opscast.config import Settings

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def multiprocess_dir(var_dir: Path) -> Path:
    return (var_dir / "prometheus-multiproc").resolve()


def prepare_multiprocess_metrics(var_dir: Path) -> Path:
    """Start every worker on an empty metrics directory; the workers inherit the variable."""
    if "prometheus_client" in sys.modules and MULTIPROC_ENV not in os.environ:
        raise RuntimeError(
            "multiprocess metrics must be prepared before prometheus_client is imported"
        )
    path = multiprocess_dir(var_dir)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    os.environ[MULTIPROC_ENV] = str(path)
    return path


def prepare_workers(settings: Settings) -> None:
    """What the parent does once before forking workers: metrics directory, then schema.

    Workers migrate on start too, but N of them creating a fresh SQLite schema at the
    same moment fail on each other's locks; after this they find it at head.
    """
    prepare_multiprocess_metrics(settings.var_dir)
    from opscast.db import Database

    database = Database(settings.resolved_database_url)
    try:
        database.migrate()
    finally:
        database.dispose()


def multiprocess_enabled() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


def metrics_registry() -> CollectorRegistry:
    """What to expose: the sum of every worker's files, or this process's own metrics."""
    from prometheus_client import REGISTRY, CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    if not multiprocess_enabled():
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return registry


def start_metrics_server(host: str, port: int) -> None:
    """A metrics-only listener (a daemon thread), so scrapes need neither the API port nor a key.

    Started in the parent process, it keeps answering while workers restart.
    """
    from prometheus_client import start_http_server

    start_http_server(port, addr=host, registry=metrics_registry())


def worker_exited(pid: int) -> None:
    """Drop the live-gauge files of a finished worker so they stop counting as current."""
    if not multiprocess_enabled():
        return
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
