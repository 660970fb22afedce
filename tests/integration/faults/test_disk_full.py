"""A full or read-only disk while writing a drift report or registering a model.

As root the directory is a tiny tmpfs filled to the last block (a real ENOSPC; root
ignores permissions); otherwise it is made read-only with chmod. Either way the write
must fail with a clear error, leave no partial file, keep the previous report in place,
and leave the previous champion serving.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import require_service
from opscast.cli import app
from opscast.registry import ModelStore

METRICS = {"mae": 1.0, "rmse": 1.0, "mape": 1.0, "smape": 1.0, "mase": 1.0}
TMPFS_SIZE = "16m"


@pytest.fixture
def failing_disk(tmp_path: Path) -> Iterator[tuple[Path, Callable[[], None]]]:
    """A directory and the function that makes it refuse writes from then on."""
    directory = tmp_path / "disk"
    directory.mkdir()
    if os.geteuid() != 0:
        yield directory, lambda: directory.chmod(0o555)
        directory.chmod(0o755)
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode:
        require_service("a tmpfs to fill", f"mount failed: {mounted.stderr.strip()}")

    def fill() -> None:
        # ENOSPC ends it, on a write or on the final flush: the disk is full, as wanted
        with contextlib.suppress(OSError), (directory / "filler").open("wb") as filler:
            while True:
                filler.write(b"\0" * 65536)
                filler.flush()
                os.fsync(filler.fileno())

    try:
        yield directory, fill
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def files(directory: Path) -> set[Path]:
    return {path for path in directory.rglob("*") if path.is_file() and path.name != "filler"}


@pytest.mark.faults
def test_registering_on_a_failing_disk_keeps_the_champion(
    failing_disk: tuple[Path, Callable[[], None]], tmp_path: Path, mlflow_template: Path
) -> None:
    artifacts, break_disk = failing_disk
    tracking = tmp_path / "mlflow.db"
    shutil.copyfile(mlflow_template, tracking)
    store = ModelStore(f"sqlite:///{tracking}", artifact_dir=artifacts)
    data = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2026-01-01", periods=30), "y": 1.0})
    first = store.register(
        "faults-task",
        {"level": 1.0},
        data=data,
        params={"model": "mean"},
        metrics=METRICS,
        promote=True,
    )
    kept = files(artifacts)
    break_disk()

    # a model too big for what is left, so a full disk fails mid-copy rather than on open
    big = {"level": 2.0, "weights": np.random.default_rng(0).random(600_000)}
    with pytest.raises(OSError, match=r"No space left on device|Permission denied"):
        store.register(
            "faults-task", big, data=data, params={"model": "big"}, metrics=METRICS, promote=True
        )

    assert store.champion_version("faults-task") == first.version
    assert store.champion("faults-task").model == {"level": 1.0}
    assert [version.version for version in store.get_task("faults-task").versions] == [
        first.version
    ]
    assert files(artifacts) == kept, "a partial model file was left behind"


@pytest.mark.faults
def test_a_drift_report_on_a_failing_disk_keeps_the_previous_one(
    failing_disk: tuple[Path, Callable[[], None]], tmp_path: Path
) -> None:
    directory, break_disk = failing_disk
    rng = np.random.default_rng(3)
    reference, current = tmp_path / "reference.csv", tmp_path / "current.csv"
    pd.DataFrame({"latency": rng.normal(100, 5, 500)}).to_csv(reference, index=False)
    pd.DataFrame({"latency": rng.normal(130, 5, 500)}).to_csv(current, index=False)
    report = directory / "report.html"
    command = ["drift", "--reference", str(reference), "--current", str(current)]
    command += ["--report", str(report)]
    env = {"OPSCAST_VAR_DIR": str(tmp_path / "var"), "OPSCAST_LOG_LEVEL": "WARNING"}
    runner = CliRunner()
    first = runner.invoke(app, command, env=env)
    assert first.exit_code == 0, first.output
    previous = report.read_bytes()
    break_disk()

    failed = runner.invoke(app, command, env=env)

    assert failed.exit_code == 2, failed.output
    assert f"cannot write {report}" in failed.output
    assert report.read_bytes() == previous
    assert files(directory) == {report}, "a partial report was left behind"
