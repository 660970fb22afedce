"""HTTP skin over retraining: seed 1's ``POST /retrain`` and the per-target policies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from opscast.data_paths import resolve_data_path
from opscast.dependencies import JobsDep, RetrainerDep, SessionDep, SettingsDep
from opscast.errors import InvalidInputError
from opscast.retraining import service
from opscast.retraining.retrainer import ALL_TARGETS
from opscast.retraining.schemas import PolicyIn, PolicyOut, RetrainIn, RetrainOut

router = APIRouter(tags=["retraining"])
FILE_TARGET = "incidents"


@router.post(
    "/retrain",
    response_model=RetrainOut,
    status_code=202,
    summary="Retrain models in the background (guarded: a worse model never replaces one)",
)
def retrain(
    session: SessionDep,
    settings: SettingsDep,
    retrainer: RetrainerDep,
    jobs: JobsDep,
    body: RetrainIn | None = None,
) -> RetrainOut:
    """Returns at once with the job to follow at ``GET /jobs/{job_id}``."""
    body = body or RetrainIn()
    params: dict[str, str] = {}
    target = body.target
    if body.file_path is not None:
        if target not in (ALL_TARGETS, FILE_TARGET):
            raise InvalidInputError(
                f"file_path imports incident exports; it goes with target {FILE_TARGET}",
                field="file_path",
            )
        params["file_path"] = str(resolve_data_path(settings.data_dir, body.file_path))
        target = FILE_TARGET
    submitted = service.request_retrain(
        session,
        target,
        known=retrainer.targets,
        requested_by="api",
        params=params,
    )
    jobs.wake()
    job = submitted.job
    return RetrainOut(
        message=(
            f"Model retraining initiated in the background. Follow its progress at /jobs/{job.id}."
        ),
        job_id=job.id,
        status=job.status,
        target=target,
        already_queued=not submitted.created,
    )


@router.get("/retrain/policies", response_model=list[PolicyOut], summary="Retraining policies")
def list_policies(session: SessionDep, retrainer: RetrainerDep) -> list[PolicyOut]:
    return [
        PolicyOut.model_validate(policy)
        for policy in service.list_policies(session, retrainer.targets)
    ]


@router.put("/retrain/policies/{target}", response_model=PolicyOut, summary="Set a target's policy")
def put_policy(
    target: Annotated[str, Path(max_length=60)],
    body: PolicyIn,
    session: SessionDep,
    retrainer: RetrainerDep,
) -> PolicyOut:
    """``manual``: only on request. ``scheduled``: on ``cron`` (UTC). ``drift``: when a drift
    check flags, at most once per ``cooldown_minutes``."""
    policy = service.set_policy(
        session,
        target,
        mode=body.mode,
        known=retrainer.targets,
        cron=body.cron,
        cooldown_minutes=body.cooldown_minutes,
        tolerance=body.tolerance,
    )
    return PolicyOut.model_validate(policy)
