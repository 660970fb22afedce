"""Storing ``system_metrics`` batches: metric points as series, log events as counts.

A point becomes the series ``host:metric`` (kind ``server_metrics``); a log event adds
one to the series ``service:log_<level>`` at its minute. The batch id is recorded in
the same unit of work, so a redelivered batch stores nothing twice. Nothing commits
here: the caller's unit of work does, and only then may the message be acknowledged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from opscast.db import utc_now
from opscast.errors import ConflictError, InvalidInputError
from opscast.observability import ANOMALIES
from opscast.schema_types import naive_utc
from opscast.series.repository import SeriesRepository
from opscast.series.schemas import SeriesKind
from opscast.streaming import anomaly_service as predictions
from opscast.streaming.processor import Predictor, Scored
from opscast.streaming.repository import IngestReceipt, IngestRepository
from opscast.streaming.schemas import MetricBatch, MetricPoint, StoredBatch

SERIES_KIND = SeriesKind.server_metrics


def series_name(host: str, metric: str) -> str:
    return f"{host}:{metric}"


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
        if not self.order:
            return []
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


def store_batches(
    session: Session, batches: Sequence[MetricBatch], *, now: datetime | None = None
) -> list[StoredBatch]:
    """Store points and log counts once per batch id; a repeat writes nothing.

    However many batches, one statement records their ids, one looks up their series
    and one writes their points (one more their log counts): a group of requests costs
    little more than one. Each answer is the one its batch would get alone, in order: a
    point repeated in a later batch keeps the later value, a series counts as created by
    the first batch naming it, with that batch's source and labels.
    """
    at = now.replace(tzinfo=None) if now else utc_now()
    claimed = IngestRepository(session).claim(
        [
            IngestReceipt(batch.batch_id, batch.source, len(batch.points), len(batch.logs), at)
            for batch in batches
        ]
    )
    fresh: dict[str, BatchWrites] = {}
    for batch in batches:
        if batch.batch_id in claimed and batch.batch_id not in fresh:
            fresh[batch.batch_id] = BatchWrites.of(batch)
    created = _create_missing(session, list(fresh.values()))
    ids = {name: series_id for name, (series_id, _) in created.items()}
    repository = SeriesRepository(session)
    points: dict[tuple[str, datetime], float] = {}
    counts: Counter[tuple[str, datetime]] = Counter()
    for one in fresh.values():
        points.update(one.points)
        counts.update(one.log_counts)
    if points:
        repository.upsert_points(
            [ids[name] for name, _ in points], [stamp for _, stamp in points], list(points.values())
        )
    if counts:
        repository.add_to_points(
            [ids[name] for name, _ in counts],
            [stamp for _, stamp in counts],
            [float(count) for count in counts.values()],
        )
    answers = []
    for batch in batches:
        writes = fresh.pop(batch.batch_id) if batch.batch_id in fresh else None
        answers.append(
            StoredBatch(
                batch_id=batch.batch_id,
                duplicate=writes is None,
                points_written=0 if writes is None else len(writes.points),
                log_events_counted=0 if writes is None else len(batch.logs),
                series_created=0
                if writes is None
                else sum(1 for _, creator in created.values() if creator is writes),
            )
        )
    return answers


@dataclass(frozen=True, slots=True)
class BatchWrites:
    """What one batch writes: its points (the later value of a repeated one) and its log
    events counted per series and minute, with the labels and frequency of each series."""

    batch: MetricBatch
    points: dict[tuple[str, datetime], float]
    log_counts: Counter[tuple[str, datetime]]
    labels: dict[str, dict[str, str]]
    series: dict[str, str | None]
    """The series written, each with the frequency it is created with."""

    @classmethod
    def of(cls, batch: MetricBatch) -> BatchWrites:
        ordered = OrderedPoints.of(batch.points)
        # a stream message may repeat a point (a producer's retry): the later value wins
        points = {
            (ordered.unique_ids[i], ordered.stamps[i]): batch.points[i].value
            for i in ordered.later_wins()
        }
        counts = Counter(
            (
                f"{event.service}:log_{event.level.value}",
                naive_utc(event.timestamp).replace(second=0, microsecond=0),
            )
            for event in batch.logs
        )
        series: dict[str, str | None] = {name: None for name, _ in points}
        for name, _ in counts:
            series.setdefault(name, "min")
        return cls(batch, points, counts, ordered.labels(), series)


def _create_missing(
    session: Session, writes: list[BatchWrites]
) -> dict[str, tuple[int, BatchWrites | None]]:
    """The id of every series the batches write, creating the missing ones, with the
    batch that created each (None for those that existed). A series keeps the kind it was
    created with: points of another kind would reach its models unvetted."""
    repository = SeriesRepository(session)
    wanted = {name: None for one in writes for name in one.series}
    stored = repository.ids_and_kinds(list(wanted))
    for unique_id, (_, stored_kind) in stored.items():
        if stored_kind != SERIES_KIND:
            raise ConflictError(
                f"series {unique_id!r} holds {stored_kind} points, not {SERIES_KIND}; "
                "store these points under another host or metric",
                field="points",
            )
    found: dict[str, tuple[int, BatchWrites | None]] = {
        name: (series_id, None) for name, (series_id, _) in stored.items()
    }
    for one in writes:
        for freq in (None, "min"):
            missing = [
                name
                for name, its_freq in one.series.items()
                if its_freq == freq and name not in found
            ]
            added = repository.create(
                missing, kind=SERIES_KIND, source=one.batch.source, freq=freq, labels=one.labels
            )
            found.update((name, (series_id, one)) for name, series_id in added.items())
    return found


def flagged_points(points: pd.DataFrame) -> list[dict[str, Any]]:
    """The points at or above the threshold, as plain values ready to store or send."""
    flags = points["is_anomaly"].to_numpy(dtype=bool) if len(points) else None
    if flags is None or not flags.any():  # the usual batch: no frame to filter
        return []
    flagged = points[flags]
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
