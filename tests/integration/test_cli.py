"""The command line, run as users run it."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from opscast import __version__
from opscast.cli import app
from opscast.db import Database
from opscast.series.repository import SeriesRepository

runner = CliRunner()


def env_for(var_dir: Path, **extra: str) -> dict[str, str]:
    return {"OPSCAST_VAR_DIR": str(var_dir), "OPSCAST_LOG_LEVEL": "WARNING", **extra}


def test_version_through_the_module_entry_point() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "opscast", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"opscast {__version__}"


@pytest.mark.parametrize("command", [[], ["serve"], ["demo"], ["migrate"], ["worker"]])
def test_every_command_has_help(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_demo_loads_every_use_case_once(var_dir: Path) -> None:
    first = runner.invoke(app, ["demo"], env=env_for(var_dir))
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["demo"], env=env_for(var_dir))
    assert second.exit_code == 0
    assert second.output.count("already stored") == 5

    database = Database(f"sqlite:///{var_dir / 'opscast.db'}")
    with database.session() as session:
        stats = {s.series.unique_id: s for s in SeriesRepository(session).list_with_stats()}
        kinds = {s.series.kind for s in stats.values()}
    database.dispose()
    assert kinds == {"incidents", "traffic", "traffic_flags", "demand", "server_metrics"}
    assert {"Software", "Hardware"} <= set(stats)
    assert stats["Software"].series.kind == "incidents"
    assert all(s.points > 0 for s in stats.values())


def test_demo_operations_look_like_a_teams(var_dir: Path) -> None:
    """Tickets resolved within hours or days of being opened, and drift reports to read."""
    from opscast.drift_checks.service import list_reports
    from opscast.tickets.analytics import summary

    assert runner.invoke(app, ["demo"], env=env_for(var_dir)).exit_code == 0
    database = Database(f"sqlite:///{var_dir / 'opscast.db'}")
    with database.session() as session:
        tickets = summary(session)
        reports, total = list_reports(session, limit=10, offset=0)
        verdicts = {report.drift_detected for report in reports}
    database.dispose()
    assert tickets.by_status["resolved"] > 0
    assert tickets.by_status["open"] > 0
    assert tickets.mean_time_to_resolve_hours is not None
    assert 1 < tickets.mean_time_to_resolve_hours < 72
    assert total == 3
    assert verdicts == {True, False}  # some drifted, some did not


def test_the_demos_drifted_reports_fire_alerts_once(var_dir: Path) -> None:
    """Judged by the shipped rules as a running server would; sent when the server starts."""
    from opscast.alerting.service import deliveries, list_alerts
    from opscast.drift_checks.service import list_reports

    first = runner.invoke(app, ["demo"], env=env_for(var_dir))
    assert first.exit_code == 0, first.output
    assert "alerts: 2 fired on the demo's drift reports" in first.output
    assert runner.invoke(app, ["demo"], env=env_for(var_dir)).exit_code == 0  # no second alert
    database = Database(f"sqlite:///{var_dir / 'opscast.db'}")
    with database.session() as session:
        reports, _ = list_reports(session, limit=10, offset=0)
        alerts, total = list_alerts(session)
        outbox = [row for alert in alerts for row in deliveries(session, alert.id)]
    database.dispose()
    drifted = {report.subject for report in reports if report.drift_detected}
    assert total == len(drifted) == 2
    assert {alert.labels["subject"] for alert in alerts} == drifted
    assert {(alert.rule, alert.state) for alert in alerts} == {("data-drift", "firing")}
    assert {(row.channel, row.status) for row in outbox} == {("console", "pending")}


def test_bad_configuration_is_one_line_and_non_zero(var_dir: Path) -> None:
    result = runner.invoke(app, ["demo"], env=env_for(var_dir, OPSCAST_ENVIRONMENT="production"))
    assert result.exit_code == 2
    assert "OPSCAST_API_KEYS" in result.output
    assert "Traceback" not in result.output


def test_bad_port_is_refused(var_dir: Path) -> None:
    result = runner.invoke(app, ["serve", "--port", "0"], env=env_for(var_dir))
    assert result.exit_code == 2


def test_migrate_reports_the_revision(var_dir: Path) -> None:
    result = runner.invoke(app, ["migrate"], env=env_for(var_dir))
    assert result.exit_code == 0
    database = Database(f"sqlite:///{var_dir / 'opscast.db'}")
    head = database.head_revision()
    database.dispose()
    assert f"schema at {head} (sqlite)" in result.output


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_serve_answers_health_over_real_http(var_dir: Path) -> None:
    port = _free_port()
    environment = {**os.environ, **env_for(var_dir)}
    server = subprocess.Popen(
        [sys.executable, "-m", "opscast", "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as reply:
                    body = json.load(reply)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    # a live server never closes stdout: stop it before reading its output
                    server.terminate()
                    output = server.stdout.read().decode() if server.stdout else ""
                    pytest.fail(f"server did not answer: {output}")
                time.sleep(0.2)
        assert body["status"] == "ok"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as reply:
            assert b"opscast_http_requests_total" in reply.read()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_worker_once_runs_what_is_queued_and_exits(var_dir: Path) -> None:
    from opscast.jobs import service

    database = Database(f"sqlite:///{var_dir / 'opscast.db'}")
    database.migrate()
    with database.session() as session:
        job_id = service.submit_job(session, kind="no-such-kind").job.id
    result = runner.invoke(app, ["worker", "--once"], env=env_for(var_dir))
    assert result.exit_code == 0, result.output
    assert json.loads(result.output.strip().splitlines()[-1]) == {"jobs_run": [job_id]}
    with database.session() as session:
        job, _ = service.get_job(session, job_id)
        assert job.status == "failed"
        assert "no handler for job kind 'no-such-kind'" in (job.error or "")
    database.dispose()
