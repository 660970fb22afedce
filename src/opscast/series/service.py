"""Use cases on stored series: ingest a long-format frame, read it back at a granularity.

Validation happens here, once, through the time-series kernel, so the HTTP API, the
CLI and the demo loader reject the same inputs with the same messages. Nothing here
commits: the caller's unit of work decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy.orm import Session

from opscast.errors import ConflictError, InvalidInputError, NotFoundError
from opscast.series.repository import SeriesRepository, SeriesStats
from opscast.series.schemas import IngestResult
from opscast.series.tables import Series
from opscast.timeseries import Aggregation, FillPolicy, resample, validate_long_frame


def ingest_frame(
    session: Session,
    frame: pd.DataFrame,
    *,
    kind: str,
    source: str,
    freq: str | None = None,
    labels: Mapping[str, dict[str, str]] | None = None,
) -> IngestResult:
    """Store a long-format frame; points already stored at the same timestamp are replaced."""
    clean = validate_long_frame(frame)
    if not pd.api.types.is_datetime64_any_dtype(clean["ds"]):
        raise InvalidInputError(
            "stored series need timestamps in 'ds', not integer steps; "
            "send ISO 8601 times such as 2024-01-01T00:00:00",
            field="ds",
        )
    return ingest_points(
        session,
        clean["unique_id"].tolist(),
        clean["ds"].to_numpy().astype("datetime64[us]").tolist(),
        clean["y"].tolist(),
        kind=kind,
        source=source,
        freq=freq,
        labels=labels,
    )


def ingest_points(
    session: Session,
    unique_ids: Sequence[str],
    ds: Sequence[datetime],
    y: Sequence[float],
    *,
    kind: str,
    source: str,
    freq: str | None = None,
    labels: Mapping[str, dict[str, str]] | None = None,
) -> IngestResult:
    """Store points checked already (finite values, naive UTC times, one per series and
    time), as the stream's validated batches are: a batch of a few points should not pay
    for a frame's validation. A series keeps the kind it was created with: its models and
    checks are chosen by it, and points of another kind (a ``custom`` point into an
    ``incidents`` category) would reach them unvetted."""
    repository = SeriesRepository(session)
    names = list(dict.fromkeys(unique_ids))
    stored = repository.ids_and_kinds(names)
    for unique_id, (_, stored_kind) in stored.items():
        if stored_kind != kind:
            raise ConflictError(
                f"series {unique_id!r} holds {stored_kind} points, not {kind}; send "
                f"kind={stored_kind!r} or store these points under another unique_id",
                field="kind",
            )
    ids = {unique_id: series_id for unique_id, (series_id, _) in stored.items()}
    created = repository.create(
        [name for name in names if name not in ids],
        kind=kind,
        source=source,
        freq=freq,
        labels=labels or {},
    )
    ids.update(created)
    written = repository.upsert_points([ids[name] for name in unique_ids], ds, y)
    return IngestResult(series_created=len(created), points_written=written, unique_ids=names)


def list_series(session: Session, kind: str | None = None) -> list[SeriesStats]:
    return SeriesRepository(session).list_with_stats(kind)


def latest_timestamp(session: Session, unique_id: str, kind: str) -> datetime | None:
    """The newest point's time of a series of ``kind``; NotFoundError if there is none."""
    repository = SeriesRepository(session)
    series = repository.get(unique_id)
    if series is None or series.kind != kind:
        raise NotFoundError(f"no {kind} series named {unique_id!r}")
    return repository.last_ds(series)


def recent_values(session: Session, series: Series, limit: int) -> list[float]:
    return SeriesRepository(session).recent_values(series, limit)


def read_points(
    session: Session,
    unique_id: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    granularity: str | None = None,
    agg: Aggregation = "sum",
) -> pd.DataFrame:
    """Points of one series, optionally aggregated to a granularity (gaps filled per ``agg``)."""
    if start is not None and end is not None and start > end:
        raise InvalidInputError("'start' is after 'end'; swap them", field="start")
    repository = SeriesRepository(session)
    series = repository.get(unique_id)
    if series is None:
        raise NotFoundError(f"no series named {unique_id!r}; GET /series lists them")
    frame = repository.points_frame(series, start, end)
    if granularity is None or frame.empty:
        return frame
    fill: FillPolicy = "zero" if agg in {"sum", "count"} else "nan"
    return resample(frame, granularity, agg=agg, fill=fill)


def read_recent(
    session: Session,
    unique_id: str,
    span: pd.Timedelta,
    *,
    granularity: str | None = None,
    agg: Aggregation = "sum",
) -> pd.DataFrame:
    """The points of the last ``span`` before a series' newest one: a chart of a long
    series needs its recent end only, and reading that end alone keeps a page fast."""
    repository = SeriesRepository(session)
    series = repository.get(unique_id)
    if series is None:
        raise NotFoundError(f"no series named {unique_id!r}; GET /series lists them")
    newest = repository.last_ds(series)
    start = None if newest is None else (pd.Timestamp(newest) - span).to_pydatetime()
    return read_points(session, unique_id, start=start, granularity=granularity, agg=agg)


def delete_series(session: Session, unique_id: str) -> None:
    repository = SeriesRepository(session)
    series = repository.get(unique_id)
    if series is None:
        raise NotFoundError(f"no series named {unique_id!r}; GET /series lists them")
    repository.delete(series)
