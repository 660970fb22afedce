"""Settings and set-up of multi-worker serving; the live behaviour is in tests/deploy."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from opscast.cli import app
from opscast.config import Settings
from opscast.serving import MULTIPROC_ENV, prepare_multiprocess_metrics

runner = CliRunner()


def test_serving_defaults_are_one_worker_and_no_metrics_port(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    assert settings.workers == 1
    assert settings.metrics_port is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"workers": 0}, "workers"), ({"metrics_port": 70000}, "metrics_port")],
)
def test_out_of_range_serving_settings_are_refused(
    tmp_path: Path, overrides: dict[str, int], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(var_dir=tmp_path, **overrides)  # type: ignore[arg-type]
    assert refused.value.errors()[0]["loc"] == (field,)


def test_the_metrics_port_must_differ_from_the_api_port(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="OPSCAST_METRICS_PORT=8000 is the API port"):
        Settings(var_dir=tmp_path, port=8000, metrics_port=8000)


def test_serve_refuses_a_metrics_port_equal_to_the_api_port(tmp_path: Path) -> None:
    env = {"OPSCAST_VAR_DIR": str(tmp_path)}
    result = runner.invoke(app, ["serve", "--port", "8123", "--metrics-port", "8123"], env=env)
    assert result.exit_code == 2
    assert "OPSCAST_METRICS_PORT=8123 is the API port" in result.output


def test_serve_says_in_one_line_when_the_metrics_port_is_taken(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"OPSCAST_VAR_DIR": str(tmp_path)}
        result = runner.invoke(app, ["serve", "--metrics-port", str(port)], env=env)
    assert result.exit_code == 2
    assert f"cannot serve metrics on port {port}" in result.output
    assert "Traceback" not in result.output


def test_preparing_workers_empties_the_metric_directory_of_an_earlier_run(tmp_path: Path) -> None:
    """Run where prometheus_client is not imported yet, as in the parent of the workers."""
    stale = tmp_path / "prometheus-multiproc" / "counter_12345.db"
    stale.parent.mkdir()
    stale.write_bytes(b"left by a previous run")
    code = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from opscast.serving import prepare_multiprocess_metrics\n"
        f"path = prepare_multiprocess_metrics(Path({str(tmp_path)!r}))\n"
        "print(os.environ['PROMETHEUS_MULTIPROC_DIR'] == str(path), sorted(os.listdir(path)))\n"
    )
    env = {key: value for key, value in os.environ.items() if key != MULTIPROC_ENV}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["True", "[]"]
    assert not stale.exists()


def test_preparing_after_prometheus_client_was_imported_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Too late: metrics made before the variable existed would never reach the files."""
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    assert "prometheus_client" in sys.modules
    with pytest.raises(RuntimeError, match="before prometheus_client is imported"):
        prepare_multiprocess_metrics(tmp_path)
    assert MULTIPROC_ENV not in os.environ
