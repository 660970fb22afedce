"""One piece of work in a daemon thread that the service starts, stops and reports on.

The service trains missing models on start in such threads (incident champions, the
demand model): a thread, not an asyncio task, because fitting is CPU-bound library code
that releases the GIL in its numeric kernels, so requests keep flowing. What every such
thread shares lives here, once: starting, asking it to stop at its next checkpoint,
waiting for it (the CLI and tests), and turning a crash into a one-line error for
``/health`` instead of a dead thread nobody notices.
"""

from __future__ import annotations

import threading

from opscast.observability import get_logger

log = get_logger(__name__)


class StopRequestedError(Exception):
    """Raised by ``checkpoint`` to leave the work when the service is shutting down."""


class BackgroundThread:
    """Subclasses implement ``work`` and report progress under ``lock``.

    ``finished`` is true once the work ran to its end or crashed (then ``error`` says
    why); a thread stopped on request is not finished.
    """

    name = "opscast-background"

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.finished = False
        self.error: str | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def work(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Ask the work to stop at its next checkpoint and wait for it."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the work ends (for the CLI and tests); True when it finished."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.finished

    @property
    def started(self) -> bool:
        return self._thread is not None

    def checkpoint(self) -> None:
        """Where the work may be abandoned: raises once a stop was asked for."""
        if self._stopping.is_set():
            raise StopRequestedError

    def _run(self) -> None:
        try:
            self.work()
        except StopRequestedError:
            log.info("background work stopped: the service is shutting down", thread=self.name)
        except Exception as exc:  # reported on /health; the service keeps serving
            log.error("background work failed", thread=self.name, exc_info=exc)
            with self.lock:
                self.error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        finally:
            with self.lock:
                self.finished = not self._stopping.is_set() or self.error is not None
