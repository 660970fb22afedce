"""HTTP skin over the stored-series use cases."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from fastapi import APIRouter

from opscast.dependencies import SessionDep, batch_limit
from opscast.observability import INGESTED_POINTS
from opscast.series import service
from opscast.series.schemas import (
    DeletedOut,
    IngestResult,
    PointOut,
    PointsUpload,
    SeriesKind,
    SeriesOut,
    SeriesPointsOut,
)
from opscast.timeseries import Aggregation, Granularity

router = APIRouter(prefix="/series", tags=["series"])


@router.get("", response_model=list[SeriesOut], summary="Stored series with point counts")
def list_series(session: SessionDep, kind: SeriesKind | None = None) -> list[SeriesOut]:
    return [
        SeriesOut(
            unique_id=stats.series.unique_id,
            kind=stats.series.kind,
            source=stats.series.source,
            freq=stats.series.freq,
            labels=stats.series.labels,
            points=stats.points,
            first_ds=stats.first_ds,
            last_ds=stats.last_ds,
        )
        for stats in service.list_series(session, kind.value if kind else None)
    ]


@router.post(
    "/points",
    response_model=IngestResult,
    status_code=201,
    summary="Store points",
    dependencies=[
        batch_limit(
            ("points",),
            lambda settings: settings.max_points_per_request,
            setting="OPSCAST_MAX_POINTS_PER_REQUEST",
        )
    ],
)
def upload_points(body: PointsUpload, session: SessionDep) -> IngestResult:
    """A point at a timestamp already stored replaces the old value: retrying is harmless."""
    frame = pd.DataFrame([point.model_dump() for point in body.points])
    frame["ds"] = pd.to_datetime(frame["ds"], utc=True).dt.tz_localize(None)
    result = service.ingest_frame(
        session,
        frame,
        kind=body.kind.value,
        source=body.source,
        freq=body.freq,
        labels=dict.fromkeys(frame["unique_id"].unique(), body.labels),
    )
    INGESTED_POINTS.inc(result.points_written)
    return result


@router.get(
    "/{unique_id}/points",
    response_model=SeriesPointsOut,
    summary="Points of one series, optionally aggregated to a granularity",
)
def read_points(
    unique_id: str,
    session: SessionDep,
    start: datetime | None = None,
    end: datetime | None = None,
    granularity: Granularity | None = None,
    agg: Aggregation = "sum",
) -> SeriesPointsOut:
    frame = service.read_points(
        session,
        unique_id,
        start=start,
        end=end,
        granularity=granularity.value if granularity else None,
        agg=agg,
    )
    return SeriesPointsOut(
        unique_id=unique_id,
        granularity=granularity.value if granularity else None,
        agg=agg if granularity else None,
        points=[
            PointOut(ds=ds, y=None if pd.isna(y) else float(y))
            for ds, y in zip(frame["ds"], frame["y"], strict=True)
        ],
    )


@router.delete("/{unique_id}", response_model=DeletedOut, summary="Delete a series and its points")
def delete_series(unique_id: str, session: SessionDep) -> DeletedOut:
    service.delete_series(session, unique_id)
    return DeletedOut(message=f"Series {unique_id} deleted successfully")
