"""Server time of every dashboard page with the demo data, beside a bare FastAPI page.

Run: ``.venv/bin/python benchmarks/dashboard_pages.py [--requests N]``.

opscast is started as ``make run`` starts it (``opscast demo``, then ``opscast serve``,
models not trained on start so that training does not share the CPU with the timing)
on a free loopback port. The peer is a bare FastAPI app on its own uvicorn process that
answers the overview page's bytes as a constant: the framework's floor for sending a
page that size. Each page is requested ``N`` times one after another (a person opens one
page at a time) after three warm-up requests; on loopback the wall time of a request is
the server's time plus well under a millisecond. The fragments a page loads as soon as it
opens (its live panels) are timed as pages of their own. The budget is 300 ms each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import httpx
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from load import cpu_seconds
from serving import free_port, percentile, start

PAGES = {
    "Overview": "/ui",
    "Overview's live panel": "/ui/fragments/overview",
    "Models' errors panel": "/ui/fragments/model-errors",
    "Jobs panel": "/ui/fragments/jobs",
    "Forecasts": "/ui/forecasts",
    "Anomalies": "/ui/anomalies",
    "Alerts": "/ui/alerts",
    "Tickets": "/ui/tickets",
    "Ticket detail": "/ui/tickets/1",
    "Drift": "/ui/drift",
    "Models": "/ui/models",
    "Demand": "/ui/demand",
    "Scaling": "/ui/scaling",
    "Series": "/ui/series",
    "Series detail": "/ui/series/web",
}
BUDGET_MS = 300.0
PEER = "bare FastAPI, the overview's bytes as a constant (peer)"


def bare_page_app(page: bytes) -> FastAPI:
    app = FastAPI()

    @app.get("/page")
    def constant_page() -> HTMLResponse:
        return HTMLResponse(page)

    return app


class Timing(NamedTuple):
    seconds: list[float]  # wall time of each timed request
    cpu: float  # the server's CPU seconds per request
    status: int
    size: int


def timed(client: httpx.Client, url: str, requests: int, pid: int) -> Timing:
    """Each request's wall time after the warm-up, and the server's CPU time per request:
    on a busy machine the wall time includes waiting for a core, the CPU time does not."""
    for _ in range(3):
        client.get(url)
    seconds = []
    reply = None
    cpu_before = cpu_seconds(pid)
    for _ in range(requests):
        began = time.perf_counter()
        reply = client.get(url)
        seconds.append(time.perf_counter() - began)
    cpu = (cpu_seconds(pid) - cpu_before) / requests
    assert reply is not None
    return Timing(seconds, cpu, reply.status_code, len(reply.content))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="timed requests per page")
    parser.add_argument("--serve-bare", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare is not None:
        import uvicorn

        app = bare_page_app(args.serve_bare.read_bytes())
        uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")
        return

    with tempfile.TemporaryDirectory() as tmp:
        var_dir = Path(tmp) / "var"
        env = {
            **os.environ,
            "OPSCAST_VAR_DIR": str(var_dir),
            "OPSCAST_LOG_LEVEL": "WARNING",
            "OPSCAST_TRAIN_ON_START": "false",
        }
        opscast = [sys.executable, "-m", "opscast"]
        subprocess.run([*opscast, "demo"], env=env, check=True, capture_output=True)
        port = free_port()
        server = start([*opscast, "serve", "--port", str(port)], env, port)
        rows: list[tuple[str, Timing]] = []
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
                client.get("/models")  # the first read of a new MLflow store migrates it
                for name, path in PAGES.items():
                    rows.append(
                        (f"{name} `{path}`", timed(client, path, args.requests, server.pid))
                    )
                overview = client.get("/ui").content
        finally:
            server.terminate()
            server.wait(timeout=30)
        page_file = Path(tmp) / "overview.html"
        page_file.write_bytes(overview)
        bare_port = free_port()
        bare = start(
            [sys.executable, __file__, "--serve-bare", str(page_file), "--port", str(bare_port)],
            env,
            bare_port,
        )
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{bare_port}", timeout=60) as client:
                rows.append((PEER, timed(client, "/page", args.requests, bare.pid)))
        finally:
            bare.terminate()
            bare.wait(timeout=30)

    floor = statistics.median(rows[-1][1].seconds)
    print(f"{args.requests} sequential requests per page; load average {os.getloadavg()[0]:.1f}")
    print(
        "| page | status | KiB | p50 ms | p95 ms | server CPU ms | p50 / peer "
        "| within 300 ms (p95) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, timing in rows:
        p50 = statistics.median(timing.seconds) * 1000
        p95 = percentile(timing.seconds, 0.95) * 1000
        within = "yes" if p95 <= BUDGET_MS else "**no**"
        print(
            f"| {name} | {timing.status} | {timing.size / 1024:.0f} | {p50:.1f} | {p95:.1f} | "
            f"{timing.cpu * 1000:.1f} | {p50 / (floor * 1000):.1f}x | {within} |"
        )


if __name__ == "__main__":
    main()
