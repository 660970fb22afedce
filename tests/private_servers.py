"""Private PostgreSQL, Redis and NATS servers for the fault tests, on free loopback ports.

The fault tests stop and restart these servers under load, so they must never be the
machine's own services: each server here runs from a temporary directory, on a port of
its own, and is stopped when the test ends. A missing binary skips the test outside CI
and fails it under CI=true (``conftest.require_service``).

PostgreSQL refuses to run as root; when the tests run as root the cluster belongs to the
``postgres`` system user and its commands run through ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from conftest import require_service
from opscast_process import free_port

START_SECONDS = 30


def wait_for_port(port: int, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the server on port {port} exited") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listens on port {port}") from None
            time.sleep(0.05)


def binary(name: str, install: str) -> str:
    path = shutil.which(name)
    if path is None:
        require_service(name, f"no {name} on PATH; {install}")
    assert path is not None
    return path


def _postgres_bin() -> Path:
    """The newest server's own bin directory (Debian keeps initdb off PATH), else PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=_version)
    if found:
        return Path(found[-1]).parent
    return Path(binary("pg_ctl", "install the PostgreSQL server package")).parent


def _version(path: str) -> tuple[int, ...]:
    number = Path(path).parent.parent.name
    return tuple(int(part) for part in number.split(".") if part.isdigit())


@dataclass
class PrivatePostgres:
    """A PostgreSQL cluster in a temporary directory; ``stop``/``start`` for the faults."""

    bin: Path
    data: Path
    port: int
    user: str | None

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/opscast"

    def _run(self, *command: str) -> None:
        full = [str(self.bin / command[0]), *command[1:]]
        if self.user is not None:
            full = ["runuser", "-u", self.user, "--", *full]
        done = subprocess.run(full, capture_output=True, text=True, check=False, timeout=60)
        if done.returncode:
            log = self.data.parent / "postgres.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr}{done.stdout}\n{tail}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data.parent} -c listen_addresses=127.0.0.1"
        log = str(self.data.parent / "postgres.log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A fresh cluster with a database ``opscast``, trust auth on loopback only."""
    bin_dir = _postgres_bin()
    user: str | None = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            require_service("PostgreSQL", "running as root and there is no postgres user")
            raise
        user = owner.pw_name
    root = Path(tempfile.mkdtemp(prefix="opscast-pg-"))
    data = root / "data"
    if user is not None:
        owner = pwd.getpwnam(user)
        os.chown(root, owner.pw_uid, owner.pw_gid)
    server = PrivatePostgres(bin_dir, data, free_port(), user)
    try:
        server._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync")
        server.start()
        from sqlalchemy import create_engine, text

        admin = create_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/postgres",
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE opscast"))
        admin.dispose()
        yield server
    finally:
        with contextlib.suppress(RuntimeError):  # never started, or already stopped
            server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class PrivateServer:
    """A broker process on a free port; ``stop`` and ``start`` keep its data directory."""

    name: str
    command: list[str]
    port: int
    workdir: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.workdir / f"{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            self.command, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        wait_for_port(self.port, self.process)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None


@contextmanager
def private_broker(kind: str) -> Iterator[tuple[PrivateServer, str]]:
    """``redis`` or ``nats`` (JetStream on, file storage in the temporary directory)."""
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix=f"opscast-{kind}-"))
    if kind == "redis":
        command = [binary("redis-server", "apt-get install redis-server"), "--port", str(port)]
        command += ["--bind", "127.0.0.1", "--dir", str(workdir), "--save", "", "--appendonly"]
        command += ["yes", "--appendfsync", "always"]
        url = f"redis://127.0.0.1:{port}"
    else:
        command = [binary("nats-server", "install nats-server from nats.io"), "-js"]
        command += ["-a", "127.0.0.1", "-p", str(port), "-sd", str(workdir)]
        url = f"nats://127.0.0.1:{port}"
    server = PrivateServer(kind, command, port, workdir)
    try:
        server.start()
        yield server, url
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
