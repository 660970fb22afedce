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

from opscast.dependencies import SessionDep
from opscast.series import service as series
from opscast.series.repository import SeriesRepository
from opscast.series.schemas import SeriesKind
from opscast.web.availability import serves
from opscast.web.layout import render

router = APIRouter()

KIND = "traffic"
FLAGS_KIND = SeriesKind.traffic_flags
TIMEFRAME = "5m"
STEP = "5min"
SHOWN_STEPS = 2 * 288  # two days of 5-minute steps
SPAN = pd.Timedelta(days=2, minutes=10)


def _steps(frame: pd.DataFrame, how: str) -> pd.Series:
    """Minutes summed (or any-ed) into 5-minute steps; the stored minutes are already clean,
    so pandas' own resample is enough and keeps this page quick."""
    if frame.empty:
        return pd.Series(dtype=float, index=pd.DatetimeIndex([]))
    minutes = frame.set_index("ds")["y"]
    steps = minutes.resample(STEP).sum() if how == "sum" else minutes.resample(STEP).max()
    return steps


def _flags(session: SessionDep, name: str, shown: pd.DatetimeIndex) -> dict[str, list[bool]]:
    """Burst and event flags of the shown steps: a step is flagged when any minute of it is."""
    repository = SeriesRepository(session)
    flags: dict[str, list[bool]] = {}
    for flag in ("is_burst", "is_event"):
        stored = repository.get(f"{name}:{flag}")
        if stored is None or stored.kind != FLAGS_KIND or shown.empty:
            continue
        minutes = series.read_recent(session, stored.unique_id, SPAN)
        marked = _steps(minutes, "max").reindex(shown).fillna(0) > 0
        flags[flag] = [bool(value) for value in marked]
    return flags


@router.get("/ui/scaling", response_class=HTMLResponse)
def scaling_page(request: Request, session: SessionDep) -> HTMLResponse:
    names = SeriesRepository(session).unique_ids(KIND)
    traffic: dict[str, Any] = {"ds": [], "y": []}
    if names:
        steps = _steps(series.read_recent(session, names[0], SPAN), "sum")
        # the newest step may still be filling up
        steps = steps.iloc[:-1].tail(SHOWN_STEPS)
        traffic = {
            "name": names[0],
            "timeframe": TIMEFRAME,
            "ds": [stamp.strftime("%Y-%m-%dT%H:%M:%S") for stamp in steps.index],
            "y": [float(value) for value in steps],
            **_flags(session, names[0], pd.DatetimeIndex(steps.index)),
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
