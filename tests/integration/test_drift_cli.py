"""`opscast drift`, run as users run it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from opscast.cli import app
from opscast.db import Database
from opscast.drift_checks.repository import DriftReportRepository

runner = CliRunner()


@pytest.fixture
def csvs(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    reference = pd.DataFrame(
        {
            "latency": rng.normal(100, 10, 600),
            "cpu": rng.normal(50, 5, 600),
            "region": rng.choice(["eu", "us"], 600),
        }
    )
    current = pd.DataFrame(
        {
            "latency": rng.normal(130, 10, 400),
            "cpu": rng.normal(50, 5, 400),
            "region": rng.choice(["eu", "us", "ap"], 400),
        }
    )
    paths = tmp_path / "reference.csv", tmp_path / "current.csv"
    reference.to_csv(paths[0], index=False)
    current.to_csv(paths[1], index=False)
    return paths


def env_for(var_dir: Path) -> dict[str, str]:
    return {"OPSCAST_VAR_DIR": str(var_dir), "OPSCAST_LOG_LEVEL": "WARNING"}


def test_summary_and_offline_report(csvs: tuple[Path, Path], tmp_path: Path) -> None:
    reference, current = csvs
    summary, report = tmp_path / "out" / "summary.json", tmp_path / "out" / "report.html"
    result = runner.invoke(
        app,
        [
            *("drift", "--reference", str(reference), "--current", str(current)),
            *("--summary", str(summary), "--report", str(report)),
        ],
        env=env_for(tmp_path / "var"),
    )
    assert result.exit_code == 0, result.output
    body = json.loads(summary.read_text())
    assert body["dataset_drift"] is True
    assert body["share_drifted"] == pytest.approx(2 / 3)
    assert {name: c["test"] for name, c in body["columns"].items()} == {
        "latency": "ks",
        "cpu": "ks",
        "region": "chi_square",
    }
    assert body["columns"]["cpu"]["drifted"] is False
    html = report.read_text()
    assert "Plotly.newPlot" in html
    assert "<script src=" not in html
    assert "2 of 3 columns drifted" in result.output


def test_overrides_and_column_selection(csvs: tuple[Path, Path], tmp_path: Path) -> None:
    reference, current = csvs
    result = runner.invoke(
        app,
        [
            *("drift", "-r", str(reference), "-c", str(current), "--column", "cpu"),
            *("--column", "region", "--test", "cpu=psi", "--threshold", "region=0.000001"),
        ],
        env=env_for(tmp_path / "var"),
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert list(body["columns"]) == ["cpu", "region"]
    assert body["columns"]["cpu"]["test"] == "psi"
    assert body["columns"]["cpu"]["p_value"] is None
    assert body["columns"]["region"]["threshold"] == 0.000001


def test_fail_on_drift_and_store(csvs: tuple[Path, Path], tmp_path: Path) -> None:
    reference, current = csvs
    var_dir = tmp_path / "var"
    result = runner.invoke(
        app,
        ["drift", "-r", str(reference), "-c", str(current), "--store", "--fail-on-drift"],
        env=env_for(var_dir),
    )
    assert result.exit_code == 1
    database = Database(f"sqlite:///{var_dir / 'opscast.db'}")
    with database.session() as session:
        stored = DriftReportRepository(session).page(limit=10, offset=0)
        assert [(r.kind, r.source, r.drift_detected) for r in stored] == [("data", "cli", True)]
    database.dispose()
    steady = runner.invoke(
        app,
        ["drift", "-r", str(reference), "-c", str(reference), "--fail-on-drift"],
        env=env_for(var_dir),
    )
    assert steady.exit_code == 0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--test", "cpu=t_test"], "unknown test"),
        (["--test", "region=ks"], "categorical"),
        (["--threshold", "cpu=lots"], "not a number"),
        (["--threshold", "cpu"], "COLUMN=VALUE"),
        (["--column", "ghost"], "ghost"),
    ],
)
def test_bad_options_are_one_line(
    csvs: tuple[Path, Path], tmp_path: Path, extra: list[str], message: str
) -> None:
    reference, current = csvs
    result = runner.invoke(
        app, ["drift", "-r", str(reference), "-c", str(current), *extra], env=env_for(tmp_path)
    )
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_missing_and_empty_files(csvs: tuple[Path, Path], tmp_path: Path) -> None:
    reference, _ = csvs
    missing = runner.invoke(app, ["drift", "-r", str(reference), "-c", str(tmp_path / "no.csv")])
    assert missing.exit_code == 2
    assert "no such current file" in missing.output
    empty = tmp_path / "empty.csv"
    empty.write_text("latency,cpu,region\n")
    result = runner.invoke(app, ["drift", "-r", str(reference), "-c", str(empty)])
    assert result.exit_code == 2
    assert "has no rows" in result.output


def test_help() -> None:
    result = runner.invoke(app, ["drift", "--help"])
    assert result.exit_code == 0
    assert "--reference" in result.output
