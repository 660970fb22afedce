"""Errors that services raise for the API and CLI to translate.

Services speak in these terms (not HTTP status codes) so the same use case gives a
404 over HTTP and a one-line message with a non-zero exit code on the command line.
"""

from __future__ import annotations


class OpscastError(Exception):
    """Base of every error a user can cause and fix."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFoundError(OpscastError):
    """The named series, model, ticket or job does not exist."""


class InvalidInputError(OpscastError):
    """The input is well-formed but cannot be used; ``field`` names the culprit."""


class ConflictError(OpscastError):
    """The request is well-formed but the current state refuses it (a refused transition,
    nothing to roll back to)."""
