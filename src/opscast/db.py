"""Engine, sessions and migrations.

SQLite under ``var/`` is the zero-setup default and PostgreSQL the production store;
the same code serves both, so everything dialect-specific (pragmas, upserts, pool
options) stays in this module and in the repositories, never in services. The schema
is owned by Alembic: the service migrates on start instead of calling ``create_all``,
so a deployed database always has a recorded version.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import MetaData, create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

    from opscast.config import Settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc_now() -> datetime:
    """Now as opscast stores times: naive UTC, the same on SQLite and PostgreSQL."""
    return datetime.now(UTC).replace(tzinfo=None)


class Base(DeclarativeBase):
    """Declarative base; constraint names are fixed so migrations match on every dialect."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


SQLITE_SYNCHRONOUS = ("NORMAL", "FULL")


def _sqlite_pragmas(synchronous: str) -> Any:
    """SQLite ignores foreign keys unless asked per connection; WAL lets reads run during writes.

    In WAL mode ``synchronous=NORMAL`` loses no committed transaction when the process
    crashes, only (the last few) when the machine loses power; ``FULL`` also survives a
    power cut, at an fsync per commit (``OPSCAST_SQLITE_SYNCHRONOUS``).
    """

    def enable(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()
        # The driver opens a transaction before the first write (reads before it run on
        # their own). A plain BEGIN takes the write lock only at that write, and when another
        # writer committed in between SQLite refuses at once ("database is locked") instead of
        # waiting: under many concurrent writers that was a steady trickle of 503s. BEGIN
        # IMMEDIATE takes the lock first, waiting for it up to the busy timeout.
        dbapi_connection.isolation_level = "IMMEDIATE"

    return enable


WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_HOLDS_WRITE_LOCK = "opscast_holds_write_lock"


class SqliteWriters:
    """SQLite's writers queue on a lock, first come first served within a process.

    SQLite lets one writer in at a time and makes the others poll (its busy handler sleeps
    1, 2, 5 ... 100 ms between tries), so forty threads wanting to write spend most of the
    time asleep while the lock is free, and under enough of them some time out. Queued
    here, the next writer starts the moment the last one commits. Writers of other
    processes on the same file (the server's workers, the CLI) meet at a file lock beside
    the database, which a waiting process tries every few tenths of a millisecond, not
    after SQLite's growing sleeps. The locks are taken at a transaction's first write and
    given back when its connection returns to the pool, after the commit or rollback
    (SQLAlchemy's commit event comes before the commit itself: the next writer would find
    the database still locked and sleep); a writer that cannot have them within
    ``wait_seconds`` fails like a busy SQLite.
    """

    def __init__(self, wait_seconds: float, lock_file: Path | None = None) -> None:
        self.wait_seconds = wait_seconds
        self._lock = threading.Lock()
        self._lock_file = lock_file
        self._held: int | None = None
        """The descriptor holding the file lock, opened per transaction (closing it
        unlocks): a descriptor kept open would leak with every engine and be shared with
        a forked child, lock included."""

    def install(self, engine: Engine) -> None:
        event.listen(engine, "before_cursor_execute", self._before_execute)
        event.listen(engine.pool, "checkin", self._checked_in)

    def _before_execute(self, connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if connection.info.get(_HOLDS_WRITE_LOCK) or not statement.lstrip().upper().startswith(
            WRITES
        ):
            return
        deadline = time.monotonic() + self.wait_seconds
        if not self._lock.acquire(timeout=self.wait_seconds):
            raise _busy(statement, self.wait_seconds)
        if not self._lock_other_processes(deadline):
            self._lock.release()
            raise _busy(statement, self.wait_seconds)
        connection.info[_HOLDS_WRITE_LOCK] = True

    def _lock_other_processes(self, deadline: float) -> bool:
        if self._lock_file is None:
            return True
        descriptor = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        pause = 0.0001
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(pause)
                    pause = min(2 * pause, 0.001)
                    continue
                os.close(descriptor)
                return False
            self._held = descriptor
            return True

    def _checked_in(self, _dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(_HOLDS_WRITE_LOCK, False):
            if self._held is not None:
                os.close(self._held)
                self._held = None
            self._lock.release()


def _busy(statement: str, wait_seconds: float) -> OperationalError:
    return OperationalError(statement, None, Exception(f"no write lock within {wait_seconds:g} s"))


@dataclass(frozen=True)
class PoolLimits:
    """How many connections the engine keeps, and how long a caller waits for one.

    A request that finds every connection busy waits ``wait_seconds`` for one (and, on
    SQLite, as long again for the write lock) before it fails with a 503; the pool is sized
    from the threads that run requests (``Settings.database_pool_size``), so under any
    number of clients requests queue for a thread rather than fail for want of a
    connection.
    """

    size: int = 10
    wait_seconds: float = 30.0


def build_engine(
    url: str, *, sqlite_synchronous: str = "NORMAL", pool: PoolLimits | None = None
) -> Engine:
    pool = pool or PoolLimits()
    sizing: dict[str, Any] = {
        "pool_size": pool.size,
        "max_overflow": 0,
        "pool_timeout": pool.wait_seconds,
    }
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if sqlite_synchronous not in SQLITE_SYNCHRONOUS:
            raise ValueError(f"sqlite_synchronous must be one of {', '.join(SQLITE_SYNCHRONOUS)}")
        lock_file = None
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            lock_file = Path(f"{parsed.database}-writers.lock")
        # ``timeout`` is SQLite's busy timeout: how long a writer waits for the lock
        connect_args = {"check_same_thread": False, "timeout": pool.wait_seconds}
        engine = create_engine(url, connect_args=connect_args, **sizing)
        event.listen(engine, "connect", _sqlite_pragmas(sqlite_synchronous))
        SqliteWriters(pool.wait_seconds, lock_file).install(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **sizing)


def dialect_insert(session: Session, table: type[Base]) -> Any:
    """``INSERT`` with ``ON CONFLICT`` clauses: SQLite and PostgreSQL share the syntax."""
    from sqlalchemy.dialects import postgresql, sqlite

    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def alembic_config(engine: Engine) -> AlembicConfig:
    """Alembic (and its template engine) is imported only here: most processes never migrate."""
    from alembic.config import Config as AlembicConfig

    config = AlembicConfig()
    config.set_main_option("script_location", str(files("opscast") / "migrations"))
    config.attributes["engine"] = engine
    return config


class Database:
    """One engine and its session factory, owned by the app or the CLI command that made it."""

    def __init__(
        self, url: str, *, sqlite_synchronous: str = "NORMAL", pool: PoolLimits | None = None
    ) -> None:
        self.url = url
        self.engine = build_engine(url, sqlite_synchronous=sqlite_synchronous, pool=pool)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        """The service's database as configured: its URL, durability and pool limits."""
        return cls(
            settings.resolved_database_url,
            sqlite_synchronous=settings.sqlite_synchronous,
            pool=PoolLimits(settings.database_pool_size, settings.db_wait_seconds),
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def migrate(self) -> None:
        """Bring the schema to the newest revision; a no-op when it is already there."""
        from alembic import command

        command.upgrade(alembic_config(self.engine), "head")

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head_revision(self) -> str | None:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(alembic_config(self.engine)).get_current_head()

    def ping(self) -> None:
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: commits when the block succeeds, rolls back when it raises."""
        session = self.sessionmaker()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
