"""Issue, check and revoke API keys; never commits (the caller's unit of work does).

A key is 32 random bytes (``secrets.token_urlsafe``), far beyond guessing, so one
SHA-256 of it is a safe digest to store: slow password hashes exist for secrets people
choose, not for random ones. The key itself is shown once, when it is created. Looking
a key up by its digest compares in the database's index; a match is then confirmed with
``hmac.compare_digest``. Keys from ``OPSCAST_API_KEYS`` keep working and act as admin.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from opscast.auth.repository import ApiKeyRepository
from opscast.auth.roles import Role
from opscast.auth.tables import ApiKey
from opscast.config import Settings
from opscast.db import Database, utc_now
from opscast.errors import ConflictError, NotFoundError

KEY_PREFIX = "osk_"
SHOWN_PREFIX = 8
# How long a checked key is trusted without asking the database again: the delay before
# a revocation takes effect in a running server, and the saving on every request.
CHECK_TTL_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: the key's name and role (environment keys are called ``env``)."""

    name: str
    role: Role


def digest_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, name: str, role: Role) -> tuple[ApiKey, str]:
    """Store a new key's digest; the key itself is returned once and never again."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    stored = ApiKeyRepository(session).add(
        name=name, role=role.value, prefix=key[:SHOWN_PREFIX], digest=digest_of(key), at=utc_now()
    )
    return stored, key


def list_keys(session: Session) -> Sequence[ApiKey]:
    return ApiKeyRepository(session).all()


def revoke_key(session: Session, key_id: int) -> ApiKey:
    key = ApiKeyRepository(session).get(key_id)
    if key is None:
        raise NotFoundError(f"no API key {key_id}; `opscast keys list` shows them")
    if key.revoked_at is not None:
        raise ConflictError(f"API key {key_id} ({key.name}) is already revoked")
    key.revoked_at = utc_now()
    session.flush()
    return key


class KeyChecker:
    """Answers "who is this key?" for every request; one per app.

    Environment keys are compared in constant time; stored keys are found by digest.
    Answers (including "unknown") are remembered for ``CHECK_TTL_SECONDS``.
    """

    def __init__(self, settings: Settings, database: Database) -> None:
        self.database = database
        self._env_keys = [key.get_secret_value().encode() for key in settings.api_keys]
        self._guard = threading.Lock()
        self._seen: dict[str, tuple[float, Principal | None]] = {}

    def principal(self, offered: str) -> Principal | None:
        raw = offered.encode()
        if any(hmac.compare_digest(raw, key) for key in self._env_keys):
            return Principal(name="env", role=Role.admin)
        digest = digest_of(offered)
        now = time.monotonic()
        with self._guard:
            cached = self._seen.get(digest)
        if cached is not None and now - cached[0] < CHECK_TTL_SECONDS:
            return cached[1]
        with self.database.session() as session:
            stored = ApiKeyRepository(session).active_by_digest(digest)
            found = (
                Principal(name=stored.name, role=Role(stored.role))
                if stored is not None and hmac.compare_digest(stored.digest, digest)
                else None
            )
        with self._guard:
            if len(self._seen) > 10_000:
                self._seen.clear()
            self._seen[digest] = (now, found)
        return found
