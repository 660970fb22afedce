"""Demo data: one simulated data set per use case, stored like any real series.

The demo is anchored on fixed dates and seeds so that every fresh ``make run`` shows
the same numbers (screenshots, docs and tests agree), and loading is idempotent:
a kind already present is skipped unless a reload is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy.orm import Session

from opscast.series.repository import SeriesRepository
from opscast.series.schemas import SeriesKind
from opscast.series.service import ingest_frame
from opscast.servers.repository import ServerRepository
from opscast.servers.schemas import TickIn
from opscast.servers.service import tick
from opscast.simulate import simulate_demand, simulate_fleet, simulate_incidents, simulate_traffic
from opscast.simulate.tickets import simulate_tickets
from opscast.tickets.repository import TicketRepository
from opscast.tickets.schemas import TicketCreate, TicketUpdate
from opscast.tickets.scoring import Scoring
from opscast.tickets.service import create_ticket, update_ticket
from opscast.tickets.workflow import TicketStatus

DEMO_SOURCE = "demo"
DEMO_SEED = 7


@dataclass(frozen=True, slots=True)
class DemoSet:
    kind: SeriesKind
    freq: str
    description: str
    build: Callable[[], pd.DataFrame]


def _server_metrics() -> pd.DataFrame:
    return simulate_fleet(hosts=6, start="2025-11-01", days=3, freq="5min", seed=DEMO_SEED).metrics


DEMO_SETS = (
    DemoSet(
        SeriesKind.incidents,
        "D",
        "daily incident counts per category, 2023-2025",
        lambda: simulate_incidents(start="2023-01-01", days=3 * 365, seed=DEMO_SEED),
    ),
    DemoSet(
        SeriesKind.traffic,
        "min",
        "requests per minute, two weeks",
        lambda: simulate_traffic(start="2025-11-01", days=14, freq="1min", seed=DEMO_SEED),
    ),
    DemoSet(
        SeriesKind.demand,
        "D",
        "daily unit sales of 3 stores x 10 items, two years",
        lambda: simulate_demand(
            stores=3, items=10, start="2024-01-01", days=2 * 365, seed=DEMO_SEED
        ),
    ),
    DemoSet(
        SeriesKind.server_metrics,
        "5min",
        "metrics of 6 hosts every 5 minutes, 3 days",
        _server_metrics,
    ),
)


@dataclass(frozen=True, slots=True)
class DemoOutcome:
    kind: str
    series: int
    points: int
    skipped: bool


def load_demo_set(session: Session, demo: DemoSet, *, force: bool = False) -> DemoOutcome:
    existing = SeriesRepository(session).count(demo.kind)
    if existing and not force:
        return DemoOutcome(demo.kind, existing, 0, skipped=True)
    frame = demo.build()
    result = ingest_frame(
        session,
        frame[["unique_id", "ds", "y"]],
        kind=demo.kind,
        source=DEMO_SOURCE,
        freq=demo.freq,
    )
    if demo.kind == SeriesKind.server_metrics:
        # the predictions the stream would have made, so the anomaly views are not empty
        from opscast.streaming.service import score_history

        score_history(session, frame[["unique_id", "ds", "y"]])
    return DemoOutcome(demo.kind, len(result.unique_ids), result.points_written, skipped=False)


DEMO_TICKETS = 60
DEMO_TICKETS_START = datetime(2025, 11, 1, 8, 0)
DEMO_FLEET = TickIn(steps=432, seed=DEMO_SEED, fleet_size=6, failure_share=0.6)


@dataclass(frozen=True, slots=True)
class OperationsOutcome:
    tickets: int
    servers: int
    server_tickets: int
    skipped: bool


def load_demo_operations(session: Session, scoring: Scoring) -> OperationsOutcome:
    """Tickets over a month (a third of them resolved) and a fleet ticked through three days.

    Skipped when any ticket or server is stored: the demo never mixes into real data.
    """
    if TicketRepository(session).count() or ServerRepository(session).count():
        return OperationsOutcome(0, 0, 0, skipped=True)
    sample = simulate_tickets(DEMO_TICKETS, seed=DEMO_SEED)
    for index, row in enumerate(sample.itertuples(index=False)):
        ticket = create_ticket(
            session,
            TicketCreate(title=str(row.title), description=str(row.description)),
            scoring,
            created_at=DEMO_TICKETS_START + timedelta(hours=12 * index),
        )
        if index % 3 == 0:
            update_ticket(session, ticket.id, TicketUpdate(status=TicketStatus.resolved), scoring)
    fleet = tick(session, DEMO_FLEET, scoring)
    return OperationsOutcome(
        tickets=DEMO_TICKETS,
        servers=sum(fleet.servers.values()),
        server_tickets=len(fleet.tickets_opened),
        skipped=False,
    )
