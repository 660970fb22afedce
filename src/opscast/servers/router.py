"""HTTP skin over servers and the fleet simulation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from opscast.dependencies import ScoringDep, SessionDep
from opscast.servers import service
from opscast.servers.lifecycle import ServerState
from opscast.servers.schemas import (
    ActionIn,
    ActionOut,
    ServerCreate,
    ServerEventOut,
    ServerOut,
    TickIn,
    TickOut,
)
from opscast.value_ranges import SQL_ID_MAX

router = APIRouter(prefix="/servers", tags=["servers"])
simulation_router = APIRouter(prefix="/simulation", tags=["servers"])

ServerId = Annotated[int, Path(ge=1, le=SQL_ID_MAX)]


@router.get("", response_model=list[ServerOut], summary="Servers and their lifecycle state")
def list_servers(session: SessionDep, state: ServerState | None = None) -> list[ServerOut]:
    servers = service.list_servers(session, state.value if state else None)
    return [ServerOut.model_validate(server) for server in servers]


@router.post("", response_model=ServerOut, status_code=201, summary="Register a server")
def create_server(body: ServerCreate, session: SessionDep) -> ServerOut:
    """A new server starts BOOTING; the next simulation tick brings it up."""
    return ServerOut.model_validate(service.create_server(session, body))


@router.get("/{server_id}", response_model=ServerOut, summary="One server")
def get_server(server_id: ServerId, session: SessionDep) -> ServerOut:
    return ServerOut.model_validate(service.get_server(session, server_id))


@router.get(
    "/{server_id}/events",
    response_model=list[ServerEventOut],
    summary="State changes, oldest first",
)
def server_events(
    server_id: ServerId,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=service.EVENTS_PAGE)] = service.EVENTS_PAGE,
) -> list[ServerEventOut]:
    """The newest ``limit`` events, in time order."""
    events = service.server_events(session, server_id, limit)
    return [ServerEventOut.model_validate(event) for event in events]


@router.post("/{server_id}/actions", response_model=ActionOut, summary="Boot, stop, fail, recover")
def act(server_id: ServerId, body: ActionIn, session: SessionDep, scoring: ScoringDep) -> ActionOut:
    """A move the lifecycle forbids is a 409 with the reason; ``fail`` opens a ticket."""
    server, ticket_id = service.apply_action(session, server_id, body.action, body.reason, scoring)
    return ActionOut(server=ServerOut.model_validate(server), ticket_id=ticket_id)


@simulation_router.post("/tick", response_model=TickOut, summary="Advance the simulated fleet")
def tick(body: TickIn, session: SessionDep, scoring: ScoringDep) -> TickOut:
    """Servers fail when their simulated metrics reach a limit; each failure opens a ticket."""
    return service.tick(session, body, scoring)
