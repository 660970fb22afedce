"""The one error the kernel raises for unusable input.

It carries the column and row at fault so that every edge (HTTP, CLI, importers) can
point the user at the exact cell instead of printing a pandas traceback.
"""

from __future__ import annotations


class FrameValidationError(ValueError):
    def __init__(self, message: str, *, column: str | None = None, row: int | None = None) -> None:
        where = []
        if column is not None:
            where.append(f"column {column!r}")
        if row is not None:
            where.append(f"row {row}")
        super().__init__(f"{' '.join(where)}: {message}" if where else message)
        self.message = message
        self.column = column
        self.row = row
