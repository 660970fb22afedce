"""Where the learned ticket classifier is kept between processes.

``ClassifierStore`` is the small interface the service needs (load the serving
model, save a new one with its metadata). The default keeps one pickle under the var
directory, written to a temporary file and renamed so a reader never sees half a
model; a registry-backed store can take its place without touching the service.
A pickle written by another scikit-learn version is ignored (and retrained), since
unpickling across versions is not guaranteed to give the same model.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path
from threading import Lock
from typing import Any, Protocol
from uuid import uuid4

from opscast.tickets.learned import LearnedClassifier

FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class ClassifierInfo:
    trained_at: str
    trained_on: int
    corrections: int
    classes: tuple[str, ...]
    metrics: dict[str, float] = field(default_factory=dict)
    source: str = "sample"


@dataclass(frozen=True, slots=True)
class StoredClassifier:
    model: LearnedClassifier
    info: ClassifierInfo


class ClassifierStore(Protocol):
    def load(self) -> StoredClassifier | None: ...

    def save(self, model: LearnedClassifier, info: ClassifierInfo) -> None: ...


def _sklearn_version() -> str:
    import sklearn

    return str(sklearn.__version__)


_cache: dict[Path, tuple[int, StoredClassifier]] = {}
_cache_lock = Lock()


class VarDirClassifierStore:
    """One pickle file; loaded once per process and again only when the file changes."""

    def __init__(self, var_dir: Path) -> None:
        self.path = (var_dir / "models" / "ticket-classifier.pkl").resolve()

    def load(self) -> StoredClassifier | None:
        try:
            stamp = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        with _cache_lock:
            cached = _cache.get(self.path)
            if cached is not None and cached[0] == stamp:
                return cached[1]
        with self.path.open("rb") as handle:
            payload: dict[str, Any] = pickle.load(handle)
        if payload.get("format") != FORMAT_VERSION or payload.get("sklearn") != _sklearn_version():
            return None
        stored = StoredClassifier(payload["model"], payload["info"])
        with _cache_lock:
            _cache[self.path] = (stamp, stored)
        return stored

    def save(self, model: LearnedClassifier, info: ClassifierInfo) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": FORMAT_VERSION,
            "sklearn": _sklearn_version(),
            "model": model,
            "info": info,
        }
        partial = self.path.with_suffix(f".{uuid4().hex}.tmp")
        with partial.open("wb") as handle:
            pickle.dump(payload, handle, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(self.path)
        with _cache_lock:
            _cache[self.path] = (self.path.stat().st_mtime_ns, StoredClassifier(model, info))
