"""Schemathesis against the full OpenAPI schema of a running opscast, auth off and on.

Every operation is fuzzed from its schema, with the checks that hold today: no 5xx, only
documented status codes and content types, and (auth on) no operation answering without
a key, and every response conforms to its documented schema (times included: they are
served in UTC with an offset). One check is left out, for a reason the API cannot fix in
its schema: ``positive_data_acceptance`` (a schema-valid body may still name an unknown
category: a documented 404). The run is bounded by a fixed seed and a small number of
examples per operation, so it fits in CI.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import opscast
from opscast_process import running_opscast

ADMIN = "fuzz-admin-" + "k" * 24
EXCLUDED = "positive_data_acceptance"
EXAMPLES = os.environ.get("OPSCAST_FUZZ_EXAMPLES", "3")


def schemathesis_binary() -> str:
    found = shutil.which("st", path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip("schemathesis is not installed (make install-dev)")
    return found


def fuzz(api: str, headers: list[str], report: Path, examples: str = EXAMPLES) -> None:
    command = [
        schemathesis_binary(),
        "run",
        f"{api}/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        EXCLUDED,
        "--phases",
        "examples,fuzzing",
        "-n",
        examples,
        "--seed",
        "19",
        "--request-timeout",
        "180",
        # the first request of a model trains it: slow on a busy machine, never a failure
        "--max-response-time",
        "180",
        "--wait-for-schema",
        "60",
        "--report-junit-path",
        str(report),
        *[part for header in headers for part in ("-H", header)],
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]


def create_key(var_dir: Path, role: str) -> str:
    made = subprocess.run(
        [sys.executable, "-m", "opscast", "keys", "create", f"fuzz-{role}", "--role", role],
        env={**os.environ, "OPSCAST_VAR_DIR": str(var_dir), "PYTHONPATH": SOURCES},
        capture_output=True,
        text=True,
        check=True,
    )
    return made.stdout.strip().splitlines()[0]


# The server runs from a scratch directory: point it at this checkout's sources, whatever
# a relative PYTHONPATH said.
SOURCES = str(Path(opscast.__file__).resolve().parents[1])
SERVER_ENV = {
    "OPSCAST_TRAIN_ON_START": "false",
    "OPSCAST_RATE_LIMIT_PER_MINUTE": "0",
    "PYTHONPATH": SOURCES,
}


@pytest.mark.slow
def test_no_operation_misbehaves_with_auth_off(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    with running_opscast([sys.executable, "-m", "opscast", "serve"], var_dir, **SERVER_ENV) as s:
        fuzz(s.api, [], tmp_path / "off.xml")


@pytest.mark.slow
@pytest.mark.parametrize("role", ["viewer", "operator", "admin"])
def test_no_operation_misbehaves_with_a_key_of_each_role(tmp_path: Path, role: str) -> None:
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    key = ADMIN if role == "admin" else create_key(var_dir, role)
    with running_opscast(
        [sys.executable, "-m", "opscast", "serve"],
        var_dir,
        OPSCAST_API_KEYS=ADMIN,
        **SERVER_ENV,
    ) as server:
        fuzz(server.api, [f"X-API-Key: {key}"], tmp_path / f"{role}.xml", examples="2")
