"""Models: what the registry serves, how well, what challenges it, and the retraining jobs.

Rollback and retrain buttons call the registry and retraining endpoints, so the same
guards (and, with keys configured, the same roles) apply as from any client.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from opscast.dependencies import ModelStoreDep, RetrainerDep, SessionDep, SettingsDep
from opscast.jobs import service as jobs
from opscast.registry import service
from opscast.web.layout import render

router = APIRouter()

JOBS = 15
TaskPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:\-]{1,200}$")]


@router.get("/ui/models", response_class=HTMLResponse)
def models_page(
    request: Request, store: ModelStoreDep, session: SessionDep, retrainer: RetrainerDep
) -> HTMLResponse:
    tasks = store.list_tasks()
    return render(
        request,
        "models.html",
        {"tasks": tasks, "targets": retrainer.targets},
        page="models",
    )


@router.get("/ui/fragments/jobs", response_class=HTMLResponse)
def jobs_fragment(
    request: Request,
    session: SessionDep,
    kind: Annotated[str | None, Query(max_length=60)] = None,
) -> HTMLResponse:
    rows, total = jobs.list_jobs(session, kind=kind, limit=JOBS)
    active = any(job.status in {"queued", "running"} for job in rows)
    return render(request, "partials/jobs.html", {"jobs": rows, "total": total, "active": active})


@router.get("/ui/models/{task}", response_class=HTMLResponse)
def model_detail(
    request: Request,
    task: TaskPath,
    store: ModelStoreDep,
    session: SessionDep,
    settings: SettingsDep,
) -> HTMLResponse:
    found = store.get_task(task)
    return render(
        request,
        "model_detail.html",
        {
            "task": found,
            "shadow": service.shadow_report(store, session, task, 20),
            "shadow_enabled": settings.shadow,
            "history": service.audit_trail(session, task, 20),
        },
        page="models",
    )
