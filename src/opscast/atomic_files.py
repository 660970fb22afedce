"""Files written whole or not at all: a temporary file beside the target, then a rename.

A report or a model cut off by a full or read-only disk must not replace the good file
that was there, nor leave half a file that a reader would take for a whole one. Writing
to a temporary file in the same directory and renaming it over the target (atomic on one
file system) gives readers either the old file or the new one.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from opscast.errors import OpscastError


class DiskWriteError(OpscastError):
    """The disk refused a write (full, read-only, no permission): the old file is untouched."""


def write_atomically(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` in one step; on failure the previous file stays as it was."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(descriptor, "wb") as output:
            output.write(payload)
            output.flush()
            os.fsync(output.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        reason = exc.strerror or str(exc)
        raise DiskWriteError(
            f"cannot write {path}: {reason}; free some space or choose a writable directory "
            "(any previous file there is unchanged)"
        ) from exc
