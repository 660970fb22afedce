"""Dashboard pages, rendered on the server with Jinja2."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from opscast import __version__
from opscast.dependencies import SessionDep
from opscast.series import service
from opscast.web.sparkline import sparkline_path

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=WEB_DIR / "templates")

router = APIRouter(prefix="/ui", include_in_schema=False)

SPARKLINE_POINTS = 240


@router.get("", response_class=HTMLResponse)
def overview(request: Request, session: SessionDep) -> HTMLResponse:
    rows = [
        {
            "stats": stats,
            "path": sparkline_path(service.recent_values(session, stats.series, SPARKLINE_POINTS)),
        }
        for stats in service.list_series(session)
    ]
    return templates.TemplateResponse(
        request, "overview.html", {"rows": rows, "version": __version__}
    )
