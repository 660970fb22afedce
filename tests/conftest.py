"""Shared fixtures: settings in a temporary var/, and databases on SQLite and real PostgreSQL.

PostgreSQL tests use the server named by OPSCAST_TEST_POSTGRES_URL (default: the local
one, database ``test``). Each test session creates its own database there and drops it
afterwards, so runs never see each other's rows. Outside CI an absent server skips those
tests with the reason; with CI=true it fails them, because CI must exercise the real thing.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from local_browser import Browser
from opscast.api.app import create_app
from opscast.config import Settings
from opscast.db import Base, Database
from opscast.tables import import_all_tables

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_URL = os.environ.get(
    "OPSCAST_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def require_service(name: str, reason: str) -> None:
    """Skip outside CI, fail inside it: CI must never pass by skipping a real dependency."""
    message = f"{name} is not available ({reason})"
    if IN_CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium for Playwright to drive (Playwright never downloads a browser here).

    OPSCAST_CHROMIUM names another Chromium-based browser, e.g. the Google Chrome that
    GitHub's Ubuntu runners carry, where Ubuntu's chromium package is only a snap stub.
    """
    path = os.environ.get("OPSCAST_CHROMIUM") or shutil.which("chromium")
    if path is None:
        require_service("chromium", "apt-get install chromium, or set OPSCAST_CHROMIUM")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        require_service("playwright", "make install-dev")
    assert path is not None
    return path


@pytest.fixture
def browser(chromium: str) -> Iterator[Browser]:
    """One desktop-sized Chromium page per test (the browser tests' recording page)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium)
        try:
            yield Browser(launched.new_page(viewport={"width": 1280, "height": 900}))
        finally:
            launched.close()


def wait_for_job(client: TestClient, job_id: int, timeout: float = 120) -> dict[str, Any]:
    """Poll ``/jobs/{id}`` until the job has left queued and running; its last state."""
    deadline = time.monotonic() + timeout
    while (job := client.get(f"/jobs/{job_id}").json())["status"] in {"queued", "running"}:
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
    return job


def require_extra(module: str, extra: str) -> None:
    """An optional extra's models are tested like a service: skipped only outside CI."""
    from importlib.util import find_spec

    if find_spec(module) is None:
        require_service(f"the optional {extra} extra", "make install-optional installs it")


@pytest.fixture
def var_dir(tmp_path: Path) -> Path:
    path = tmp_path / "var"
    path.mkdir()
    return path


def make_settings(var_dir: Path, **overrides: object) -> Settings:
    """Test settings: nothing runs in the background unless a test asks for it.

    A background job or start-up training would keep running after the assertions, and
    make an unrelated test slow; the tests of those parts pass ``run_jobs=True`` or
    ``train_on_start=True`` (and ``demand_train_on_start=True`` for the demand model).
    """
    values: dict[str, object] = {
        "var_dir": var_dir,
        "data_dir": SHARED_DATA,
        "environment": "test",
        "log_level": "WARNING",
        "run_jobs": False,
        "train_on_start": False,
        "demand_train_on_start": False,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(var_dir: Path) -> Settings:
    return make_settings(var_dir)


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty, migrated MLflow store, made once: MLflow's own migrations take seconds."""
    from opscast.registry import ModelStore

    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    ModelStore(f"sqlite:///{path}").client.search_experiments()
    return path


@pytest.fixture
def model_store_ready(var_dir: Path, mlflow_template: Path) -> Path:
    """The default model store of ``var_dir``, already migrated; request it before ``client``."""
    target = var_dir / "mlflow.db"
    shutil.copyfile(mlflow_template, target)
    return target


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A database of its own on the PostgreSQL server, created for this test session."""
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        admin.dispose()
        require_service("PostgreSQL", f"{make_url(POSTGRES_URL).render_as_string()}: {exc}")
    name = f"opscast_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def migrated_postgres(postgres_server_url: str) -> Iterator[Database]:
    database = Database(postgres_server_url)
    database.migrate()
    yield database
    database.dispose()


LOCK_WAIT = "60s"


def _empty_all_tables(database: Database) -> None:
    """Delete every row; a lock still held after the test fails here, naming its holder.

    Something the test's app left running (a thread in a transaction) would otherwise
    make this wait forever and stall the whole run.
    """
    import_all_tables()
    try:
        with database.engine.begin() as connection:
            connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
    except OperationalError as exc:
        pytest.fail(
            f"emptying the tables waited {LOCK_WAIT} on a lock ({exc.orig}); other sessions: "
            f"{_other_sessions(database)}; threads alive: "
            f"{sorted(thread.name for thread in threading.enumerate())}",
            pytrace=False,
        )


def _other_sessions(database: Database) -> list[dict[str, Any]]:
    query = text(
        "SELECT pid, state, now() - xact_start AS in_transaction, query FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    with database.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, var_dir: Path) -> Iterator[str]:
    """Each test that takes this runs twice: on a fresh SQLite file and on real PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{var_dir / 'opscast.db'}"
        return
    database: Database = request.getfixturevalue("migrated_postgres")
    _empty_all_tables(database)
    yield database.url
    _empty_all_tables(database)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()


ClientFactory = Callable[..., TestClient]


@pytest.fixture
def client_factory(var_dir: Path, database_url: str) -> Iterator[ClientFactory]:
    """Started apps (lifespan run) with settings overridden per test."""
    with ExitStack() as stack:

        def build(**overrides: object) -> TestClient:
            settings = make_settings(var_dir, database_url=database_url, **overrides)
            return stack.enter_context(TestClient(create_app(settings)))

        yield build


@pytest.fixture
def client(client_factory: ClientFactory) -> TestClient:
    return client_factory()
