"""Series: every stored series by kind, a page at a time, each with its own chart page.

A kind at a time and a page at a time, because a store with a thousand series must not
send them all: the list reads the counts once and draws sparklines only for the rows shown.
"""

from __future__ import annotations

from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from opscast.dependencies import SessionDep
from opscast.errors import NotFoundError
from opscast.series import service
from opscast.series.repository import SeriesRepository
from opscast.web import figures
from opscast.web.layout import render
from opscast.web.sparkline import sparkline_path

router = APIRouter()

PAGE_SIZE = 25
SPARKLINE_POINTS = 240
CHART_POINTS = 2_000
# the order people look for them in; kinds not listed follow alphabetically
KIND_ORDER = ("incidents", "traffic", "server_metrics", "demand")


def kind_rank(kind: str) -> tuple[int, str]:
    return (KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER), kind)


@router.get("/ui/series", response_class=HTMLResponse)
def series_list(
    request: Request,
    session: SessionDep,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
) -> HTMLResponse:
    repository = SeriesRepository(session)
    kinds = repository.kind_counts()
    ordered = sorted(kinds, key=kind_rank)
    current = kind if kind in kinds else (ordered[0] if ordered else None)
    total = kinds.get(current, 0) if current else 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    shown = (
        repository.page_with_stats(current, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
        if current
        else []
    )
    rows = [
        {
            "stats": row,
            "path": sparkline_path(service.recent_values(session, row.series, SPARKLINE_POINTS)),
        }
        for row in shown
    ]
    return render(
        request,
        "series.html",
        {
            "kinds": [(name, kinds[name]) for name in ordered],
            "kind": current,
            "rows": rows,
            "page_number": page,
            "pages": pages,
            "total": total,
        },
        page="series",
    )


@router.get("/ui/series/{unique_id}", response_class=HTMLResponse)
def series_detail(request: Request, session: SessionDep, unique_id: str) -> HTMLResponse:
    repository = SeriesRepository(session)
    series = repository.get(unique_id)
    if series is None:
        raise NotFoundError(f"no series named {unique_id!r}; /ui/series lists them")
    stats = repository.stats(series)
    try:
        step = pd.Timedelta(pd.tseries.frequencies.to_offset(series.freq or "D").nanos)
    except ValueError:  # calendar steps (months, quarters) have no fixed length
        step = pd.Timedelta(days=92)
    recent = service.read_recent(session, unique_id, step * CHART_POINTS)
    recent = recent.tail(CHART_POINTS)
    chart = figures.figure(
        [figures.line(recent["ds"], recent["y"], unique_id)], y_title=unique_id, height=380
    )
    return render(
        request,
        "series_detail.html",
        {
            "series": series,
            "points": stats.points,
            "shown": len(recent),
            "first": stats.first_ds,
            "last": stats.last_ds,
            "chart": chart,
            "charts": True,
        },
        page="series",
    )
