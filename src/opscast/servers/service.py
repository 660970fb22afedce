"""Server use cases: register, act on, and simulate a fleet; a failure opens a ticket.

Every state change, whoever makes it, goes through ``_move``: it asks the lifecycle
table, writes the event, opens (or annotates) the server's ticket on FAILED, and the
``opscast_servers`` gauge is re-counted at the end of each use case. Nothing here commits.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy.orm import Session

from opscast.db import utc_now
from opscast.errors import ConflictError, InvalidInputError, NotFoundError
from opscast.observability import SERVERS
from opscast.series.schemas import SeriesKind
from opscast.series.service import ingest_frame
from opscast.servers.lifecycle import ACTION_TARGET, Action, ServerState, refusal
from opscast.servers.repository import ServerRepository
from opscast.servers.schemas import ServerCreate, TickIn, TickOut, TransitionOut
from opscast.servers.simulator import advance, episode_steps, fleet_trace
from opscast.servers.tables import FleetSimulation, Server, ServerEvent
from opscast.simulate.server_metrics import ROLES
from opscast.tickets.scoring import Scoring
from opscast.tickets.service import open_server_ticket

DEFAULT_FLEET = 5
DEFAULT_FAILURE_SHARE = 0.3
DEFAULT_STEP_MINUTES = 10
EVENTS_PAGE = 500
# server-steps per tick: each is five stored points, so this caps a tick at 250,000 points
MAX_SERVER_STEPS = 50_000


def sync_gauge(session: Session) -> dict[str, int]:
    counts = dict.fromkeys((state.value for state in ServerState), 0)
    counts |= ServerRepository(session).counts_by_state()
    for state, count in counts.items():
        SERVERS.labels(state=state).set(count)
    return counts


def _get(repository: ServerRepository, server_id: int) -> Server:
    server = repository.get(server_id)
    if server is None:
        raise NotFoundError(f"no server {server_id}; GET /servers lists them")
    return server


def _move(
    session: Session,
    server: Server,
    target: ServerState,
    *,
    at: datetime,
    cause: str,
    reason: str,
    scoring: Scoring,
) -> int | None:
    """Apply one allowed move; returns the ticket a failure opened or annotated."""
    current = ServerState(server.state)
    refused = refusal(current, target)
    if refused:
        raise ConflictError(f"server {server.name}: {refused}")
    ticket_id = None
    if target == ServerState.FAILED:
        ticket, _ = open_server_ticket(session, server.id, server.name, reason, scoring)
        ticket_id = ticket.id
    server.state, server.state_since = target.value, at
    ServerRepository(session).add_event(
        ServerEvent(
            server_id=server.id,
            at=at,
            from_state=current.value,
            to_state=target.value,
            cause=cause,
            reason=reason,
            ticket_id=ticket_id,
        )
    )
    return ticket_id


def _register(repository: ServerRepository, name: str, role: str, at: datetime) -> Server:
    server = repository.add(
        Server(
            name=name, role=role, state=ServerState.BOOTING.value, state_since=at, last_metrics={}
        )
    )
    repository.add_event(
        ServerEvent(
            server_id=server.id,
            at=at,
            from_state=None,
            to_state=ServerState.BOOTING.value,
            cause="created",
            reason="server registered",
        )
    )
    return server


def create_server(session: Session, body: ServerCreate) -> Server:
    repository = ServerRepository(session)
    if repository.by_name(body.name) is not None:
        raise ConflictError(f"a server named {body.name!r} exists already")
    server = _register(repository, body.name, body.role, utc_now())
    sync_gauge(session)
    return server


def list_servers(session: Session, state: str | None = None) -> list[Server]:
    servers = ServerRepository(session).all(state)
    sync_gauge(session)
    return servers


def get_server(session: Session, server_id: int) -> Server:
    return _get(ServerRepository(session), server_id)


def server_events(session: Session, server_id: int, limit: int = EVENTS_PAGE) -> list[ServerEvent]:
    repository = ServerRepository(session)
    _get(repository, server_id)
    return repository.events(server_id, limit)


def apply_action(
    session: Session, server_id: int, action: Action, reason: str | None, scoring: Scoring
) -> tuple[Server, int | None]:
    """A person's action; a refused one is a 409 naming the moves that are allowed."""
    server = _get(ServerRepository(session), server_id)
    ticket_id = _move(
        session,
        server,
        ACTION_TARGET[action],
        at=utc_now(),
        cause=f"action:{action.value}",
        reason=reason or f"{action.value} requested",
        scoring=scoring,
    )
    sync_gauge(session)
    return server, ticket_id


def _grow_fleet(repository: ServerRepository, size: int) -> list[Server]:
    servers = repository.all()
    if size < len(servers):
        raise InvalidInputError(
            f"the fleet has {len(servers)} servers, more than fleet_size={size}; "
            "stop servers instead of shrinking the fleet",
            field="fleet_size",
        )
    taken = {server.name for server in servers}
    number = 0
    while len(servers) < size:
        number += 1
        name = f"node-{number:02d}"
        if name not in taken:
            role = ROLES[len(servers) % len(ROLES)]
            servers.append(_register(repository, name, role, utc_now()))
    return servers


def _simulation(repository: ServerRepository, body: TickIn, hosts: int) -> FleetSimulation:
    """The trace to continue, or a new one when the fleet or a setting changed."""
    current = repository.latest_simulation()
    unchanged = (
        current is not None
        and not body.restart
        and current.hosts == hosts
        and body.seed in (None, current.seed)
        and body.failure_share in (None, current.failure_share)
        and body.step_minutes in (None, current.step_minutes)
    )
    if current is not None and unchanged:
        return current
    if current is not None:
        start = current.start + timedelta(minutes=current.step_minutes * current.position)
    else:
        # the next whole minute, so a fleet registered just now boots after it was registered
        start = utc_now().replace(second=0, microsecond=0) + timedelta(minutes=1)
    return repository.add_simulation(
        FleetSimulation(
            seed=body.seed if body.seed is not None else secrets.randbelow(2**31),
            hosts=hosts,
            failure_share=(
                body.failure_share
                if body.failure_share is not None
                else (current.failure_share if current else DEFAULT_FAILURE_SHARE)
            ),
            step_minutes=body.step_minutes
            or (current.step_minutes if current else DEFAULT_STEP_MINUTES),
            start=start,
            position=0,
        )
    )


def tick(session: Session, body: TickIn, scoring: Scoring) -> TickOut:
    """Advance the fleet ``steps`` points; store metrics as series, moves as events."""
    repository = ServerRepository(session)
    size = max(body.fleet_size or 0, repository.count()) or DEFAULT_FLEET
    if size * body.steps > MAX_SERVER_STEPS:
        raise InvalidInputError(
            f"{size} servers x {body.steps} steps exceed {MAX_SERVER_STEPS:,} server-steps "
            "per tick; send fewer steps per tick",
            field="steps",
        )
    servers = _grow_fleet(repository, body.fleet_size or size)
    simulation = _simulation(repository, body, len(servers))
    first = simulation.start + timedelta(minutes=simulation.step_minutes * simulation.position)
    by_name = {server.name: server for server in servers}
    transitions: list[TransitionOut] = []
    opened: list[int] = []
    frames: list[pd.DataFrame] = []
    remaining = body.steps
    while remaining:
        length = episode_steps(simulation.step_minutes)
        if simulation.position >= length:  # the episode is over: the next one follows on
            simulation = repository.add_simulation(
                FleetSimulation(
                    seed=(simulation.seed + 1) % 2**31,
                    hosts=simulation.hosts,
                    failure_share=simulation.failure_share,
                    step_minutes=simulation.step_minutes,
                    start=simulation.start + timedelta(minutes=simulation.step_minutes * length),
                    position=0,
                )
            )
        take = min(remaining, length - simulation.position)
        fleet = fleet_trace(
            simulation.hosts,
            start=pd.Timestamp(simulation.start),
            step_minutes=simulation.step_minutes,
            failure_share=simulation.failure_share,
            seed=simulation.seed,
        )
        result = advance(
            [(server.name, ServerState(server.state)) for server in servers],
            fleet,
            position=simulation.position,
            steps=take,
            degraded_at=body.degraded_at,
            auto_recover=body.auto_recover,
        )
        for move in result.transitions:
            at = move.ds.to_pydatetime()
            ticket_id = _move(
                session,
                by_name[move.server],
                move.to_state,
                at=at,
                cause="simulator",
                reason=move.reason,
                scoring=scoring,
            )
            if ticket_id is not None and ticket_id not in opened:
                opened.append(ticket_id)
            transitions.append(
                TransitionOut(
                    server=move.server,
                    at=at,
                    from_state=move.from_state,
                    to_state=move.to_state,
                    reason=move.reason,
                    ticket_id=ticket_id,
                )
            )
        if not result.metrics.empty:
            last_ds = result.metrics["ds"].max().isoformat()
            for name, values in result.last_metrics.items():
                by_name[name].last_metrics = {"ds": last_ds, **values}
            frames.append(result.metrics)
        simulation.position += take
        remaining -= take
    points = 0
    if frames:
        metrics = pd.concat(frames, ignore_index=True)[["unique_id", "ds", "y"]]
        stored = ingest_frame(
            session,
            metrics,
            kind=SeriesKind.server_metrics,
            source="simulator",
            freq=f"{simulation.step_minutes}min",
        )
        points = stored.points_written
    session.flush()
    end = simulation.start + timedelta(minutes=simulation.step_minutes * simulation.position)
    return TickOut(
        seed=simulation.seed,
        steps=body.steps,
        step_minutes=simulation.step_minutes,
        failure_share=simulation.failure_share,
        start=first,
        end=end,
        transitions=transitions,
        tickets_opened=opened,
        metrics_points=points,
        servers=sync_gauge(session),
    )
