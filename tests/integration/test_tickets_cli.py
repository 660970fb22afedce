"""The tickets commands and the demo's tickets and fleet, run as users run them."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from opscast.cli import app
from opscast.db import Database
from opscast.servers.repository import ServerRepository
from opscast.tickets.repository import TicketFilter, TicketRepository

runner = CliRunner()


def env_for(var_dir: Path) -> dict[str, str]:
    return {"OPSCAST_VAR_DIR": str(var_dir), "OPSCAST_LOG_LEVEL": "WARNING"}


def test_analyze_prints_json_and_refuses_an_empty_text(
    var_dir: Path, model_store_ready: Path
) -> None:
    result = runner.invoke(
        app, ["tickets", "analyze", "Server down, all servers unreachable"], env=env_for(var_dir)
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["predicted_priority"] == "high"
    empty = runner.invoke(app, ["tickets", "analyze", "  "], env=env_for(var_dir))
    assert empty.exit_code == 2
    assert "description" in empty.output
    assert "Traceback" not in empty.output


def test_retrain_reports_what_it_learned_from(var_dir: Path, model_store_ready: Path) -> None:
    result = runner.invoke(app, ["tickets", "retrain"], env=env_for(var_dir))
    assert result.exit_code == 0, result.output
    body = json.loads(result.output[result.output.index("{") :])
    assert body["corrections"] == 0
    assert body["trained_on"] > 0
    assert (body["task"], body["version"], body["promoted"]) == ("tickets-classifier", 1, True)
    again = runner.invoke(app, ["tickets", "retrain"], env=env_for(var_dir))
    second = json.loads(again.output[again.output.index("{") :])
    # the same data gives the same model: as good as the champion on the same holdout
    assert (second["version"], second["promoted"]) == (2, True)
    assert "as good as" in second["reason"]
    assert second["holdout_macro_f1"] == body["holdout_macro_f1"]


def test_demo_opens_tickets_for_the_failed_servers_once(
    var_dir: Path, model_store_ready: Path
) -> None:
    first = runner.invoke(app, ["demo"], env=env_for(var_dir))
    assert first.exit_code == 0, first.output
    second = runner.invoke(app, ["demo"], env=env_for(var_dir))
    assert "tickets and servers: present, demo skipped" in second.output
    database = Database(f"sqlite:///{var_dir / 'opscast.db'}")
    with database.session() as session:
        tickets = TicketRepository(session)
        server_tickets = tickets.count(TicketFilter(source="server"))
        resolved = tickets.count(TicketFilter(status="resolved"))
        total = tickets.count()
        servers = ServerRepository(session).count()
    database.dispose()
    assert servers == 6
    assert server_tickets >= 1
    assert total == 60 + server_tickets
    # the demo resolves two in three tickets older than its last week (14 tickets)
    assert resolved == len([i for i in range(60 - 14) if i % 3 != 2])
