"""opscast served by several workers, scraped by a real Prometheus running the repository's rules.

One ``opscast serve --workers 2`` and one ``prometheus`` (its own storage in a temporary
directory, scraping every second) are shared by the module; gunicorn gets its own.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import urllib.error
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from deploy_stack import all_promql, require_tool, rules, running_prometheus
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from opscast_process import (
    STARTUP_SECONDS,
    Server,
    http_get,
    http_json,
    running_opscast,
    wait_for,
)

pytestmark = pytest.mark.slow

ROUTE = "/series/{unique_id}/points"
# Grafana fills these in before a query reaches Prometheus.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "15s", "$__range": "1h"}
SETTLE_SECONDS = 60


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    var_dir = tmp_path_factory.mktemp("uvicorn") / "var"
    var_dir.mkdir()
    command = [sys.executable, "-m", "opscast", "serve", "--workers", "2"]
    with running_opscast(command, var_dir) as server:
        yield server


def counts_by_worker(server: Server) -> dict[int, float]:
    """Requests to ROUTE that each worker process recorded in its own metric file."""
    counts = {}
    for path in server.multiproc_dir.glob("counter_*.db"):
        total = 0.0
        for key, value, _, _ in MmapedDict.read_all_values_from_file(str(path)):
            _, sample, labels, _ = json.loads(key)
            if sample == "opscast_http_requests_total" and labels.get("path") == ROUTE:
                total += value
        counts[int(path.stem.removeprefix("counter_"))] = total
    return counts


def exposed_count(url: str) -> float:
    """The ROUTE request count as a scrape of ``url`` reports it, over all status codes."""
    total = 0.0
    for family in text_string_to_metric_families(http_get(url).decode()):
        for sample in family.samples:
            if sample.name == "opscast_http_requests_total" and sample.labels["path"] == ROUTE:
                total += sample.value
    return total


def _request(url: str) -> None:
    """One request to ROUTE for a series that does not exist: a 404, counted like any other."""
    with pytest.raises(urllib.error.HTTPError) as refused:
        http_get(url)
    assert refused.value.code == 404


def spread_requests(server: Server) -> int:
    """Concurrent requests until both workers have answered some; returns how many were sent.

    Answering /health proves one worker is up; the other may still be starting, so this
    goes on for up to STARTUP_SECONDS rather than a fixed number of requests.
    """
    sent = 0
    deadline = time.monotonic() + STARTUP_SECONDS
    with ThreadPoolExecutor(max_workers=8) as pool:
        while time.monotonic() < deadline:
            urls = [f"{server.api}/series/spread-{sent + i}/points" for i in range(40)]
            list(pool.map(_request, urls))
            sent += len(urls)
            if sum(1 for count in counts_by_worker(server).values() if count) >= 2:
                return sent
            time.sleep(0.5)
    pytest.fail(f"{sent} requests all went to one worker: {counts_by_worker(server)}")


def test_requests_served_by_both_workers_appear_summed_in_metrics(workers: Server) -> None:
    before = exposed_count(workers.metrics)
    sent = spread_requests(workers)
    eventually(lambda: exposed_count(workers.metrics) - before == sent, f"{sent} requests counted")
    by_worker = counts_by_worker(workers)
    assert sum(1 for count in by_worker.values() if count) == 2, by_worker
    assert sum(by_worker.values()) - before == sent
    assert exposed_count(workers.metrics) - before == sent
    # the API port's /metrics, answered by whichever worker takes the scrape, agrees
    for _ in range(6):
        assert exposed_count(f"{workers.api}/metrics") - before == sent


# --- Prometheus -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def prometheus(workers: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_prometheus(workers.metrics_port, tmp_path_factory.mktemp("prometheus")) as url:
        yield url


def query(prometheus: str, expr: str) -> dict[str, Any]:
    """The /api/v1/query answer; a PromQL error becomes an assertion with Prometheus's reason."""
    url = f"{prometheus}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    try:
        answer: dict[str, Any] = http_json(url)
    except urllib.error.HTTPError as error:
        pytest.fail(f"{expr!r}: {error.read().decode()}")
    assert answer["status"] == "success", answer
    return answer


def eventually(check: Any, what: str) -> Any:
    deadline = time.monotonic() + SETTLE_SECONDS
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"not within {SETTLE_SECONDS} s: {what}")
        time.sleep(0.5)


def test_prometheus_scrapes_request_counts_from_opscast(workers: Server, prometheus: str) -> None:
    _request(f"{workers.api}/series/scraped/points")
    samples = eventually(
        lambda: query(prometheus, "opscast_http_requests_total")["data"]["result"],
        "opscast_http_requests_total in Prometheus",
    )
    assert {sample["metric"]["job"] for sample in samples} == {"opscast"}
    routes = {sample["metric"]["path"] for sample in samples}
    assert ROUTE in routes
    (up,) = query(prometheus, 'up{job="opscast"}')["data"]["result"]
    assert up["value"][1] == "1"


def test_recording_rules_record_from_live_data(workers: Server, prometheus: str) -> None:
    _request(f"{workers.api}/series/recorded/points")
    eventually(
        lambda: query(prometheus, "opscast:http_requests:rate5m")["data"]["result"],
        "a sample of opscast:http_requests:rate5m",
    )


def test_every_rule_evaluates_without_error(prometheus: str) -> None:
    def evaluated() -> list[dict[str, Any]] | None:
        groups = http_json(f"{prometheus}/api/v1/rules")["data"]["groups"]
        found = [rule for group in groups for rule in group["rules"]]
        return found if all(rule["health"] != "unknown" for rule in found) else None

    found = eventually(evaluated, "every rule evaluated once")
    assert {rule["name"] for rule in found} == {r.get("record") or r["alert"] for r in rules()}
    assert [(rule["name"], rule.get("lastError")) for rule in found if rule["health"] != "ok"] == []


@pytest.mark.parametrize(("where", "expr"), all_promql(), ids=[w for w, _ in all_promql()])
def test_promql_evaluates_in_prometheus(prometheus: str, where: str, expr: str) -> None:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    assert "$" not in expr, f"{where}: unknown Grafana variable in {expr}"
    query(prometheus, expr)


# --- gunicorn -------------------------------------------------------------------------


def test_gunicorn_worker_death_keeps_counts_and_drops_its_live_gauge(tmp_path: Path) -> None:
    require_tool("gunicorn", "the gunicorn extra")
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:opscast.gunicorn_conf",
        "opscast.api.app:create_app()",
    ]
    with running_opscast(command, var_dir, OPSCAST_WORKERS="2") as server:
        sent = spread_requests(server)
        # a request is counted just after its response is sent: let the last one land
        eventually(lambda: exposed_count(server.metrics) == sent, f"{sent} requests counted")
        victim = next(pid for pid, count in counts_by_worker(server).items() if count)
        live_gauge = server.multiproc_dir / f"gauge_livesum_{victim}.db"
        assert live_gauge.exists()
        os.kill(victim, signal.SIGKILL)
        eventually(lambda: not live_gauge.exists(), "gunicorn's child_exit hook ran")
        # the dead worker's requests still count; a replacement serves new ones
        assert exposed_count(server.metrics) == sent
        wait_for(f"{server.api}/health", server.process, server.log)
        _request(f"{server.api}/series/after-restart/points")
        eventually(lambda: exposed_count(server.metrics) == sent + 1, "the new request counted")
