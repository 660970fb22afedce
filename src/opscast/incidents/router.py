"""HTTP skin over incident forecasting (seed 1)."""

from __future__ import annotations

from fastapi import APIRouter

from opscast.dependencies import IncidentForecasterDep, SessionDep
from opscast.incidents.schemas import ForecastRequest, ForecastResponse
from opscast.timeseries import Granularity

router = APIRouter(tags=["incidents"])


@router.post(
    "/forecast",
    response_model=ForecastResponse,
    response_model_exclude_none=True,
    summary="Incident counts of a category for the next periods",
    responses={
        404: {"description": "unknown category (the message lists the known ones)"},
        422: {"description": "bad granularity, future_periods or level; too little history"},
    },
)
def forecast(
    body: ForecastRequest, session: SessionDep, forecaster: IncidentForecasterDep
) -> ForecastResponse:
    result = forecaster.forecast(
        session,
        body.category,
        Granularity(body.granularity.value),
        body.future_periods,
        interval_level=body.level,
    )
    return ForecastResponse.of(result)
