"""Every query on API keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from opscast.auth.tables import ApiKey


class ApiKeyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, *, name: str, role: str, prefix: str, digest: str, at: datetime) -> ApiKey:
        key = ApiKey(name=name, role=role, prefix=prefix, digest=digest, created_at=at)
        self.session.add(key)
        self.session.flush()
        return key

    def active_by_digest(self, digest: str) -> ApiKey | None:
        return self.session.scalar(
            select(ApiKey).where(ApiKey.digest == digest, ApiKey.revoked_at.is_(None))
        )

    def get(self, key_id: int) -> ApiKey | None:
        return self.session.get(ApiKey, key_id)

    def all(self) -> Sequence[ApiKey]:
        return self.session.scalars(select(ApiKey).order_by(ApiKey.id)).all()
