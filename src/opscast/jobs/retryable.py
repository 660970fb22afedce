"""Which job failures are worth another try: a locked database, a lost connection.

These say nothing about the job itself; the same job a moment later usually succeeds.
Everything else (bad data, a bug, a model that does not fit) fails the same way again,
so it fails the job at once with its message.
"""

from __future__ import annotations

from collections.abc import Iterator

TRANSIENT_MESSAGES = (
    "database is locked",
    "database table is locked",
    "server closed the connection",
    "connection refused",
    "could not connect",
    "terminating connection",
    "connection reset",
    "connection is closed",
    "the database system is starting up",
    "the database system is shutting down",
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_retryable(error: BaseException) -> bool:
    from sqlalchemy.exc import DBAPIError

    for cause in _chain(error):
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return True
        if isinstance(cause, ConnectionError | TimeoutError):
            return True
        if any(message in str(cause).lower() for message in TRANSIENT_MESSAGES):
            return True
    return False
