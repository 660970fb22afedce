"""Client-named files, confined to the data directory.

Endpoints such as ``POST /retrain`` accept a file path from the client. Resolving it
here, once, with symlinks followed, keeps a request from reading ``/etc/passwd`` or a
file that a link inside the data directory points out of it.
"""

from __future__ import annotations

from pathlib import Path

from opscast.errors import InvalidInputError, NotFoundError


def resolve_data_path(data_dir: Path, requested: str, *, field: str = "file_path") -> Path:
    """The real path of ``requested`` (relative to ``data_dir``, or absolute inside it)."""
    if not requested or "\x00" in requested:
        raise InvalidInputError("give a file path inside the data directory", field=field)
    base = data_dir.resolve()
    candidate = Path(requested)
    resolved = (candidate if candidate.is_absolute() else base / candidate).resolve()
    if not resolved.is_relative_to(base):
        raise InvalidInputError(
            f"{requested!r} is outside the data directory; name a file under OPSCAST_DATA_DIR "
            "by its path relative to it",
            field=field,
        )
    if not resolved.is_file():
        raise NotFoundError(f"no file {requested!r} in the data directory")
    return resolved
