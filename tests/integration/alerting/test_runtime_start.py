"""Several workers start alerting on one database at the same moment.

Each stores the shipped rule file on start; the slower one must find the faster one's
rules instead of failing its start-up (under gunicorn a worker that fails to start stops
the whole server). PostgreSQL makes the race exact: the second insert of a rule name
waits on the unique index until the first transaction commits, then conflicts.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from conftest import make_settings
from opscast.alerting import service
from opscast.alerting.rules import load_rules
from opscast.alerting.runtime import AlertingRuntime
from opscast.alerting.tables import AlertRule
from opscast.db import Database

pytestmark = pytest.mark.postgres


def waiting_on_a_lock(database: Database) -> bool:
    with database.engine.connect() as connection:
        waiting = connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return bool(waiting)


def test_a_worker_that_loses_the_race_to_store_the_rules_still_starts(
    migrated_postgres: Database, var_dir: Path
) -> None:
    database = migrated_postgres
    with database.engine.begin() as connection:
        connection.execute(AlertRule.__table__.delete())
    settings = make_settings(var_dir, database_url=database.url)
    shipped = load_rules(settings.alert_rules_file)
    failures: list[BaseException] = []

    def second_worker() -> None:
        try:
            AlertingRuntime(settings, database, None).prepare()
        except BaseException as error:  # reported by the assertion below
            failures.append(error)

    first = database.sessionmaker()
    try:
        assert service.sync_rules(first, shipped)
        first.flush()  # the first worker's rows exist, uncommitted
        worker = threading.Thread(target=second_worker)
        worker.start()
        deadline = time.monotonic() + 30
        while not waiting_on_a_lock(database):
            assert worker.is_alive(), failures
            assert time.monotonic() < deadline, "the second worker never waited on the first"
            time.sleep(0.05)
        first.commit()
    finally:
        first.close()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert failures == []
    with database.session() as session:
        stored = session.scalar(select(func.count()).select_from(AlertRule))
    assert stored == len(shipped)
