"""Per-series work, run in this process or on a Dask cluster, with progress and a time estimate.

A local model (one fit per series) splits over series into chunks that can run
anywhere and concatenate back unchanged, so the result is the same on one core or on a
cluster. Global models learn from every series at once and stay in the calling process.
The scheduler address is a parameter, never read from settings here: kernels take what
they need as arguments.

Chunks run in the order given, so work ranked by priority is cut at the least useful
end when a deadline passes; the estimate of the time left is the measured time per
series so far times the series still to go.

Without a cluster the chunks run on every core of this machine (``jobs`` worker
processes, all cores by default): a per-series fit is pure CPU, so one core would leave
the others idle while statsforecast's own ``n_jobs=-1`` uses them all. Where the calling
process runs other threads (the server's request handlers, jobs, stream pipeline) it is
not forked: a child can inherit one of their locks in its held state and wait on it
forever. The workers then come from a fork server that imported the models once.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from multiprocessing.context import BaseContext
from types import TracebackType
from typing import Any, Self

import pandas as pd

from opscast.forecasting.backtest import SeriesTooShortError, cross_validate
from opscast.forecasting.protocol import Forecaster, ForecastingError

Progress = Callable[[str], None]
ChunkWork = Callable[[pd.DataFrame], pd.DataFrame]
DASK_HINT = "distributed fitting needs Dask; install it with: pip install 'opscast[dask]'"
LOCAL_CHUNKS = 20  # progress updates per stage when running here
MIN_LOCAL_CHUNK = 25  # series: below that a chunk's fixed cost outweighs a progress update
CHUNKS_PER_THREAD = 4  # enough to balance uneven series over a cluster's threads
# series per chunk under a deadline: a started chunk runs to its end, so small chunks
# keep the overshoot of a slow model (AutoTheta on a season of 52: 4 s a fit) to one
# series per worker
TIMED_CHUNK = 1
# imported once by the fork server, not by every worker it starts
WORKER_PRELOAD = ["opscast.forecasting.forecast", "statsforecast.models"]


def available_cores() -> int:
    """The cores this process may run on (a container's or taskset's limit, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def resolve_jobs(jobs: int | None) -> int:
    """``None`` or 0 means every core; a negative count leaves that many cores free, as
    joblib's ``-1`` (all) and ``-2`` (all but one) do."""
    cores = available_cores()
    if not jobs:
        return cores
    if jobs < 0:
        return max(1, cores + 1 + jobs)
    return jobs


def worker_context() -> BaseContext:
    """Plain fork from a process that runs nothing else, the fork server beside threads.

    Fork is the fastest start and needs no ``if __name__ == "__main__"`` guard in a
    user's script. A command line with a progress bar is still "nothing else": the bar's
    refresh thread is a daemon that only writes to the terminal. Called from any other
    thread (a request handler, a job), or with other threads alive that the process
    waits for, only the fork server is safe (see above).
    """
    methods = multiprocessing.get_all_start_methods()
    others = [thread for thread in threading.enumerate() if thread is not threading.main_thread()]
    alone = threading.current_thread() is threading.main_thread() and all(
        thread.daemon for thread in others
    )
    if alone and "fork" in methods:
        return multiprocessing.get_context("fork")
    if "forkserver" not in methods:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(WORKER_PRELOAD)
    return context


def fit_predict(make_model: Callable[[], Forecaster], h: int, chunk: pd.DataFrame) -> pd.DataFrame:
    return make_model().fit(chunk).predict(h)


def backtest_chunk(
    make_model: Callable[[], Forecaster],
    h: int,
    n_windows: int,
    step: int | None,
    chunk: pd.DataFrame,
) -> pd.DataFrame:
    """Backtest points of a chunk; none (not an error) when its series are all too short."""
    try:
        return cross_validate(make_model, chunk, h=h, n_windows=n_windows, step=step)
    except SeriesTooShortError:
        return pd.DataFrame()


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    return f"{seconds / 60:.0f} min"


class SeriesRunner:
    """Runs a function of a long-format frame over chunks of its series."""

    def __init__(
        self,
        scheduler: str | None = None,
        *,
        on_step: Progress | None = None,
        jobs: int | None = None,
    ) -> None:
        self.scheduler = scheduler
        self.on_step = on_step
        self.jobs = resolve_jobs(jobs)
        self._client: Any = None
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._pool is not None:
            pool, self._pool = self._pool, None
            if error is None:
                pool.shutdown(cancel_futures=True)
                return
            # interrupted (Ctrl-C, a failed chunk): the chunks still running are of no
            # use, and waiting for them would keep the caller for as long as they take
            workers = list(pool._processes.values())
            pool.shutdown(wait=False, cancel_futures=True)
            for worker in workers:
                worker.terminate()

    def _local_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=worker_context())
        return self._pool

    def report(self, message: str) -> None:
        if self.on_step is not None:
            self.on_step(message)

    def _dask(self) -> Any:
        if self._client is None:
            try:
                from distributed import Client
            except ImportError:
                raise ForecastingError(DASK_HINT) from None
            try:
                self._client = Client(  # type: ignore[no-untyped-call]
                    self.scheduler, set_as_default=False, timeout="10s"
                )
            except OSError as exc:
                raise ForecastingError(
                    f"cannot reach the Dask scheduler at {self.scheduler}: {exc}"
                ) from None
        return self._client

    def _chunk_count(self, n_series: int, *, timed: bool = False) -> int:
        if self.scheduler is None and timed:
            return max(1, n_series // TIMED_CHUNK)
        if self.scheduler is None:
            wanted = max(LOCAL_CHUNKS, CHUNKS_PER_THREAD * self.jobs)
            return max(1, min(wanted, n_series // MIN_LOCAL_CHUNK))
        threads = sum(self._dask().nthreads().values()) or 1
        return min(n_series, CHUNKS_PER_THREAD * threads)

    def _chunks(
        self, df: pd.DataFrame, ids: Sequence[Any] | None, *, timed: bool = False
    ) -> list[pd.DataFrame]:
        order = pd.Index(ids if ids is not None else df["unique_id"].unique())
        if order.empty:
            return []
        frame = df[df["unique_id"].isin(order)]
        rank = pd.Series(range(len(order)), index=order)
        frame = frame.assign(_rank=frame["unique_id"].map(rank).to_numpy())
        frame = frame.sort_values(["_rank", "ds"], kind="stable", ignore_index=True)
        size = math.ceil(len(order) / self._chunk_count(len(order), timed=timed))
        bounds = frame["_rank"].searchsorted(range(0, len(order), size)).tolist()
        bounds.append(len(frame))
        clean = frame.drop(columns="_rank")
        return [clean.iloc[start:end] for start, end in itertools.pairwise(bounds)]

    def run(
        self,
        work: ChunkWork,
        df: pd.DataFrame,
        label: str,
        *,
        ids: Sequence[Any] | None = None,
        deadline: float | None = None,
    ) -> pd.DataFrame:
        """``work`` on every chunk, concatenated; chunks not started by ``deadline`` are skipped.

        ``ids`` restricts and orders the series (most important first).
        """
        chunks = self._chunks(df, ids, timed=deadline is not None)
        sizes = [int(chunk["unique_id"].nunique()) for chunk in chunks]
        total = sum(sizes)
        started = time.monotonic()
        done = 0
        results: dict[int, pd.DataFrame] = {}

        def progress(finished: int) -> None:
            elapsed = time.monotonic() - started
            left = elapsed / max(finished, 1) * (total - finished)
            where = "" if self.scheduler is None else " on dask"
            self.report(f"{label}{where}: {finished}/{total} series, ~{duration(left)} left")

        self.report(f"{label}: {total} series")
        if self.scheduler is None and (self.jobs == 1 or len(chunks) == 1):
            for index, chunk in enumerate(chunks):
                if deadline is not None and time.monotonic() > deadline:
                    break
                results[index] = work(chunk)
                done += sizes[index]
                progress(done)
        elif self.scheduler is None:
            pool = self._local_pool()
            # at most one chunk queued per worker beyond the running ones (none under a
            # deadline), so a deadline leaves the least important chunks unstarted
            pending: dict[Future[pd.DataFrame], int] = {}
            queue = iter(enumerate(chunks))
            in_flight = self.jobs if deadline is not None else 2 * self.jobs
            for index, chunk in itertools.islice(queue, in_flight):
                pending[pool.submit(work, chunk)] = index
            while pending:
                ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in ready:
                    index = pending.pop(future)
                    results[index] = future.result()
                    done += sizes[index]
                    progress(done)
                if deadline is None or time.monotonic() <= deadline:
                    for index, chunk in itertools.islice(queue, len(ready)):
                        pending[pool.submit(work, chunk)] = index
        else:
            from distributed import as_completed

            client = self._dask()
            futures = client.map(work, client.scatter(chunks), pure=False)
            position = {future.key: index for index, future in enumerate(futures)}
            finished = as_completed(futures, loop=client.loop)  # type: ignore[no-untyped-call]
            for future in finished:
                index = position[future.key]
                results[index] = future.result()
                done += sizes[index]
                progress(done)
                if deadline is not None and time.monotonic() > deadline:
                    client.cancel([f for f in futures if not f.done()])
                    break
        parts = [results[index] for index in sorted(results) if not results[index].empty]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
