"""Demo data: one simulated data set per use case, stored like any real series.

The demo is anchored on fixed dates and seeds so that every fresh ``make run`` shows
the same numbers (screenshots, docs and tests agree), and loading is idempotent:
a kind already present is skipped unless a reload is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy.orm import Session

from opscast.series.repository import SeriesRepository
from opscast.series.service import ingest_frame
from opscast.simulate import simulate_demand, simulate_fleet, simulate_incidents, simulate_traffic

DEMO_SOURCE = "demo"
DEMO_SEED = 7


@dataclass(frozen=True, slots=True)
class DemoSet:
    kind: str
    freq: str
    description: str
    build: Callable[[], pd.DataFrame]


def _server_metrics() -> pd.DataFrame:
    return simulate_fleet(hosts=6, start="2025-11-01", days=3, freq="5min", seed=DEMO_SEED).metrics


DEMO_SETS = (
    DemoSet(
        "incidents",
        "D",
        "daily incident counts per category, 2023-2025",
        lambda: simulate_incidents(start="2023-01-01", days=3 * 365, seed=DEMO_SEED),
    ),
    DemoSet(
        "traffic",
        "min",
        "requests per minute, two weeks",
        lambda: simulate_traffic(start="2025-11-01", days=14, freq="1min", seed=DEMO_SEED),
    ),
    DemoSet(
        "demand",
        "D",
        "daily unit sales of 3 stores x 10 items, two years",
        lambda: simulate_demand(
            stores=3, items=10, start="2024-01-01", days=2 * 365, seed=DEMO_SEED
        ),
    ),
    DemoSet(
        "server_metrics", "5min", "metrics of 6 hosts every 5 minutes, 3 days", _server_metrics
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
    if demo.kind == "server_metrics":
        # the predictions the stream would have made, so the anomaly views are not empty
        from opscast.streaming.service import score_history

        score_history(session, frame[["unique_id", "ds", "y"]])
    return DemoOutcome(demo.kind, len(result.unique_ids), result.points_written, skipped=False)
