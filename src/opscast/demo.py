"""Demo data: one simulated data set per use case, stored like any real series.

The demo is anchored on fixed dates and seeds so that every fresh ``make run`` shows
the same numbers (screenshots, docs and tests agree), and loading is idempotent:
a kind already present is skipped unless a reload is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
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


def _traffic() -> pd.DataFrame:
    return simulate_traffic(start="2025-11-01", days=14, freq="1min", seed=DEMO_SEED)


def _traffic_flags() -> pd.DataFrame:
    """When the traffic burst and when a known event ran, as 0/1 series beside it.

    A team knows its launches and campaigns; keeping them as series lets the scaling
    views mark them and send them to the simulation as the API's ``is_event``.
    """
    traffic = _traffic()
    return pd.concat(
        [
            traffic.assign(
                unique_id=traffic["unique_id"] + f":{flag}", y=traffic[flag].astype(float)
            )
            for flag in ("is_burst", "is_event")
        ],
        ignore_index=True,
    )


def _server_metrics() -> pd.DataFrame:
    return simulate_fleet(hosts=6, start="2025-11-01", days=3, freq="5min", seed=DEMO_SEED).metrics


DEMO_SETS = (
    DemoSet(
        SeriesKind.incidents,
        "D",
        "daily incident counts per category, 2023-2025",
        lambda: simulate_incidents(start="2023-01-01", days=3 * 365, seed=DEMO_SEED),
    ),
    DemoSet(SeriesKind.traffic, "min", "requests per minute, two weeks", _traffic),
    DemoSet(
        SeriesKind.traffic_flags, "min", "burst and event flags of the traffic", _traffic_flags
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


def _resolution_hours(priority: str, rng: np.random.Generator) -> float:
    """How long a team takes: hours for urgent tickets, a day or two for the rest."""
    typical = {"high": 3.0, "medium": 14.0, "low": 30.0}.get(priority, 14.0)
    return float(rng.gamma(2.0, typical / 2.0)) + 0.25


def load_demo_operations(session: Session, scoring: Scoring) -> OperationsOutcome:
    """Tickets over a month (older ones mostly resolved, within hours or days, as a team
    resolves them; the newest still open) and a fleet ticked through three days.

    Skipped when any ticket or server is stored: the demo never mixes into real data.
    """
    if TicketRepository(session).count() or ServerRepository(session).count():
        return OperationsOutcome(0, 0, 0, skipped=True)
    sample = simulate_tickets(DEMO_TICKETS, seed=DEMO_SEED)
    rng = np.random.default_rng(DEMO_SEED)
    for index, row in enumerate(sample.itertuples(index=False)):
        created = DEMO_TICKETS_START + timedelta(hours=12 * index)
        ticket = create_ticket(
            session,
            TicketCreate(title=str(row.title), description=str(row.description)),
            scoring,
            created_at=created,
        )
        # the last week's tickets are still being worked on; two in three older ones are done
        if index < DEMO_TICKETS - 14 and index % 3 != 2:
            resolved = created + timedelta(hours=_resolution_hours(ticket.priority, rng))
            body = TicketUpdate(status=TicketStatus.resolved, actor="demo")
            update_ticket(session, ticket.id, body, scoring, at=resolved)
        elif index % 4 == 0:
            started = created + timedelta(hours=1)
            body = TicketUpdate(status=TicketStatus.in_progress, actor="demo")
            update_ticket(session, ticket.id, body, scoring, at=started)
    fleet = tick(session, DEMO_FLEET, scoring)
    load_demo_drift(session)
    return OperationsOutcome(
        tickets=DEMO_TICKETS,
        servers=sum(fleet.servers.values()),
        server_tickets=len(fleet.tickets_opened),
        skipped=False,
    )


def _drift_pairs() -> list[tuple[str, pd.DataFrame, pd.DataFrame]]:
    """(title, reference, current): the comparisons a team runs after a quarter or a week."""
    sets = {demo.kind: demo for demo in DEMO_SETS}
    incidents = (
        sets[SeriesKind.incidents].build().pivot(index="ds", columns="unique_id", values="y")
    )
    demand = sets[SeriesKind.demand].build()
    demand = demand.assign(item=demand["unique_id"].str.split("-").str[1], sales=demand["y"])
    late_2024 = demand["ds"].between("2024-10-01", "2024-12-31")
    late_2025 = demand["ds"].between("2025-10-01", "2025-12-31")
    traffic = _traffic().assign(hour=lambda f: f["ds"].dt.hour, requests=lambda f: f["y"])
    week_one = traffic["ds"] < traffic["ds"].min() + pd.Timedelta(days=7)
    return [
        (
            "Incidents per category: first quarter of 2025 against the last",
            incidents.loc["2025-01-01":"2025-03-31"],
            incidents.loc["2025-10-01":"2025-12-31"],
        ),
        (
            "Store-item sales: last quarter of 2024 against 2025",
            demand.loc[late_2024, ["sales", "item"]],
            demand.loc[late_2025, ["sales", "item"]],
        ),
        (
            "Requests per minute: first week against the second",
            traffic.loc[week_one, ["requests", "hour"]],
            traffic.loc[~week_one, ["requests", "hour"]],
        ),
    ]


def load_demo_drift(session: Session) -> int:
    """Drift reports of the demo data, so the drift views start with real verdicts."""
    from opscast.drift.check import check_data_drift
    from opscast.drift_checks.service import store_data_report

    pairs = _drift_pairs()
    for title, reference, current in pairs:
        check = check_data_drift(
            reference.reset_index(drop=True), current.reset_index(drop=True), title=title
        )
        store_data_report(session, check, source=DEMO_SOURCE)
    return len(pairs)
