"""`opscast incidents ...`: import an export, train what is missing, print a forecast."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from opscast.cli import app

runner = CliRunner()


def env_for(var_dir: Path) -> dict[str, str]:
    return {"OPSCAST_VAR_DIR": str(var_dir), "OPSCAST_LOG_LEVEL": "WARNING"}


def itsm_export(path: Path, days: int) -> Path:
    """ITSM_data.csv layout: one row per incident, day-first Open_Time, CI_Cat as category."""
    opened = pd.date_range("2024-01-01 00:00", periods=days * 3, freq="8h")
    pd.DataFrame(
        {
            "CI_Name": "SUB000456",
            "CI_Cat": ["application", "application", "storage"] * days,
            "Incident_ID": [f"IM{i:07d}" for i in range(days * 3)],
            "Status": "Closed",
            "Open_Time": opened.strftime("%d/%m/%Y %H:%M"),
        }
    ).to_csv(path, index=False)
    return path


def test_import_train_and_forecast(tmp_path: Path, var_dir: Path, model_store_ready: Path) -> None:
    export = itsm_export(tmp_path / "ITSM_data.csv", days=70)
    imported = runner.invoke(app, ["incidents", "import", str(export)], env=env_for(var_dir))
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout) == {
        "series_created": 2,
        "points_written": 140,
        "unique_ids": ["application", "storage"],
    }

    trained = runner.invoke(
        app, ["incidents", "train", "--category", "storage"], env=env_for(var_dir)
    )
    assert trained.exit_code == 0, trained.output
    summary = json.loads(trained.stdout)
    assert summary["ready"] == ["incidents-storage-daily"]
    assert len(summary["too_short"]) == 3

    printed = runner.invoke(
        app,
        [
            "incidents",
            "forecast",
            "--category",
            "storage",
            "--granularity",
            "daily",
            "--periods",
            "3",
        ],
        env=env_for(var_dir),
    )
    assert printed.exit_code == 0, printed.output
    body = json.loads(printed.stdout)
    assert [point["date"] for point in body["forecast"]] == [
        "2024-03-11",
        "2024-03-12",
        "2024-03-13",
    ]
    # one storage incident a day, every day: the forecast says about one
    assert all(0.5 < point["predicted_value"] < 1.5 for point in body["forecast"])


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, var_dir: Path) -> None:
    other = tmp_path / "other.csv"
    pd.DataFrame({"ticket": [1], "when": ["2024-01-01"]}).to_csv(other, index=False)
    cases = [
        (["incidents", "import", str(other)], "fits no known incident layout"),
        (["incidents", "import", str(tmp_path / "absent.csv")], "no such file"),
        (["incidents", "import", str(other), "--column", "category"], "is not KEY=COLUMN"),
        (["incidents", "import", str(other), "--layout", "jira"], "unknown layout 'jira'"),
        (["incidents", "import", str(other), "--start", "yesterday"], "--start/--end"),
        (["incidents", "train", "--category", "nope"], "no incident category nope"),
        (
            [
                "incidents",
                "forecast",
                "--category",
                "x",
                "--granularity",
                "yearly",
                "--periods",
                "1",
            ],
            "use daily, weekly, monthly or quarterly",
        ),
        (
            [
                "incidents",
                "forecast",
                "--category",
                "x",
                "--granularity",
                "daily",
                "--periods",
                "1",
            ],
            "no incident category 'x'",
        ),
    ]
    for args, message in cases:
        result = runner.invoke(app, args, env=env_for(var_dir))
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1
