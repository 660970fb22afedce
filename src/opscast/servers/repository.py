"""Every query on servers, their events and the fleet simulation, and nothing else."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from opscast.servers.tables import FleetSimulation, Server, ServerEvent


class ServerRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, server: Server) -> Server:
        self.session.add(server)
        self.session.flush()
        return server

    def get(self, server_id: int) -> Server | None:
        return self.session.get(Server, server_id)

    def by_name(self, name: str) -> Server | None:
        return self.session.scalar(select(Server).where(Server.name == name))

    def all(self, state: str | None = None) -> list[Server]:
        query = select(Server).order_by(Server.id)
        if state is not None:
            query = query.where(Server.state == state)
        return list(self.session.scalars(query))

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(Server)) or 0

    def counts_by_state(self) -> dict[str, int]:
        rows = self.session.execute(select(Server.state, func.count()).group_by(Server.state))
        return {str(state): int(count) for state, count in rows}

    def add_event(self, event: ServerEvent) -> None:
        self.session.add(event)

    def events(self, server_id: int, limit: int) -> list[ServerEvent]:
        query = (
            select(ServerEvent)
            .where(ServerEvent.server_id == server_id)
            .order_by(ServerEvent.at.desc(), ServerEvent.id.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))[::-1]

    def latest_simulation(self) -> FleetSimulation | None:
        return self.session.scalar(
            select(FleetSimulation).order_by(FleetSimulation.id.desc()).limit(1)
        )

    def add_simulation(self, simulation: FleetSimulation) -> FleetSimulation:
        self.session.add(simulation)
        self.session.flush()
        return simulation
