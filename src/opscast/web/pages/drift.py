"""Drift: every stored drift report with its verdict, and the chosen one's full report.

The reports are the HTML the drift checks already rendered; the page lists them a page
at a time and shows one inline, so nobody has to know a report's URL.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from opscast.dependencies import SessionDep
from opscast.drift_checks import service
from opscast.web.layout import render

router = APIRouter()

PAGE_SIZE = 20
KINDS = ("data", "series", "concept")


@router.get("/ui/drift", response_class=HTMLResponse)
def drift_page(
    request: Request,
    session: SessionDep,
    kind: Literal["data", "series", "concept"] | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    report: Annotated[int | None, Query(ge=1)] = None,
) -> HTMLResponse:
    reports, total = service.list_reports(
        session, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, kind=kind
    )
    chosen = report if report is not None else (reports[0].id if reports else None)
    return render(
        request,
        "drift.html",
        {
            "reports": reports,
            "total": total,
            "kind": kind,
            "kinds": KINDS,
            "chosen": chosen,
            "page_number": page,
            "pages": max(1, -(-total // PAGE_SIZE)),
        },
        page="drift",
    )
