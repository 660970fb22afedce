"""Scaling: the request traffic with its bursts and events, and what each scaling policy
would have done with it.

The traffic is stored and rendered here (5-minute steps of the latest two days); the
simulation is the scaling endpoint's, called by the browser with that traffic and the
policy settings of the form, so the page shows exactly what a client of the API gets.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from opscast.api.deps import SessionDep
from opscast.series import service as series
from opscast.series.repository import SeriesRepository
from opscast.web.availability import serves
from opscast.web.layout import render

router = APIRouter()

KIND = "traffic"
FLAGS_KIND = "traffic_flags"  # 0/1 series named <traffic>:is_burst and <traffic>:is_event
TIMEFRAME = "5m"
SHOWN_STEPS = 2 * 288  # two days of 5-minute steps
SPAN = pd.Timedelta(days=2, minutes=10)


def _flags(session: SessionDep, name: str, frame: pd.DataFrame) -> dict[str, list[bool]]:
    """Burst and event flags of the shown steps: a step is flagged when any minute of it is."""
    repository = SeriesRepository(session)
    flags: dict[str, list[bool]] = {}
    for flag in ("is_burst", "is_event"):
        stored = repository.get(f"{name}:{flag}")
        if stored is None or stored.kind != FLAGS_KIND or frame.empty:
            continue
        steps = series.read_points(
            session,
            stored.unique_id,
            start=frame["ds"].iloc[0].to_pydatetime(),
            granularity=TIMEFRAME,
            agg="max",
        )
        marked = steps.set_index("ds")["y"].reindex(frame["ds"]).fillna(0) > 0
        flags[flag] = [bool(value) for value in marked]
    return flags


@router.get("/ui/scaling", response_class=HTMLResponse)
def scaling_page(request: Request, session: SessionDep) -> HTMLResponse:
    names = SeriesRepository(session).unique_ids(KIND)
    traffic: dict[str, Any] = {"ds": [], "y": []}
    if names:
        frame = (
            series.read_recent(session, names[0], SPAN, granularity=TIMEFRAME)
            .iloc[:-1]
            .tail(SHOWN_STEPS)
            .reset_index(drop=True)
        )
        traffic = {
            "name": names[0],
            "timeframe": TIMEFRAME,
            "ds": [stamp.strftime("%Y-%m-%dT%H:%M:%S") for stamp in frame["ds"]],
            "y": [float(value) for value in frame["y"]],
            **_flags(session, names[0], frame),
        }
    return render(
        request,
        "scaling.html",
        {
            "available": serves(request.app, "POST", "/scaling/simulate"),
            "traffic": traffic,
            "charts": True,
        },
        page="scaling",
    )
