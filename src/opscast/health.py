"""Health of the parts opscast depends on, each reported separately.

A component answers ``ok``, ``error`` (with the reason), ``training`` while models
are still being trained in the background or, for an optional part that is not
configured, ``embedded``; the overall status is ``ok`` only when none is
in error, so a load balancer can route on it while a person can see which part failed.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel

from opscast.config import Settings
from opscast.db import Database
from opscast.jobs.repository import JobRepository
from opscast.jobs.runner import JobRunner

ComponentState = Literal["ok", "embedded", "training", "error"]
CONNECT_TIMEOUT_SECONDS = 1.0


class ComponentHealth(BaseModel):
    status: ComponentState
    kind: str
    detail: str | None = None


class Health(BaseModel):
    status: Literal["ok", "error"]
    version: str
    components: dict[str, ComponentHealth]


def _tcp_reachable(url: str, default_port: int) -> str | None:
    """None when a TCP connection opens, else the reason; enough to tell 'down' from 'up'."""
    parts = urlsplit(url)
    host = parts.hostname or "127.0.0.1"
    try:
        port = parts.port or default_port
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_SECONDS):
            return None
    except (OSError, ValueError) as exc:
        return f"cannot reach {host}: {exc}"


def database_health(database: Database) -> ComponentHealth:
    try:
        database.ping()
        current, head = database.current_revision(), database.head_revision()
    except Exception as exc:  # any driver error means the database is unusable
        return ComponentHealth(
            status="error", kind=database.dialect, detail=str(exc).splitlines()[0]
        )
    if current != head:
        return ComponentHealth(
            status="error",
            kind=database.dialect,
            detail=f"schema at {current}, code expects {head}; restart to migrate",
        )
    return ComponentHealth(status="ok", kind=database.dialect, detail=f"schema {current}")


BROKER_PORTS = {"redis": 6379, "nats": 4222, "amqp": 5672, "kafka": 9092, "mqtt": 1883}


def broker_health(settings: Settings, connected: bool | None = None) -> ComponentHealth:
    """``connected`` is whether the stream's own client answers a ping (None: not asked)."""
    if not settings.broker_url:
        return ComponentHealth(status="embedded", kind="in-memory")
    scheme = urlsplit(settings.broker_url).scheme
    error = _tcp_reachable(settings.broker_url, BROKER_PORTS.get(scheme, 0))
    if error is None and connected is False:
        error = "the port answers but opscast's stream client is not connected; see the log"
    return ComponentHealth(status="error" if error else "ok", kind=scheme, detail=error)


def model_store_health(settings: Settings) -> ComponentHealth:
    uri = settings.resolved_mlflow_uri
    if settings.mlflow_uri and uri.startswith(("http://", "https://")):
        error = _tcp_reachable(uri, 443 if uri.startswith("https") else 80)
        return ComponentHealth(status="error" if error else "ok", kind="mlflow", detail=error)
    store_dir = Path(settings.var_dir)
    try:
        store_dir.mkdir(parents=True, exist_ok=True)
        probe = store_dir / ".write-probe"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return ComponentHealth(status="error", kind="mlflow-local", detail=str(exc))
    return ComponentHealth(status="embedded", kind="mlflow-local", detail=uri)


def jobs_health(settings: Settings, database: Database, runner: JobRunner) -> ComponentHealth:
    try:
        with database.session() as session:
            counts = JobRepository(session).count_by_status()
    except Exception as exc:  # reported by the database component too
        return ComponentHealth(status="error", kind="jobs", detail=str(exc).splitlines()[0])
    detail = f"{counts.get('queued', 0)} queued, {counts.get('running', 0)} running"
    if not settings.run_jobs:
        return ComponentHealth(status="ok", kind="external-workers", detail=detail)
    if not runner.alive:
        return ComponentHealth(status="error", kind="in-process", detail="job runner stopped")
    return ComponentHealth(status="ok", kind="in-process", detail=detail)


def check_health(
    settings: Settings,
    database: Database,
    version: str,
    jobs: JobRunner | None = None,
    extra: Mapping[str, ComponentHealth] | None = None,
    broker_connected: bool | None = None,
) -> Health:
    components = {
        "database": database_health(database),
        "broker": broker_health(settings, broker_connected),
        "model_store": model_store_health(settings),
        **(extra or {}),
    }
    if jobs is not None:
        components["jobs"] = jobs_health(settings, database, jobs)
    failed = any(component.status == "error" for component in components.values())
    return Health(status="error" if failed else "ok", version=version, components=components)
