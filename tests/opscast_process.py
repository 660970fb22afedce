"""opscast as a real process on free loopback ports, for the tests that talk to it over HTTP.

The deployment checks scrape it with a real Prometheus; the browser tests open its pages
in Chromium. Both need the server exactly as ``make run`` or a container starts it.
"""

from __future__ import annotations

import json
import os
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

STARTUP_SECONDS = 120


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
def running_opscast(
    command: list[str], var_dir: Path, *, demo: bool = False, **env: str
) -> Iterator[Server]:
    """opscast under ``command`` (the CLI or gunicorn) on free loopback ports.

    ``demo`` loads the demo data sets first, as ``make run`` does.
    """
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
        if demo:
            loaded = subprocess.run(
                [sys.executable, "-m", "opscast", "demo"],
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=var_dir.parent,
                check=False,
            )
            if loaded.returncode:
                pytest.fail(f"opscast demo failed:\n{log.read_text()[-4000:]}")
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
