"""A server killed in the middle of a retrain: after a restart the job is retried to the
end and the registry is consistent (every champion is a complete, loadable version)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from opscast.db import Database
from opscast.jobs.service import get_job
from opscast.registry import ModelStore
from opscast.series.service import ingest_frame
from opscast.simulate import simulate_incidents


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server(env: dict[str, str], log: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "opscast", "serve", "--port", str(port)],
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: answers(base), timeout=90, what=f"server start ({log.read_text()})")
        yield process, base
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health", timeout=2).status_code in {200, 503}
    except httpx.HTTPError:
        return False


def wait_until(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)
    return value


def test_a_retrain_cut_off_by_a_kill_is_retried_after_restart(
    var_dir: Path, database_url: str, model_store_ready: Path
) -> None:
    database = Database(database_url)
    database.migrate()
    history = simulate_incidents(
        start="2023-01-01", days=3 * 365, categories=["Software", "Hardware"], seed=2
    )
    with database.session() as session:
        ingest_frame(session, history, kind="incidents", source="test", freq="D")
    env = {
        "OPSCAST_VAR_DIR": str(var_dir),
        "OPSCAST_DATABASE_URL": database_url,
        "OPSCAST_TRAIN_ON_START": "false",
        "OPSCAST_JOB_STALE_SECONDS": "3",
        "OPSCAST_JOB_POLL_SECONDS": "0.2",
        "OPSCAST_LOG_LEVEL": "WARNING",
    }
    log = var_dir / "server.log"

    with server(env, log) as (process, base):
        job_id = httpx.post(f"{base}/retrain", json={"target": "incidents"}).json()["job_id"]

        def second_task_started() -> bool:
            job = httpx.get(f"{base}/jobs/{job_id}").json()
            return job["status"] == "running" and job["progress"] > 0

        wait_until(second_task_started, timeout=300, what="the retrain to get going")
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)

    with database.session() as session:
        cut_off, _ = get_job(session, job_id)
        assert (cut_off.status, cut_off.attempts) == ("running", 1)

    with server(env, log) as (_process, base):

        def done() -> dict[str, Any] | None:
            job: dict[str, Any] = httpx.get(f"{base}/jobs/{job_id}").json()
            return job if job["status"] in {"succeeded", "failed"} else None

        job = wait_until(done, timeout=600, what="the retried retrain to finish")
        assert job["status"] == "succeeded", job
        assert job["attempts"] == 2
        messages = [line["message"] for line in job["logs"]]
        assert any(message.startswith("interrupted (last heartbeat") for message in messages)
        assert job["result"]["promoted"] + job["result"]["refused"] == 8
        models = httpx.get(f"{base}/models").json()["models"]

    store = ModelStore(f"sqlite:///{model_store_ready}", artifact_dir=var_dir / "mlartifacts")
    assert len(models) == 8
    for model in models:
        champion = store.champion(model["task"])
        run = store.client.get_run(champion.info.run_id)
        assert run.info.status == "FINISHED"
        assert champion.model is not None
    database.dispose()
