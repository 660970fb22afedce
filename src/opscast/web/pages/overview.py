"""Overview: is everything up, and what needs a person now.

The page is a shell whose panels load as fragments and refresh by htmx polling, so the
first paint is quick and an open tab stays current without a reload. The registry panel
is its own fragment because reading MLflow is the slowest part.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from opscast import __version__
from opscast.dependencies import ModelStoreDep, ServicesDep, SessionDep, SettingsDep
from opscast.drift_checks import service as drift
from opscast.health import check_health
from opscast.jobs import service as jobs
from opscast.servers import service as servers
from opscast.servers.lifecycle import ServerState
from opscast.tickets.priority import LEVELS
from opscast.tickets.repository import TicketFilter, TicketRepository
from opscast.tickets.workflow import ACTIVE
from opscast.web.availability import serves
from opscast.web.layout import render

router = APIRouter()

RECENT = 6


@router.get("/ui", response_class=HTMLResponse)
def overview(request: Request) -> HTMLResponse:
    return render(
        request,
        "overview.html",
        {"alerting": serves(request.app, "GET", "/alerts")},
        page="overview",
    )


def _open_by_priority(session: SessionDep) -> dict[str, int]:
    repository = TicketRepository(session)
    return {
        level: sum(
            repository.count(TicketFilter(status=status.value, priority=level)) for status in ACTIVE
        )
        for level in LEVELS
    }


@router.get("/ui/fragments/overview", response_class=HTMLResponse)
def overview_panels(
    request: Request, session: SessionDep, settings: SettingsDep, services: ServicesDep
) -> HTMLResponse:
    health = check_health(settings, services.database, __version__, jobs=services.jobs)
    states = Counter(server.state for server in servers.list_servers(session))
    running, _ = jobs.list_jobs(session, status="running", kind=None, task=None, limit=RECENT)
    failed, failed_total = jobs.list_jobs(
        session, status="failed", kind=None, task=None, limit=RECENT
    )
    reports, _ = drift.list_reports(session, limit=RECENT, offset=0, kind=None)
    tickets = _open_by_priority(session)
    context: dict[str, Any] = {
        "health": health,
        "server_states": [(state.value, states.get(state.value, 0)) for state in ServerState],
        "servers_total": sum(states.values()),
        "tickets": tickets,
        "tickets_total": sum(tickets.values()),
        "running": running,
        "failed": failed,
        "failed_total": failed_total,
        "reports": reports,
    }
    return render(request, "partials/overview_panels.html", context)


@router.get("/ui/fragments/model-errors", response_class=HTMLResponse)
def model_errors(request: Request, store: ModelStoreDep) -> HTMLResponse:
    tasks = [task for task in store.list_tasks() if task.champion is not None]
    return render(request, "partials/model_errors.html", {"tasks": tasks})
