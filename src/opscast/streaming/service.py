"""Storing ``system_metrics`` batches: metric points as series, log events as counts.

A point becomes the series ``host:metric`` (kind ``server_metrics``); a log event adds
one to the series ``service:log_<level>`` at its minute. The batch id is recorded in
the same unit of work, so a redelivered batch stores nothing twice. Nothing commits
here: the caller's unit of work does, and only then may the message be acknowledged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from opscast.db import utc_now
from opscast.errors import InvalidInputError
from opscast.observability import ANOMALIES
from opscast.schema_types import naive_utc
from opscast.series import service as series_service
from opscast.series.repository import SeriesRepository
from opscast.series.schemas import SeriesKind
from opscast.streaming import anomaly_service as predictions
from opscast.streaming.processor import Predictor, Scored
from opscast.streaming.repository import IngestRepository
from opscast.streaming.schemas import LogEvent, MetricBatch, MetricPoint, StoredBatch

SERIES_KIND = SeriesKind.server_metrics


def series_name(host: str, metric: str) -> str:
    return f"{host}:{metric}"


def utc_naive(stamps: pd.Series) -> pd.Series:
    """Stored times are naive UTC; a naive input is taken as UTC already."""
    parsed = pd.to_datetime(stamps, utc=True)
    return parsed.dt.tz_localize(None)


@dataclass(frozen=True, slots=True)
class OrderedPoints:
    """Points in series and time order, as plain lists: batches are often a point or a
    few, where pandas' sorting and deduplication cost more than the rest of a stage."""

    points: Sequence[MetricPoint]
    unique_ids: list[str]
    stamps: list[datetime]
    """Naive UTC, as stored."""
    order: list[int]

    @classmethod
    def of(cls, points: Sequence[MetricPoint]) -> OrderedPoints:
        uids = [series_name(point.host, point.metric) for point in points]
        stamps = [naive_utc(point.timestamp) for point in points]
        order = sorted(range(len(points)), key=lambda i: (uids[i], stamps[i]))
        return cls(points, uids, stamps, order)

    def later_wins(self) -> list[int]:
        """The order without the earlier values of a point repeated (series and time)."""
        ids, stamps = self.unique_ids, self.stamps
        return [
            i
            for i, after in zip(self.order, [*self.order[1:], None], strict=True)
            if after is None or (ids[i], stamps[i]) != (ids[after], stamps[after])
        ]

    def labels(self) -> dict[str, dict[str, str]]:
        """Each series' labels, those of its later points overriding the earlier."""
        labels: dict[str, dict[str, str]] = {}
        for i in self.order:
            labels.setdefault(self.unique_ids[i], {}).update(self.points[i].labels)
        return labels


def points_frame(
    points: Sequence[MetricPoint], message: Sequence[int] = (), *, later_wins: bool = False
) -> pd.DataFrame:
    """Long format plus ``host``, ``metric`` and ``labels``, time-ordered per series.

    ``message``, when given, is the message each point came in, kept as a column of
    that name (the stream handles queued messages together and answers each). With
    ``later_wins``, a point repeated (same series and time) keeps only its last value.
    """
    ordered = OrderedPoints.of(points)
    order = ordered.later_wins() if later_wins else ordered.order
    columns: dict[str, Any] = {
        "unique_id": [ordered.unique_ids[i] for i in order],
        "host": [points[i].host for i in order],
        "metric": [points[i].metric for i in order],
        "ds": pd.DatetimeIndex([ordered.stamps[i] for i in order]).as_unit("ns"),
        "y": [points[i].value for i in order],
        "labels": [points[i].labels for i in order],
    }
    if message:
        columns["message"] = [message[i] for i in order]
    return pd.DataFrame(columns)


def first_duplicate(points: Sequence[MetricPoint]) -> int | None:
    """Index of the first point repeating an earlier (host, metric, timestamp), if any.

    Plain Python: a batch is usually a handful of points, where building a frame to find
    duplicates cost more than the rest of the check.
    """
    seen: set[tuple[str, str, datetime]] = set()
    for index, point in enumerate(points):
        key = (point.host, point.metric, naive_utc(point.timestamp))
        if key in seen:
            return index
        seen.add(key)
    return None


def log_counts(logs: Sequence[LogEvent]) -> pd.DataFrame:
    """Events per service, level and minute, as long-format count series."""
    if not logs:
        return pd.DataFrame({"unique_id": [], "ds": [], "y": []})
    frame = pd.DataFrame(
        {
            "unique_id": [f"{event.service}:log_{event.level.value}" for event in logs],
            "ds": utc_naive(pd.Series([event.timestamp for event in logs], dtype=object)),
        }
    )
    frame["ds"] = frame["ds"].dt.floor("min")
    counts = frame.groupby(["unique_id", "ds"]).size().rename("y").reset_index()
    counts["y"] = counts["y"].astype("float64")
    return counts


def check_collect(points: Sequence[MetricPoint], limit: int, logs: int) -> None:
    """Refuse what would be cut or ambiguous, naming the row, before anything is written."""
    if len(points) + logs > limit:
        raise InvalidInputError(
            f"{len(points) + logs} items exceed the limit of {limit} per request; split the batch",
            field="points",
        )
    duplicate = first_duplicate(points)
    if duplicate is not None:
        point = points[duplicate]
        raise InvalidInputError(
            f"points.{duplicate} repeats {point.host}:{point.metric} at {point.timestamp}; "
            "send one value per host, metric and timestamp",
            field=f"points.{duplicate}.timestamp",
        )


def store_batch(
    session: Session, batch: MetricBatch, *, now: datetime | None = None
) -> StoredBatch:
    """Store points and log counts once per batch id; a repeat writes nothing."""
    at = now.replace(tzinfo=None) if now else utc_now()
    receipts = IngestRepository(session)
    if not receipts.claim(
        batch.batch_id,
        source=batch.source,
        points=len(batch.points),
        log_events=len(batch.logs),
        at=at,
    ):
        return StoredBatch(
            batch_id=batch.batch_id,
            duplicate=True,
            points_written=0,
            log_events_counted=0,
            series_created=0,
        )
    created = written = 0
    if batch.points:
        ordered = OrderedPoints.of(batch.points)
        # a stream message may repeat a point (a producer's retry): the later value wins
        kept = ordered.later_wins()
        result = series_service.ingest_points(
            session,
            [ordered.unique_ids[i] for i in kept],
            [ordered.stamps[i] for i in kept],
            [batch.points[i].value for i in kept],
            kind=SERIES_KIND,
            source=batch.source,
            labels=ordered.labels(),
        )
        created, written = result.series_created, result.points_written
    counts = log_counts(batch.logs)
    if len(counts):
        repository = SeriesRepository(session)
        unique_ids = counts["unique_id"].drop_duplicates().tolist()
        created += repository.add_missing(
            unique_ids, kind=SERIES_KIND, source=batch.source, freq="min", labels={}
        )
        ids = repository.ids_by_unique_id(unique_ids)
        repository.add_to_points(
            counts["unique_id"].map(ids).tolist(),
            counts["ds"].to_numpy().astype("datetime64[us]").tolist(),
            counts["y"].tolist(),
        )
    return StoredBatch(
        batch_id=batch.batch_id,
        duplicate=False,
        points_written=written,
        log_events_counted=len(batch.logs),
        series_created=created,
    )


def flagged_points(points: pd.DataFrame) -> list[dict[str, Any]]:
    """The points at or above the threshold, as plain values ready to store or send."""
    if points.empty:
        return []
    flagged = points[points["is_anomaly"]]
    return [
        {
            "host": str(host),
            "metric": str(metric),
            "ds": stamp.to_pydatetime(),
            "value": float(value),
            "score": float(score),
            "explanation": explanation or {},
        }
        for host, metric, stamp, value, score, explanation in zip(
            flagged["host"],
            flagged["metric"],
            pd.to_datetime(flagged["ds"]),
            flagged["y"],
            flagged["score"],
            flagged["explanation"],
            strict=True,
        )
    ]


def record_scored(session: Session, scored: Scored, detector: str) -> int:
    """Store the flagged points and failure estimates of a scored batch; how many flagged."""
    now = utc_now()
    rows = [
        {**point, "detector": detector, "detected_at": now}
        for point in flagged_points(scored.points)
    ]
    failures = {
        key: None if estimate is None else asdict(estimate)
        for key, estimate in scored.failures.items()
    }
    predictions.record_predictions(session, rows, failures)
    ANOMALIES.inc(len(rows))
    return len(rows)


def score_history(session: Session, frame: pd.DataFrame, detector: str = "novelty") -> int:
    """Score stored server metrics (``unique_id`` ``host:metric``, ``ds``, ``y``) at once.

    Gives a freshly loaded data set (the demo fleet) the predictions the stream would
    have made point by point: the scores are causal, so one batch equals the stream.
    """
    hosts_metrics = frame["unique_id"].str.split(":", n=1, expand=True)
    batch = frame.assign(host=hosts_metrics[0], metric=hosts_metrics[1])
    batch["labels"] = pd.Series([{}] * len(batch), index=batch.index, dtype=object)
    return record_scored(session, Predictor(detector).predict(batch), detector)
