"""Where a request's time goes: a sampling profile of one endpoint under concurrent clients.

Run: ``.venv/bin/python benchmarks/request_profile.py [--endpoint forecast|tickets|
collect|predict|demand] [--clients 32] [--seconds 20]``

The app runs in this process (demo incidents and champions prepared as in
``serving.py``) and an httpx client drives it over ASGI with ``--clients`` requests in
flight, so the sync handlers run on the same thread pool as under uvicorn. A sampler
thread reads every other thread's stack each millisecond (what py-spy does from outside)
and counts, for each function, the samples in which it was on a busy stack; threads
waiting for work (a lock, a queue, the selector) are not busy. The table lists the
functions of opscast, SQLAlchemy, FastAPI, Starlette, pydantic and pandas by their share
of busy samples: a function that takes a large share does per-request work worth moving.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType

import httpx

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))

from load import ENDPOINTS, prepare_demand, prepare_traffic  # noqa: E402
from serving import prepare  # noqa: E402

# a thread whose innermost frame is one of these is waiting, not working
IDLE = ("wait", "select", "get", "_worker", "run_forever", "_run_once", "acquire", "sleep")
SHOWN = ("opscast", "sqlalchemy", "fastapi", "starlette", "pydantic", "pandas", "anyio")


def _busy(frame: FrameType) -> bool:
    return frame.f_code.co_name not in IDLE


def _label(frame: FrameType) -> str:
    path = frame.f_code.co_filename
    for package in SHOWN:
        marker = f"/{package}/"
        if marker in path:
            return f"{package}/{path.split(marker, 1)[1]}:{frame.f_code.co_name}"
    return ""


class Sampler:
    """Counts, per function, the busy samples it appeared in (once per stack)."""

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.counts: Counter[str] = Counter()
        self.busy = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        own = threading.get_ident()
        while not self._stop.wait(self.interval):
            for ident, frame in sys._current_frames().items():
                if ident == own or not _busy(frame):
                    continue
                self.busy += 1
                seen: set[str] = set()
                current: FrameType | None = frame
                while current is not None:
                    label = _label(current)
                    if label and label not in seen:
                        seen.add(label)
                        self.counts[label] += 1
                    current = current.f_back


async def drive(endpoint: str, clients: int, seconds: float, var_dir: Path) -> int:
    from opscast.api.app import create_app
    from opscast.config import Settings

    settings = Settings(
        var_dir=var_dir,
        train_on_start=False,
        demand_train_on_start=False,
        log_level="WARNING",
        rate_limit_per_minute=0,
    )
    app = create_app(settings)
    path, body = ENDPOINTS[endpoint]
    done = 0
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://opscast") as client:
            for number in range(5):  # warm-up: models and caches load on first use
                (await client.post(path, json=body(number))).raise_for_status()
            stop_at = time.perf_counter() + seconds

            async def one_client() -> None:
                nonlocal done
                while time.perf_counter() < stop_at:
                    (await client.post(path, json=body(done))).raise_for_status()
                    done += 1

            with Sampler() as sampler:
                await asyncio.gather(*(one_client() for _ in range(clients)))
    report(sampler, done, seconds)
    return done


def report(sampler: Sampler, done: int, seconds: float, top: int = 25) -> None:
    rate = done / seconds
    print(f"\n{done} requests in {seconds:g} s ({rate:,.0f}/s), {sampler.busy} busy samples\n")
    print("| share of busy samples | function |")
    print("| ---: | --- |")
    for label, count in sampler.counts.most_common(top):
        print(f"| {count / max(1, sampler.busy):.0%} | `{label}` |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", choices=list(ENDPOINTS), default="forecast")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        var_dir = Path(scratch) / "var"
        prepare(var_dir, challenger=False)
        if args.endpoint == "predict":
            prepare_traffic(var_dir)
        if args.endpoint == "demand":
            prepare_demand(var_dir)
        asyncio.run(drive(args.endpoint, args.clients, args.seconds, var_dir))


if __name__ == "__main__":
    main()
