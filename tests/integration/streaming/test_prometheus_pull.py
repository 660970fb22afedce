"""The prometheus-pull job against a small real HTTP server speaking query_range JSON."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient

from opscast.db import Database
from opscast.errors import InvalidInputError
from opscast.jobs import service as jobs
from opscast.jobs.catalog import job_handlers
from opscast.jobs.runner import JobRunner
from opscast.jobs.tables import JobStatus
from opscast.registry import ModelStore
from opscast.series.repository import SeriesRepository
from opscast.streaming.prometheus_pull import KIND, pull

ClientFactory = Callable[..., TestClient]
NOW = 1_771_999_980.0  # a fixed "now", a multiple of 60 s


class QueryRange(BaseHTTPRequestHandler):
    """Two instances of a memory gauge rising 0.1 %/step, and a NaN sample to skip."""

    queries: list[dict[str, list[str]]] = []  # noqa: RUF012

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        QueryRange.queries.append(query)
        if url.path != "/api/v1/query_range" or query.get("query") == ["broken("]:
            body = {"status": "error", "errorType": "bad_data", "error": "parse error"}
            self._send(400, body)
            return
        start, end, step = (float(query[key][0]) for key in ("start", "end", "step"))
        stamps = [start + i * step for i in range(int((end - start) / step) + 1)]
        result = [
            {
                "metric": {"__name__": "node_memory_pct", "instance": f"10.0.0.{n}:9100"},
                "values": [
                    [stamp, "NaN" if i == 3 else f"{40 + n + 0.1 * i:.3f}"]
                    for i, stamp in enumerate(stamps)
                ],
            }
            for n in (1, 2)
        ]
        self._send(200, {"status": "success", "data": {"resultType": "matrix", "result": result}})

    def _send(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_args: Any) -> None:
        return


@pytest.fixture
def prometheus() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), QueryRange)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    QueryRange.queries = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


PARAMS = {"query": "node_memory_pct", "step": "1m", "range": "2h"}


def test_pull_reads_the_window_into_points(prometheus: str, settings: Any) -> None:
    batch = pull(settings, {"url": prometheus, **PARAMS}, now=NOW + 30)
    sent = QueryRange.queries[-1]
    assert sent["query"] == ["node_memory_pct"]
    assert float(sent["end"][0]) == NOW
    assert float(sent["start"][0]) == NOW - 7200
    assert float(sent["step"][0]) == 60
    hosts = {point.host for point in batch.points}
    assert hosts == {"10.0.0.1_9100", "10.0.0.2_9100"}, "':' is not allowed in stored names"
    assert len(batch.points) == 2 * (121 - 1), "the NaN sample is skipped"
    assert {point.metric for point in batch.points} == {"node_memory_pct"}
    again = pull(settings, {"url": prometheus, **PARAMS}, now=NOW + 50)
    assert again.batch_id == batch.batch_id, "the same window is the same batch"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"query": "up"}, "url"),
        ({"url": "ftp://x", "query": "up"}, "url"),
        ({"url": "PROM"}, "query"),
        ({"url": "PROM", "query": "up", "step": "soon"}, "step"),
        ({"url": "PROM", "query": "up", "step": "1s", "range": "30d"}, "step"),
        ({"url": "PROM", "query": "broken("}, "query"),
        ({"url": "http://127.0.0.1:1", "query": "up"}, "url"),
    ],
)
def test_bad_pulls_say_what_to_fix(
    prometheus: str, settings: Any, params: dict[str, str], field: str
) -> None:
    if params.get("url") == "PROM":
        params = {**params, "url": prometheus}
    with pytest.raises(InvalidInputError) as error:
        pull(settings, params, now=NOW)
    assert error.value.field == field


def test_the_job_stores_pulled_series(prometheus: str, database: Database, settings: Any) -> None:
    with database.session() as session:
        job_id = jobs.submit_job(
            session, kind=KIND, params={"url": prometheus, **PARAMS, "limit": 100}
        ).job.id
    runner = JobRunner(database, job_handlers(settings, ModelStore.from_settings(settings)))
    assert runner.run_next() == job_id
    with database.session() as session:
        job, _logs = jobs.get_job(session, job_id)
        assert job.status == JobStatus.succeeded, job.error
        assert job.result["series"] == 2
        assert job.result["published"] is False, "no stream runs in this process"
        repository = SeriesRepository(session)
        series = repository.get("10.0.0.1_9100:node_memory_pct")
        assert series is not None
        assert series.source == "prometheus"
        assert series.labels["limit"] == "100"
        assert len(repository.points_frame(series)) == job.result["points"] // 2


def test_a_pull_in_the_server_reaches_the_predictions(
    prometheus: str, client_factory: ClientFactory
) -> None:
    client = client_factory(job_poll_seconds=0.1, run_jobs=True)
    with client.app.state.services.database.session() as session:  # type: ignore[attr-defined]
        jobs.submit_job(session, kind=KIND, params={"url": prometheus, **PARAMS, "limit": 100})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ttf = client.get("/predictions/time-to-failure").json()
        if len(ttf) == 2:
            break
        time.sleep(0.2)
    assert {row["host"] for row in ttf} == {"10.0.0.1_9100", "10.0.0.2_9100"}
    # 41 % + 6 %/h at the end of the window (52.9 % at now): about 7.8 h to 100 %
    assert all(row["eta_hours"] == pytest.approx(7.85, rel=0.1) for row in ttf), ttf
