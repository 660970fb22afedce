"""A short load run on loopback: many clients at once, and not one failed request.

The full run with figures is ``benchmarks/load.py`` (docs/benchmarks.md); this keeps the
property it checks, zero errors under concurrency, in the test suite. Speed is not
asserted here.
"""

from __future__ import annotations

import http.client
import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest

import opscast
from opscast_process import running_opscast

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"
CLIENTS = 64
SECONDS = 3.0


def load_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("opscast_load", BENCHMARKS / "load.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.faults
def test_concurrent_clients_get_no_errors(var_dir: Path, model_store_ready: Path) -> None:
    load = load_module()
    command = [sys.executable, "-m", "opscast", "serve"]
    env = {
        "OPSCAST_TRAIN_ON_START": "false",
        "PYTHONPATH": str(Path(opscast.__file__).parents[1]),
    }
    with running_opscast(command, var_dir, **env) as server:
        load.warm_up(server.api, ["collect", "tickets"])
        for endpoint in ("collect", "tickets"):
            cell = load.run_cell(server.api, endpoint, CLIENTS, SECONDS, server.process.pid)
            assert cell.latencies, f"no request to {endpoint} completed"
            assert not cell.errors, f"{len(cell.errors)} errors on {endpoint}: {cell.errors[:3]}"


UVICORN_KEEP_ALIVE_SECONDS = 5


@pytest.mark.faults
def test_an_idle_connection_outlives_uvicorns_default_keep_alive(var_dir: Path) -> None:
    """A client that is slow to send its next request (a busy client, a proxy pooling
    connections) must not find the connection closed under it: that request would fail.
    """
    command = [sys.executable, "-m", "opscast", "serve"]
    env = {
        "OPSCAST_TRAIN_ON_START": "false",
        "PYTHONPATH": str(Path(opscast.__file__).parents[1]),
    }
    with running_opscast(command, var_dir, **env) as server:
        address = urlsplit(server.api)
        connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
        try:
            for pause in (0, UVICORN_KEEP_ALIVE_SECONDS + 1):
                time.sleep(pause)
                connection.request("GET", "/health")
                response = connection.getresponse()
                response.read()
                assert response.status == 200
                assert not response.will_close
        finally:
            connection.close()
