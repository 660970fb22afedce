"""`opscast retrain` as cron and CI run it: guarded retraining with a JSON summary."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from opscast.cli import app
from opscast.db import Database
from opscast.series.service import ingest_frame
from opscast.simulate import simulate_incidents

runner = CliRunner()


def env_for(var_dir: Path) -> dict[str, str]:
    return {"OPSCAST_VAR_DIR": str(var_dir), "OPSCAST_LOG_LEVEL": "WARNING"}


def test_if_drift_does_nothing_when_no_drift_check_asked(var_dir: Path) -> None:
    result = runner.invoke(app, ["retrain", "--if-drift"], env=env_for(var_dir))
    assert result.exit_code == 0, result.output
    output = json.loads(result.output[result.output.index("{") :])
    assert (output["jobs"], output["message"]) == ([], "no drift check asked for a retrain")
    demand = next(row for row in output["drift_checks"] if row["target"] == "demand")
    assert (demand["checked"], demand["drifted"]) == (True, False), demand
    assert "no demand data set" in demand["reason"]


def test_an_unknown_target_is_one_line_and_exit_2(var_dir: Path) -> None:
    result = runner.invoke(app, ["retrain", "--task", "nothing"], env=env_for(var_dir))
    assert result.exit_code == 2
    assert "no retraining target 'nothing'" in result.output


def test_retrain_trains_and_reports_every_task(var_dir: Path, model_store_ready: Path) -> None:
    database = Database(f"sqlite:///{var_dir / 'opscast.db'}")
    database.migrate()
    history = simulate_incidents(start="2023-01-01", days=3 * 365, categories=["Network"], seed=4)
    with database.session() as session:
        ingest_frame(session, history, kind="incidents", source="test", freq="D")
    database.dispose()
    result = runner.invoke(app, ["retrain", "--task", "incidents"], env=env_for(var_dir))
    assert result.exit_code == 0, result.output
    (job,) = json.loads(result.output[result.output.index("{") :])["jobs"]
    assert (job["status"], job["task"], job["requested_by"]) == ("succeeded", "incidents", "cli")
    assert job["result"]["promoted"] == 4
    assert {row["task"] for row in job["result"]["tasks"]} == {
        f"incidents-network-{level}" for level in ("daily", "weekly", "monthly", "quarterly")
    }
