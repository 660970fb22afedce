"""PostgreSQL restarted under a write load: clean refusals, no acknowledged point lost, recovery.

opscast runs as a real server process against a private PostgreSQL cluster. Writer
threads post batches of points to ``POST /series/points`` with timestamps no other batch
uses; the cluster is stopped for a moment and started again in the middle. Every answer
must be a 201 or a 503 that says the database is unavailable; every point of a 201 must
be stored afterwards; and writes must succeed again once PostgreSQL is back, without
restarting opscast.
"""

from __future__ import annotations

import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

import opscast
from opscast_process import running_opscast
from private_servers import private_postgres

WRITERS = 4
POINTS_PER_BATCH = 10
DOWN_SECONDS = 2.0
START = datetime(2026, 1, 1)


def stamp(minute: int) -> str:
    return (START + timedelta(minutes=minute)).isoformat()


class Writer(threading.Thread):
    """Posts batches until told to stop; remembers which points were acknowledged."""

    def __init__(self, api: str, number: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.api, self.unique_id, self.stop = api, f"writer-{number}", stop
        self.acknowledged: set[int] = set()
        self.refusals: list[tuple[int, str]] = []
        self.ok_after: list[float] = []

    def run(self) -> None:
        step = 0
        with httpx.Client(base_url=self.api, timeout=30) as client:
            while not self.stop.is_set():
                minutes = list(range(step, step + POINTS_PER_BATCH))
                step += POINTS_PER_BATCH
                body = {
                    "kind": "custom",
                    "source": "fault-test",
                    "points": [
                        {"unique_id": self.unique_id, "ds": stamp(minute), "y": 1.0}
                        for minute in minutes
                    ],
                }
                try:
                    response = client.post("/series/points", json=body)
                except httpx.HTTPError as exc:
                    self.refusals.append((0, f"{type(exc).__name__}: {exc}"))
                    continue
                if response.status_code == 201:
                    assert response.json()["points_written"] == POINTS_PER_BATCH
                    self.acknowledged.update(minutes)
                    self.ok_after.append(time.monotonic())
                else:
                    self.refusals.append((response.status_code, response.text))
                    time.sleep(0.05)


def stored_minutes(url: str, unique_id: str) -> set[int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT p.ds FROM series_points p JOIN series s ON s.id = p.series_id "
                "WHERE s.unique_id = :uid"
            ),
            {"uid": unique_id},
        ).all()
    engine.dispose()
    return {int((row[0] - START).total_seconds() // 60) for row in rows}


@pytest.mark.faults
def test_postgres_restart_during_writes_loses_no_acknowledged_point(
    var_dir: Path, model_store_ready: Path
) -> None:
    with private_postgres() as postgres:
        command = [sys.executable, "-m", "opscast", "serve"]
        env = {
            "OPSCAST_DATABASE_URL": postgres.url,
            "OPSCAST_TRAIN_ON_START": "false",
            # the server runs from another directory: import this opscast, not an installed one
            "PYTHONPATH": str(Path(opscast.__file__).parents[1]),
        }
        with running_opscast(command, var_dir, **env) as server:
            stop = threading.Event()
            writers = [Writer(server.api, number, stop) for number in range(WRITERS)]
            for writer in writers:
                writer.start()
            time.sleep(1.5)
            postgres.stop("fast")
            time.sleep(DOWN_SECONDS)
            postgres.start()
            back = time.monotonic()
            deadline = back + 30
            while time.monotonic() < deadline and not all(
                any(moment > back + 0.5 for moment in writer.ok_after) for writer in writers
            ):
                time.sleep(0.1)
            time.sleep(0.5)
            stop.set()
            for writer in writers:
                writer.join(timeout=30)
            log = server.log.read_text()

        refusals = [refusal for writer in writers for refusal in writer.refusals]
        acknowledged = sum(len(writer.acknowledged) for writer in writers)
        print(f"{acknowledged} points acknowledged, {len(refusals)} batches refused with 503")
        assert refusals, "the restart refused nothing: the fault never reached the service"
        for status, text_ in refusals:
            assert status == 503, f"{status}: {text_[:500]}\n{log[-3000:]}"
            assert "database is unavailable" in text_, text_
            assert "retry" in text_, text_
        for writer in writers:
            assert any(moment > back + 0.5 for moment in writer.ok_after), (
                f"{writer.unique_id} never wrote again after PostgreSQL came back"
            )
            stored = stored_minutes(postgres.url, writer.unique_id)
            lost = writer.acknowledged - stored
            assert not lost, f"{len(lost)} acknowledged points of {writer.unique_id} are missing"
            assert len(writer.acknowledged) > POINTS_PER_BATCH
