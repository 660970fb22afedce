"""Request and response bodies of key management."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from opscast.auth.roles import Role
from opscast.schema_types import RequestModel, UtcDateTime


class KeyCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100, pattern=r"^[\w .@:\-]+$", examples=["ci"])
    role: Role = Field(examples=["operator"])


class KeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: Role
    prefix: str = Field(description="the key's first characters, to tell keys apart")
    created_at: UtcDateTime
    revoked_at: UtcDateTime | None


class KeyCreated(KeyOut):
    key: str = Field(description="the key itself: shown this once, never stored")
