"""Running opscast and the monitoring tools as real processes, for the deployment tests.

The deployment files are checked with the tools that consume them (promtool, amtool,
prometheus, docker compose, hadolint, actionlint); a missing tool skips its tests with
the reason outside CI and fails them under CI=true, like any other real dependency.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import require_service

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))
STARTUP_SECONDS = 120


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        require_service(name, f"install {package}")
    assert path is not None
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http_get(url: str, timeout: float = 5) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as reply:
        body: bytes = reply.read()
        return body


def http_json(url: str) -> Any:
    return json.loads(http_get(url))


def wait_for(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until the URL answers 2xx; the process's log in the failure if it exits or stalls."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            http_get(url, timeout=2)
            return
        except (OSError, urllib.error.HTTPError):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{url} did not answer:\n{log.read_text()[-4000:]}")
            time.sleep(0.3)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@dataclass(frozen=True)
class Server:
    """A running opscast: API and metrics ports, and its metric files."""

    api: str
    metrics: str
    metrics_port: int
    multiproc_dir: Path
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def running_opscast(command: list[str], var_dir: Path, **env: str) -> Iterator[Server]:
    """opscast under ``command`` (the CLI or gunicorn) on free loopback ports."""
    port, metrics_port = free_port(), free_port()
    environment = {
        **os.environ,
        "OPSCAST_VAR_DIR": str(var_dir),
        "OPSCAST_HOST": "127.0.0.1",
        "OPSCAST_PORT": str(port),
        "OPSCAST_METRICS_PORT": str(metrics_port),
        "OPSCAST_LOG_LEVEL": "WARNING",
        **env,
    }
    log = var_dir.parent / "opscast.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=environment, stdout=output, stderr=subprocess.STDOUT, cwd=var_dir.parent
        )
    server = Server(
        api=f"http://127.0.0.1:{port}",
        metrics=f"http://127.0.0.1:{metrics_port}/metrics",
        metrics_port=metrics_port,
        multiproc_dir=var_dir / "prometheus-multiproc",
        process=process,
        log=log,
    )
    try:
        wait_for(f"{server.api}/health", process, log)
        wait_for(server.metrics, process, log)
        yield server
    finally:
        stop(process)


def rules() -> list[dict[str, Any]]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def dashboard_exprs() -> list[tuple[str, str]]:
    found = []
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            found += [(f"{path.stem}: {panel['title']}", t["expr"]) for t in panel["targets"]]
    return found


def all_promql() -> list[tuple[str, str]]:
    """Every PromQL expression the stack evaluates: recording and alerting rules, panels."""
    named = [(rule.get("record") or rule["alert"], rule["expr"]) for rule in rules()]
    return named + dashboard_exprs()
