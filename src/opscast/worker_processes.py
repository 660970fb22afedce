"""Model fitting in a worker process, so that it never holds the server's GIL.

A request handler runs in a thread, but a thread does not protect the event loop: the
fitting libraries hold the GIL inside their compiled loops for seconds at a time, and
while they do the whole server, ``/health`` and ``/openapi.json`` included, stops
answering. A fit sent to a process of its own leaves this process free to serve.

The pool uses ``spawn``: forking a process that already runs threads (the server's
workers, the job runner) can copy a lock in its held state into the child. Workers live
as long as the server, so each pays its imports once. A worker that dies (killed, out
of memory) breaks the pool: the call raises and the next call starts a fresh one.
``OPSCAST_FIT_IN_PROCESS=false`` fits in the calling thread instead, for platforms
without ``spawn`` or for debugging a fit.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

ENABLED_VARIABLE = "OPSCAST_FIT_IN_PROCESS"
WORKERS_VARIABLE = "OPSCAST_FIT_WORKERS"
PARENT_CHECK_SECONDS = 1.0


def _enabled() -> bool:
    return os.environ.get(ENABLED_VARIABLE, "true").strip().lower() not in {"0", "false", "no"}


def _workers() -> int:
    configured = os.environ.get(WORKERS_VARIABLE, "")
    return int(configured) if configured.isdigit() and int(configured) > 0 else 2


def _follow_parent(parent: int) -> None:
    """In a worker: exit when the server that started it is gone (killed, not shut down)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="follow-parent", daemon=True).start()


class _FitPool:
    """The process's one pool, started on first use and replaced when a worker dies."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None

    def get(self) -> ProcessPoolExecutor:
        with self._guard:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    max_workers=_workers(),
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_follow_parent,
                    initargs=(os.getpid(),),
                )
            return self._pool

    def discard(self, pool: ProcessPoolExecutor) -> None:
        with self._guard:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def shutdown(self) -> None:
        with self._guard:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)


_pool = _FitPool()
atexit.register(_pool.shutdown)


def fit_in_worker(fit: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fit(*args, **kwargs)`` in a worker process; its exceptions re-raised here.

    ``fit`` must be a module-level function and its arguments and result picklable.
    """
    if not _enabled() or multiprocessing.parent_process() is not None:
        return fit(*args, **kwargs)
    pool = _pool.get()
    try:
        return pool.submit(fit, *args, **kwargs).result()
    except BrokenProcessPool:
        _pool.discard(pool)
        raise
