"""``opscast alerts``, run as users run it, on alerts made by the real evaluation."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from conftest import make_settings
from opscast.alerting.observations import Observation
from opscast.alerting.runtime import AlertingRuntime
from opscast.alerting.tables import Alert, Delivery, Silence
from opscast.cli import app
from opscast.db import Database, utc_now

runner = CliRunner()


def env_for(var_dir: Path) -> dict[str, str]:
    return {"OPSCAST_VAR_DIR": str(var_dir), "OPSCAST_LOG_LEVEL": "WARNING"}


@pytest.fixture
def firing(var_dir: Path) -> dict[str, int]:
    """Two hosts' CPU judged anomalous by the shipped rule for ten minutes: two alerts."""
    settings = make_settings(var_dir)
    database = Database(settings.resolved_database_url)
    database.migrate()
    runtime = AlertingRuntime(settings, database, None)
    runtime.prepare()
    start = utc_now() - timedelta(minutes=10)
    runtime.judge(
        lambda _: [
            Observation(
                kind="anomaly_score",
                labels={"host": host, "metric": "cpu_pct"},
                at=start + timedelta(minutes=minute),
                value=0.92,
                summary=f"{host} cpu_pct is anomalous",
                evidence={"score": 0.92},
            )
            for host in ("web-01", "web-02")
            for minute in (0, 6)
        ]
    )
    with database.session() as session:
        ids = {alert.host or "": alert.id for alert in session.scalars(select(Alert))}
    database.dispose()
    return ids


def invoke(var_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["alerts", *args], env=env_for(var_dir))
    return result.exit_code, result.output


def count(var_dir: Path, table: type[object]) -> int:
    database = Database(make_settings(var_dir).resolved_database_url)
    with database.session() as session:
        total = session.scalar(select(func.count()).select_from(table)) or 0
    database.dispose()
    return total


def test_list_show_and_rules(var_dir: Path, firing: dict[str, int]) -> None:
    code, output = invoke(var_dir, "list", "--state", "firing")
    assert code == 0, output
    assert "web-01" in output
    assert "anomalous-metric" in output
    code, output = invoke(var_dir, "list", "--host", "web-02", "--json")
    assert code == 0, output
    [alert] = json.loads(output)
    assert alert["id"] == firing["web-02"]
    assert alert["severity"] == "warning"  # a score of 0.92 is at least 0.8
    code, output = invoke(var_dir, "show", str(firing["web-01"]))
    assert code == 0, output
    detail = json.loads(output)
    assert detail["details"]["threshold"] == {"op": ">=", "value": 0.7}
    assert [row["channel"] for row in detail["deliveries"]] == ["console"]
    code, output = invoke(var_dir, "rules")
    assert code == 0, output
    for name in ("capacity-exhaustion", "anomalous-metric", "forecast-breach", "data-drift"):
        assert name in output
    assert ">= 0.7" in output
    rules = json.loads(invoke(var_dir, "rules", "--json")[1])
    assert {rule["kind"] for rule in rules} >= {"time_to_failure", "forecast_breach"}


def test_ack_resolve_and_silence(var_dir: Path, firing: dict[str, int]) -> None:
    web = firing["web-01"]
    assert invoke(var_dir, "ack", str(web), "--by", "ana") == (
        0,
        f"alert {web} acknowledged by ana\n",
    )
    code, output = invoke(var_dir, "resolve", str(web), "--by", "ana", "--reason", "restarted")
    assert code == 0, output
    detail = json.loads(invoke(var_dir, "show", str(web))[1])
    assert detail["state"] == "resolved"
    assert detail["acknowledged_by"] == "ana"
    assert detail["details"]["resolved_by"]["reason"] == "restarted"
    # the resolution is queued for the channels; the server's outbox loop sends it
    assert [(row["event"], row["status"]) for row in detail["deliveries"]][-1] == (
        "resolved",
        "pending",
    )
    code, output = invoke(var_dir, "silence", "--match", "host=web-02", "--for", "2h")
    assert code == 0, output
    assert output.startswith("silence 1: host=web-02 until ")
    assert count(var_dir, Silence) == 1


def test_mistakes_are_one_line_and_write_nothing(var_dir: Path, firing: dict[str, int]) -> None:
    web = str(firing["web-01"])
    deliveries = count(var_dir, Delivery)
    for args, says in [
        (("show", "999"), "no alert 999"),
        (("ack", "999"), "no alert 999"),
        (("list", "--state", "burning"), "--state must be one of pending, firing, resolved"),
        (("silence", "--match", "host", "--for", "2h"), "is not label=value"),
        (("silence", "--match", "host=web-01", "--for", "soon"), "duration"),
        (("silence", "--match", "host=web-01", "--for", "0m"), "longer than 0s"),
    ]:
        code, output = invoke(var_dir, *args)
        assert code == 2, (args, output)
        assert says in output, (args, output)
        assert "Traceback" not in output
    assert count(var_dir, Silence) == 0
    assert invoke(var_dir, "resolve", web)[0] == 0
    code, output = invoke(var_dir, "resolve", web)
    assert (code, "already resolved" in output) == (2, True)
    assert count(var_dir, Delivery) == deliveries + 1  # the one resolution, once
