"""HTTP skin over the stream's stored predictions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from opscast.dependencies import SessionDep
from opscast.schema_types import naive_utc
from opscast.streaming import anomaly_service as service
from opscast.streaming.anomaly_schemas import AnomalyOut, TimeToFailureOut
from opscast.streaming.schemas import NAME_PATTERN
from opscast.value_ranges import SQL_INT_MAX

router = APIRouter(tags=["predictions"])

HostQuery = Annotated[str | None, Query(pattern=NAME_PATTERN)]


@router.get("/anomalies", response_model=list[AnomalyOut], summary="Flagged points, newest first")
def list_anomalies(
    session: SessionDep,
    response: Response,
    host: HostQuery = None,
    metric: HostQuery = None,
    start: datetime | None = None,
    end: datetime | None = None,
    min_score: Annotated[float, Query(ge=0, le=1)] = 0.0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=SQL_INT_MAX)] = 0,
) -> list[AnomalyOut]:
    """Times are UTC. The total number of matches is in the ``X-Total-Count`` header."""
    rows, total = service.list_anomalies(
        session,
        host=host,
        metric=metric,
        start=None if start is None else naive_utc(start),
        end=None if end is None else naive_utc(end),
        min_score=min_score,
        limit=limit,
        offset=offset,
    )
    response.headers["X-Total-Count"] = str(total)
    return [AnomalyOut.model_validate(row) for row in rows]


@router.get(
    "/predictions/time-to-failure",
    response_model=list[TimeToFailureOut],
    summary="Latest time-to-failure estimate per host and metric, soonest first",
)
def list_time_to_failure(
    session: SessionDep, host: HostQuery = None, metric: HostQuery = None
) -> list[TimeToFailureOut]:
    rows = service.list_time_to_failure(session, host=host, metric=metric)
    return [TimeToFailureOut.model_validate(row) for row in rows]
