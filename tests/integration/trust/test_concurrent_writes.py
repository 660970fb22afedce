"""Many writers at once on SQLite: each waits its turn, none is refused.

Before writers queued, a transaction that read and then wrote while another committed
was refused at once ("database is locked", a 503), and forty threads polling SQLite's
lock timed out; the pool (5 + 10 connections) also ran dry under more request threads.
"""

from __future__ import annotations

import fcntl
import multiprocessing
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from conftest import make_settings
from opscast.db import Database, PoolLimits

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


def test_a_writer_waits_for_the_write_lock_of_another_process(var_dir: Path) -> None:
    """Writers of other processes (the server's workers, the CLI) meet at a file lock beside
    the database: while another holds it, a write waits, and fails cleanly past its wait."""
    database = Database(f"sqlite:///{var_dir / 'shared.db'}", pool=PoolLimits(2, 0.3))
    with database.session() as session:
        session.execute(text("CREATE TABLE tally (writer INTEGER, seen INTEGER)"))
    other_process = os.open(var_dir / "shared.db-writers.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(other_process, fcntl.LOCK_EX)
        with (
            pytest.raises(OperationalError, match="no write lock within"),
            database.session() as session,
        ):
            session.execute(text("INSERT INTO tally VALUES (1, 0)"))
        fcntl.flock(other_process, fcntl.LOCK_UN)
        with database.session() as session:  # the failed writer gave its locks back
            session.execute(text("INSERT INTO tally VALUES (2, 0)"))
        with database.session() as session:
            assert session.execute(text("SELECT writer FROM tally")).scalars().all() == [2]
    finally:
        os.close(other_process)
        database.dispose()


def write_from_process(url: str, writer: int) -> None:
    database = Database(url)
    try:
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda thread: write_rows(database, writer * 100 + thread), range(8)))
    finally:
        database.dispose()


def write_rows(database: Database, writer: int) -> None:
    for _ in range(TRANSACTIONS):
        with database.session() as session:
            seen = session.execute(text("SELECT count(*) FROM tally")).scalar_one()
            session.execute(
                text("INSERT INTO tally VALUES (:writer, :seen)"), {"writer": writer, "seen": seen}
            )


def test_writers_of_several_processes_all_commit(var_dir: Path) -> None:
    url = f"sqlite:///{var_dir / 'shared.db'}"
    database = Database(url)
    with database.session() as session:
        session.execute(text("CREATE TABLE tally (writer INTEGER, seen INTEGER)"))
    processes = [
        multiprocessing.get_context("spawn").Process(target=write_from_process, args=(url, n))
        for n in range(3)
    ]
    try:
        for process in processes:
            process.start()
        for process in processes:
            process.join(120)
            assert process.exitcode == 0, "a writer process failed"
        with database.session() as session:
            rows = session.execute(text("SELECT count(*) FROM tally")).scalar_one()
        assert rows == 3 * 8 * TRANSACTIONS
    finally:
        database.dispose()
