"""Gunicorn settings for serving opscast under gunicorn's process manager.

    gunicorn -c python:opscast.gunicorn_conf 'opscast.api.app:create_app()'

Gunicorn restarts crashed workers and reloads them gracefully on SIGHUP; the address
and worker count come from the same ``OPSCAST_*`` variables as ``opscast serve``, and
the hooks keep the Prometheus metrics summed over the workers (see ``serving.py``).
Needs the ``gunicorn`` extra.
"""

from __future__ import annotations

from typing import Any

from opscast.config import get_settings
from opscast.serving import prepare_workers, start_metrics_server, worker_exited

_settings = get_settings()

bind = [f"{_settings.host}:{_settings.port}"]
workers = _settings.workers
worker_class = "uvicorn_worker.UvicornWorker"
# Forecasting and retraining requests legitimately take longer than gunicorn's 30 s default.
timeout = 120
graceful_timeout = 30
keepalive = _settings.keep_alive_seconds


def on_starting(_server: Any) -> None:
    """In the master, before any worker exists."""
    prepare_workers(_settings)


def when_ready(_server: Any) -> None:
    """In the master, once it listens: the metrics port outlives worker restarts."""
    if _settings.metrics_port:
        start_metrics_server(_settings.host, _settings.metrics_port)


def child_exit(_server: Any, worker: Any) -> None:
    worker_exited(worker.pid)
