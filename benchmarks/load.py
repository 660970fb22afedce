"""Load on loopback: many clients for a fixed time on five endpoints, beside bare FastAPI.

Run: ``.venv/bin/python benchmarks/load.py [--duration 60] [--clients 64 256]
[--workers 1 2] [--endpoints forecast tickets collect predict demand]``; ``--quick`` is a 5 s
run at 64 clients on one worker.

Every server listens on 127.0.0.1 only and every request goes there. opscast runs as
``opscast serve --workers N`` on demo incidents with the champions trained before any
timing (``serving.py: prepare``), the traffic model of ``/forecast/predict`` trained too
and, for ``demand``, the store-demand model of ``POST /predict`` trained on simulated
sales through ``opscast demand prepare|features|train|evaluate``; the peer is one uvicorn process
of a bare FastAPI app with the same five routes,
each validating the same request model as opscast and answering a constant. Each cell
is a closed loop: ``clients`` coroutines each send a request, wait for the answer and
send the next until ``duration`` seconds have passed. A request that does not answer
2xx, or raises, is an error; errors are counted, never retried.

The client is one Python process (httpx on asyncio), so at 256 clients it can be the
bottleneck of the bare endpoint: the bare figures are a floor of what this client
measures, not of what FastAPI serves. The server's CPU seconds (the process and its
workers, from /proc) are printed beside the wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
from fastapi import FastAPI

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))

from serving import free_port, prepare  # noqa: E402

from opscast.demand.schemas import PredictIn  # noqa: E402
from opscast.incidents.schemas import ForecastRequest  # noqa: E402
from opscast.streaming.schemas import CollectIn  # noqa: E402
from opscast.tickets.schemas import TicketCreate  # noqa: E402
from opscast.traffic.schemas import PredictRequest  # noqa: E402

START = "2026-06-01T00:00:00"
DEMAND_START = "2022-01-01"
DEMAND_DAYS = 3 * 365
TRAFFIC_POINTS = 48
START_SECONDS = 600

Body = Callable[[int], dict[str, Any]]


def forecast_body(_number: int) -> dict[str, Any]:
    return {"category": "Software", "granularity": "quarterly", "future_periods": 4}


def ticket_body(number: int) -> dict[str, Any]:
    return {
        "title": f"Disk full on db-{number % 50}",
        "description": "The data volume is at 100 % and writes fail; please extend it.",
    }


def collect_body(number: int) -> dict[str, Any]:
    """A new minute per request, so every batch writes a point (none replaces another)."""
    minute = time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(1_780_000_000 + 60 * number))
    return {
        "source": "load",
        "points": [
            {"host": f"load-{number % 8}", "metric": "cpu_pct", "timestamp": minute, "value": 40.0}
        ],
    }


def predict_body(_number: int) -> dict[str, Any]:
    stamps = [
        time.strftime("%Y-%m-%dT%H:%M:00", time.gmtime(1_780_000_000 + 300 * i))
        for i in range(TRAFFIC_POINTS)
    ]
    return {
        "horizon": 12,
        "model_type": "xgboost",
        "timeframe": "5m",
        "data": [{"ds": ds, "y": 200.0 + 5 * (i % 12)} for i, ds in enumerate(stamps)],
    }


def demand_body(number: int) -> dict[str, Any]:
    """Seed 3's one row: a store-item of the simulated sales and a day they cover."""
    day = pd.Timestamp(DEMAND_START) + pd.Timedelta(days=500 + number % 300)
    return {"store": 1 + number % 2, "item": 1 + number % 3, "date": day.date().isoformat()}


ENDPOINTS: dict[str, tuple[str, Body]] = {
    "forecast": ("/forecast", forecast_body),
    "tickets": ("/tickets/", ticket_body),
    "collect": ("/collect", collect_body),
    "predict": ("/forecast/predict", predict_body),
    "demand": ("/predict", demand_body),
}


def bare_app() -> FastAPI:
    """The peer: the same five routes and request models, each answering a constant."""
    app = FastAPI()
    forecast = {"category": "Software", "forecast": [{"date": "2026-01-01", "value": 1.0}] * 4}

    @app.post("/forecast")
    def bare_forecast(body: ForecastRequest) -> dict[str, Any]:
        return forecast

    @app.post("/tickets/", status_code=201)
    def bare_ticket(body: TicketCreate) -> dict[str, Any]:
        return {"id": 1, "title": body.title, "classification": "storage", "priority": "high"}

    @app.post("/collect", status_code=201)
    def bare_collect(body: CollectIn) -> dict[str, Any]:
        return {"batch_id": "0", "points_written": len(body.points), "published": True}

    @app.post("/forecast/predict")
    def bare_predict(body: PredictRequest) -> dict[str, Any]:
        return {"predictions": [{"ds": START, "y": 1.0}] * body.horizon}

    @app.post("/predict")
    def bare_demand(body: PredictIn) -> dict[str, Any]:
        return {
            "store": body.store,
            "item": body.item,
            "date": body.date.isoformat(),
            "predicted_sales": 1.0,
            "model_version": 1,
        }

    return app


@dataclass
class Cell:
    """One server, one endpoint, one number of clients: every latency and every error."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0
    server_cpu: float = 0.0

    @property
    def requests_per_second(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _drive(base: str, endpoint: str, clients: int, duration: float, cell: Cell) -> None:
    path, body = ENDPOINTS[endpoint]
    numbers = itertools.count()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        stop_at = time.perf_counter() + duration

        async def one_client() -> None:
            while time.perf_counter() < stop_at:
                payload = body(next(numbers))
                began = time.perf_counter()
                try:
                    response = await client.post(path, json=payload)
                except httpx.HTTPError as exc:
                    cell.errors.append(f"{type(exc).__name__}: {exc}")
                    continue
                if response.is_success:
                    cell.latencies.append(time.perf_counter() - began)
                else:
                    cell.errors.append(f"{response.status_code}: {response.text[:200]}")

        began = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        cell.wall = time.perf_counter() - began


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (uvicorn's workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def run_cell(base: str, endpoint: str, clients: int, duration: float, pid: int | None) -> Cell:
    cell = Cell()
    before = cpu_seconds(pid) if pid else 0.0
    asyncio.run(_drive(base, endpoint, clients, duration, cell))
    cell.server_cpu = cpu_seconds(pid) - before if pid else 0.0
    return cell


def warm_up(base: str, endpoints: list[str]) -> None:
    """A few requests per endpoint first: the first ones load models and caches."""
    with httpx.Client(base_url=base, timeout=300) as client:
        for endpoint in endpoints:
            path, body = ENDPOINTS[endpoint]
            for number in range(5):
                response = client.post(path, json=body(10_000_000 + number))
                if not response.is_success:
                    raise RuntimeError(f"{path}: {response.status_code} {response.text[:300]}")


def prepare_traffic(var_dir: Path) -> None:
    """Train the traffic model that ``/forecast/predict`` serves, before any timing."""
    from opscast.config import Settings
    from opscast.db import Database
    from opscast.registry import ModelStore
    from opscast.traffic.schemas import Timeframe
    from opscast.traffic.service import TrafficForecasts

    settings = Settings(var_dir=var_dir)
    database = Database(settings.resolved_database_url)
    TrafficForecasts(settings, ModelStore.from_settings(settings), database).champion(
        "xgboost", Timeframe("5m")
    )
    database.dispose()


def prepare_demand(var_dir: Path) -> None:
    """Train the store-demand model that ``/predict`` serves on simulated sales (2 stores
    x 3 items x 3 years), through the CLI stages a user runs."""
    from opscast.simulate import simulate_demand

    frame = simulate_demand(stores=2, items=3, start=DEMAND_START, days=DEMAND_DAYS, seed=3)
    csv = var_dir.parent / "sales.csv"
    sales = frame.rename(columns={"ds": "date", "y": "sales"})[["date", "store", "item", "sales"]]
    sales.assign(sales=sales["sales"].astype(int)).to_csv(csv, index=False)
    env = {**os.environ, "OPSCAST_VAR_DIR": str(var_dir), "OPSCAST_LOG_LEVEL": "WARNING"}
    for stage in (["prepare", "--input", str(csv)], ["features"], ["train"], ["evaluate"]):
        command = [sys.executable, "-m", "opscast", "demand", *stage]
        subprocess.run(command, env=env, check=True, capture_output=True)


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """Start a server and wait until it answers; a busy machine can take minutes.

    Its output goes to a file: a pipe nobody reads fills up under load and blocks the
    server on its next log line.
    """
    log = Path(env["OPSCAST_VAR_DIR"]).parent / f"server-{port}.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2).is_success:
                return process
        except httpx.HTTPError:
            if process.poll() is not None:
                raise RuntimeError(log.read_text()[-4000:]) from None
        time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"server on port {port} did not start in {START_SECONDS} s")


@contextmanager
def servers(var_dir: Path, workers: list[int]) -> Iterator[dict[str, tuple[str, int]]]:
    """The bare peer and one opscast per worker count, all on 127.0.0.1: name -> (url, pid)."""
    env = {
        **os.environ,
        "OPSCAST_VAR_DIR": str(var_dir),
        "OPSCAST_HOST": "127.0.0.1",
        "OPSCAST_TRAIN_ON_START": "false",
        "OPSCAST_LOG_LEVEL": "WARNING",
        # the load comes from one client address on purpose: the per-key limit would answer
        # 429 to most of it (tests/integration/trust/test_limits.py covers that limit)
        "OPSCAST_RATE_LIMIT_PER_MINUTE": "0",
    }
    processes: list[subprocess.Popen[bytes]] = []
    found: dict[str, tuple[str, int]] = {}
    try:
        port = free_port()
        processes.append(start([sys.executable, str(HERE), "--serve-bare", str(port)], env, port))
        found["bare FastAPI"] = (f"http://127.0.0.1:{port}", processes[-1].pid)
        for count in workers:
            port, metrics_port = free_port(), free_port()
            command = [sys.executable, "-m", "opscast", "serve", "--host", "127.0.0.1"]
            command += ["--port", str(port), "--workers", str(count)]
            command += ["--metrics-port", str(metrics_port)]
            processes.append(start(command, env, port))
            found[f"opscast, {count} worker{'s' if count > 1 else ''}"] = (
                f"http://127.0.0.1:{port}",
                processes[-1].pid,
            )
        yield found
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def report(results: dict[tuple[str, str, int], Cell], duration: float) -> None:
    print(f"\n{duration:g} s per cell, closed loop, every server on 127.0.0.1\n")
    print(
        "| endpoint | clients | server | requests | errors | p50 ms | p99 ms | requests/s "
        "| server CPU s | p50 / bare | requests/s / bare |"
    )
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (endpoint, server, clients), cell in results.items():
        bare = results[(endpoint, "bare FastAPI", clients)]
        print(
            f"| {ENDPOINTS[endpoint][0]} | {clients} | {server} | {len(cell.latencies):,} "
            f"| {len(cell.errors)} | {cell.percentile(0.5) * 1000:.1f} "
            f"| {cell.percentile(0.99) * 1000:.1f} | {cell.requests_per_second:,.0f} "
            f"| {cell.server_cpu:.1f} | {cell.percentile(0.5) / bare.percentile(0.5):.1f}x "
            f"| {cell.requests_per_second / bare.requests_per_second:.2f}x |"
        )
    for key, cell in results.items():
        for error in sorted(set(cell.errors))[:3]:
            print(f"error {key}: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per cell")
    parser.add_argument("--clients", type=int, nargs="+", default=[64, 256])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--endpoints", nargs="+", choices=list(ENDPOINTS), default=list(ENDPOINTS))
    parser.add_argument("--quick", action="store_true", help="5 s, 64 clients, one worker")
    parser.add_argument("--serve-bare", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare is not None:
        import uvicorn

        uvicorn.run(bare_app(), host="127.0.0.1", port=args.serve_bare, log_level="warning")
        return
    if args.quick:
        args.duration, args.clients, args.workers = 5.0, [64], [1]
    with tempfile.TemporaryDirectory() as scratch:
        var_dir = Path(scratch) / "var"
        began = time.perf_counter()
        prepare(var_dir, challenger=False)
        prepare_traffic(var_dir)
        if "demand" in args.endpoints:
            prepare_demand(var_dir)
        print(f"prepared demo data and champions in {time.perf_counter() - began:.1f} s")
        results: dict[tuple[str, str, int], Cell] = {}
        with servers(var_dir, args.workers) as running:
            for url, _pid in running.values():
                warm_up(url, args.endpoints)
            for endpoint in args.endpoints:
                for clients in args.clients:
                    for name, (url, pid) in running.items():
                        cell = run_cell(url, endpoint, clients, args.duration, pid)
                        results[(endpoint, name, clients)] = cell
                        print(
                            f"{endpoint} {clients} clients {name}: "
                            f"{cell.requests_per_second:,.0f}/s, {len(cell.errors)} errors",
                            flush=True,
                        )
    report(results, args.duration)
    total_errors = sum(len(cell.errors) for cell in results.values())
    if total_errors:
        raise SystemExit(f"{total_errors} requests failed")


if __name__ == "__main__":
    main()
