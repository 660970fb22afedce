"""Request and response bodies of the servers and simulation API."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from opscast.schema_types import RequestModel, UtcDateTime
from opscast.servers.lifecycle import Action, ServerState
from opscast.servers.simulator import MINUTES_PER_DAY
from opscast.simulate.server_metrics import ROLES

MAX_FLEET = 200
ServerName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.\-]{1,100}$")
]


class ServerCreate(RequestModel):
    model_config = ConfigDict(extra="forbid")

    name: ServerName = Field(examples=["web-01"])
    role: Annotated[str, Field(pattern="^(" + "|".join(ROLES) + ")$")] = "web"


class ServerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    role: str
    state: ServerState
    state_since: UtcDateTime
    last_metrics: dict[str, Any]
    created_at: UtcDateTime


class ServerEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    at: UtcDateTime
    from_state: ServerState | None
    to_state: ServerState
    cause: str
    reason: str
    ticket_id: int | None


class ActionIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    action: Action
    reason: Annotated[str, StringConstraints(max_length=500)] | None = None


class ActionOut(BaseModel):
    server: ServerOut
    ticket_id: int | None


class TickIn(RequestModel):
    """Omitted settings continue the current simulation; a changed one starts a new trace."""

    # strict: JSON true/false are not numbers (lax pydantic reads them as 1 and 0)
    model_config = ConfigDict(extra="forbid", strict=True)

    steps: int = Field(default=12, ge=1, le=MINUTES_PER_DAY, description="Points to advance")
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    fleet_size: int | None = Field(default=None, ge=1, le=MAX_FLEET)
    failure_share: float | None = Field(
        default=None, ge=0.0, le=1.0, description="Share of servers that develop a fault"
    )
    step_minutes: int | None = Field(default=None, ge=1, le=MINUTES_PER_DAY)
    degraded_at: float = Field(default=0.85, gt=0.0, lt=1.0)
    auto_recover: bool = True
    restart: bool = False


class TransitionOut(BaseModel):
    server: str
    at: UtcDateTime
    from_state: ServerState
    to_state: ServerState
    reason: str
    ticket_id: int | None


class TickOut(BaseModel):
    seed: int
    steps: int
    step_minutes: int
    failure_share: float
    start: UtcDateTime
    end: UtcDateTime
    transitions: list[TransitionOut]
    tickets_opened: list[int]
    metrics_points: int
    servers: dict[str, int]
