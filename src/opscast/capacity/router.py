"""Scaling endpoints (seed 5): recommend replicas now, compare policies over a series."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from opscast.capacity.schemas import (
    RecommendRequest,
    RecommendResponse,
    SimulateRequest,
    SimulateResponse,
)
from opscast.capacity.service import CapacityPlanner, simulate
from opscast.dependencies import TrafficDep

router = APIRouter(prefix="/scaling", tags=["scaling"])


def get_planner(forecasts: TrafficDep) -> CapacityPlanner:
    return CapacityPlanner(forecasts)


PlannerDep = Annotated[CapacityPlanner, Depends(get_planner)]
ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "unknown model_type"},
    422: {"description": "invalid settings or data; the body names the field"},
}


@router.post("/recommend", responses=ERRORS)
def recommend(body: RecommendRequest, planner: PlannerDep) -> RecommendResponse:
    """Replicas now (the larger of the HPA's and the forecast's) and a schedule ahead.

    Recommend-only: opscast changes nothing; the replica count is also exported as
    ``opscast_scaling_recommended_replicas{service}`` for an external scaler to read.
    """
    return planner.recommend(body)


@router.post("/simulate", responses={422: ERRORS[422]})
def simulate_policies(body: SimulateRequest) -> SimulateResponse:
    """Reactive HPA, predictive and perfect-foresight oracle over the posted traffic:
    replicas over time, replica-hours, cost, unserved requests, SLA-violation minutes,
    savings and how each policy handled each burst and event."""
    return simulate(body)
