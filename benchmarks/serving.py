"""Latency of POST /forecast with a loaded champion, next to a bare FastAPI endpoint.

Run: ``.venv/bin/python benchmarks/serving.py [--quick] [--shadow] [--rounds R]
[--requests N] [--concurrency C[,C...]]`` (default: 8 and 32 in flight).

Two servers run on loopback ports, each a uvicorn process with the same options: the
opscast service (demo incident data, champions trained before timing starts) and the
peer, a bare FastAPI app whose POST endpoint validates the same body and returns a
constant. One httpx async client sends the same number of requests to each with a
fixed number in flight, after a warm-up, and records every latency. The ratio of the
two medians is what opscast's serving path (middleware, auth, a database session, the
champion cache check, the reconciled-forecast cache) costs over the framework's floor.

With ``--shadow`` the served task also gets a challenger and a third server runs the
same opscast with ``OPSCAST_SHADOW=true``: the ratio of its median to the plain
opscast median is what shadow scoring costs a request (it runs off the request path,
but shares the process and its CPU).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

BODY = {"category": "Software", "granularity": "quarterly", "future_periods": 4}
HERE = Path(__file__).resolve()
SHADOWED = "opscast POST /forecast, shadow mode on"


class Body(BaseModel):
    category: str
    granularity: str
    future_periods: int


def bare_app() -> FastAPI:
    """The peer: FastAPI validating a request model of the same fields, answering a constant."""
    app = FastAPI()
    answer = {
        "category": "Software",
        "granularity": "quarterly",
        "forecast": [{"date": "2026-01-01", "predicted_value": 1.0}] * 4,
    }

    @app.post("/forecast")
    def forecast(body: Body) -> dict[str, object]:
        return answer

    return app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(var_dir: Path, *, challenger: bool) -> None:
    """Demo incidents stored and Software's four champions trained, before any timing.

    With ``challenger`` the quarterly task also gets a naive challenger to shadow.
    """
    from opscast.config import Settings
    from opscast.db import Database
    from opscast.demo import DEMO_SETS, load_demo_set
    from opscast.incidents.service import IncidentForecaster
    from opscast.registry import ModelStore
    from opscast.timeseries import Granularity

    settings = Settings(var_dir=var_dir)
    database = Database(settings.resolved_database_url)
    database.migrate()
    incidents = next(demo for demo in DEMO_SETS if demo.kind == "incidents")
    with database.session() as session:
        load_demo_set(session, incidents)
    forecaster = IncidentForecaster(ModelStore.from_settings(settings))
    with database.session() as session:
        served = forecaster.forecast(session, "Software", Granularity.quarterly, 4)
    if challenger:
        from opscast.forecasting.zoo import ModelSpec, single_model
        from opscast.incidents.service import daily_counts
        from opscast.incidents.training import LevelModel, complete_periods

        with database.session() as session:
            quarters = complete_periods(daily_counts(session, "Software"), Granularity.quarterly)
        fitted = single_model("naive", ModelSpec(freq="QS"))().fit(quarters)
        model = LevelModel(fitted, "naive", Granularity.quarterly, quarters["ds"].max())
        store = forecaster.store
        version = store.register(
            served.task,
            model,
            data=quarters,
            params={"model": "naive", "category": "Software"},
            metrics={"mae": 1.0, "rmse": 1.0, "mape": 1.0, "smape": 1.0, "mase": 1.0},
        )
        store.set_alias(served.task, "challenger", version.version)
    database.dispose()


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process
        except OSError:
            if process.poll() is not None:
                reason = process.stderr.read().decode() if process.stderr else "exited"
                raise RuntimeError(reason) from None
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server on port {port} did not start")


async def measure(url: str, requests: int, concurrency: int, warmup: int) -> list[float]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(warmup + requests):
        queue.put_nowait(number)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=300) as client:

        async def worker() -> None:
            while not queue.empty():
                number = queue.get_nowait()
                began = time.perf_counter()
                response = await client.post(url, json=BODY)
                elapsed = time.perf_counter() - began
                if response.status_code != 200:
                    raise RuntimeError(f"{url}: {response.status_code} {response.text[:200]}")
                if number >= warmup:
                    latencies.append(elapsed)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def in_rounds(
    servers: dict[str, int], rounds: int, per_round: int, concurrency: int, warmup: int
) -> dict[str, list[float]]:
    """Latencies per server, the servers taking turns so drifting load hits each alike."""
    results: dict[str, list[float]] = {name: [] for name in servers}
    for _ in range(rounds):
        for name, port in servers.items():
            url = f"http://127.0.0.1:{port}/forecast"
            results[name] += asyncio.run(measure(url, per_round, concurrency, warmup))
    return results


def report(results: dict[str, list[float]], concurrency: int) -> None:
    bare = results["bare FastAPI constant"]
    floor = statistics.median(bare)
    floor_p99 = percentile(bare, 0.99)
    floor_rate = concurrency / statistics.mean(bare)
    print("| endpoint | p50 ms | p99 ms | requests/s | p50 ratio | p99 ratio | requests/s ratio |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, latencies in results.items():
        p50, p99 = statistics.median(latencies), percentile(latencies, 0.99)
        throughput = concurrency / statistics.mean(latencies)
        print(
            f"| {name} | {p50 * 1000:.1f} | {p99 * 1000:.1f} | {throughput:,.0f} | "
            f"{p50 / floor:.1f}x | {p99 / floor_p99:.1f}x | {throughput / floor_rate:.2f}x |"
        )
    if SHADOWED in results:
        plain = statistics.median(results["opscast POST /forecast (seed example)"])
        print(f"\nshadow mode on / off, p50: {statistics.median(results[SHADOWED]) / plain:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="300 requests instead of 2,000")
    parser.add_argument("--requests", type=int, default=None)
    parser.add_argument(
        "--concurrency", default="8,32", help="requests in flight; several, comma-separated"
    )
    parser.add_argument(
        "--shadow", action="store_true", help="also time opscast with shadow scoring on"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="split the requests into rounds, servers alternating"
    )
    parser.add_argument("--serve-bare", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare is not None:
        import uvicorn

        uvicorn.run(
            bare_app(),
            host="127.0.0.1",
            port=args.serve_bare,
            log_level="warning",
            access_log=False,
        )  # type: ignore[arg-type]
        return
    requests = args.requests or (300 if args.quick else 2000)
    warmup = max(20, requests // 20)

    with tempfile.TemporaryDirectory() as scratch:
        var_dir = Path(scratch) / "var"
        began = time.perf_counter()
        prepare(var_dir, challenger=args.shadow)
        print(f"prepared demo data and champions in {time.perf_counter() - began:.1f} s")
        env = {
            **os.environ,
            "OPSCAST_VAR_DIR": str(var_dir),
            "OPSCAST_TRAIN_ON_START": "false",
            "OPSCAST_LOG_LEVEL": "WARNING",
            # the benchmark is one client on purpose: it must not meet the per-key limit
            "OPSCAST_RATE_LIMIT_PER_MINUTE": "0",
        }
        opscast_port, bare_port = free_port(), free_port()
        opscast = start(
            [sys.executable, "-m", "opscast", "serve", "--port", str(opscast_port)],
            env,
            opscast_port,
        )
        bare = start([sys.executable, str(HERE), "--serve-bare", str(bare_port)], env, bare_port)
        servers = {
            "opscast POST /forecast (seed example)": opscast_port,
            "bare FastAPI constant": bare_port,
        }
        processes = [opscast, bare]
        if args.shadow:
            shadow_port = free_port()
            processes.append(
                start(
                    [sys.executable, "-m", "opscast", "serve", "--port", str(shadow_port)],
                    {**env, "OPSCAST_SHADOW": "true"},
                    shadow_port,
                )
            )
            servers[SHADOWED] = shadow_port
        per_round = max(1, requests // args.rounds)
        levels = [int(level) for level in str(args.concurrency).split(",")]
        try:
            results = {
                level: in_rounds(servers, args.rounds, per_round, level, warmup) for level in levels
            }
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    print(f"{' '.join(process.args)} ignored SIGTERM for 30 s; killed")  # type: ignore[arg-type]
                    process.kill()
                    process.wait()

    for level, measured in results.items():
        print(
            f"\n{per_round * args.rounds} requests each in {args.rounds} round(s), "
            f"{level} in flight, after {warmup} warm-up requests per round\n"
        )
        report(measured, level)


if __name__ == "__main__":
    main()
