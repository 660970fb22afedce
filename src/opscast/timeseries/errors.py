"""The one error the kernel raises for unusable input.

It carries the column and row at fault so that every edge (HTTP, CLI, importers) can
point the user at the exact cell instead of printing a pandas traceback. ``message`` is
the whole sentence a user reads (where, what is wrong, what to do); ``reason`` is the
same without the location, for edges that show column and row in their own fields.
"""

from __future__ import annotations


class FrameValidationError(ValueError):
    def __init__(self, reason: str, *, column: str | None = None, row: int | None = None) -> None:
        where = []
        if column is not None:
            where.append(f"column {column!r}")
        if row is not None:
            where.append(f"row {row}")
        message = f"{' '.join(where)}: {reason}" if where else reason
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.column = column
        self.row = row
