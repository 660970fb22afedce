"""Many writers at once on SQLite: each waits its turn, none is refused.

Before writers queued, a transaction that read and then wrote while another committed
was refused at once ("database is locked", a 503), and forty threads polling SQLite's
lock timed out; the pool (5 + 10 connections) also ran dry under more request threads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import text

from conftest import make_settings
from opscast.db import Database

THREADS = 64
TRANSACTIONS = 10


def test_concurrent_read_then_write_transactions_all_commit(var_dir: Path) -> None:
    settings = make_settings(var_dir, request_threads=THREADS)
    database = Database.from_settings(settings)
    with database.session() as session:
        session.execute(text("CREATE TABLE tally (writer INTEGER, seen INTEGER)"))

    def write(writer: int) -> None:
        for _ in range(TRANSACTIONS):
            with database.session() as session:
                seen = session.execute(text("SELECT count(*) FROM tally")).scalar_one()
                session.execute(
                    text("INSERT INTO tally VALUES (:writer, :seen)"),
                    {"writer": writer, "seen": seen},
                )

    try:
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(write, range(THREADS)))  # re-raises the first failure
        with database.session() as session:
            rows = session.execute(text("SELECT count(*) FROM tally")).scalar_one()
        assert rows == THREADS * TRANSACTIONS
    finally:
        database.dispose()


def test_the_pool_has_a_connection_for_every_request_thread(var_dir: Path) -> None:
    settings = make_settings(var_dir, request_threads=7)
    database = Database.from_settings(settings)
    try:
        assert database.engine.pool.size() == 7 + 8 + 8  # type: ignore[attr-defined]
        assert make_settings(var_dir, db_pool_size=3).database_pool_size == 3
    finally:
        database.dispose()
