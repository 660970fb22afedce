"""Storing system_metrics batches on SQLite and PostgreSQL: a redelivered batch writes nothing."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from opscast.anomaly.novelty import NoveltyDetector
from opscast.db import Database
from opscast.series.repository import SeriesRepository
from opscast.streaming.pipeline import store_batch, store_batches
from opscast.streaming.repository import IngestRepository
from opscast.streaming.schemas import MetricBatch


def batch(batch_id: str, value: float) -> MetricBatch:
    return MetricBatch.model_validate(
        {
            "batch_id": batch_id,
            "points": [
                {
                    "host": "db-1",
                    "metric": "connections",
                    "timestamp": "2026-03-01T00:00:00Z",
                    "value": value,
                    "labels": {"limit": "200"},
                },
                # the same point twice in one message: the later value wins
                {
                    "host": "db-1",
                    "metric": "connections",
                    "timestamp": "2026-03-01T00:00:00Z",
                    "value": value + 1,
                },
            ],
            "logs": [
                {"service": "db", "level": "error", "timestamp": "2026-03-01T00:00:01+01:00"},
                {"service": "db", "level": "error", "timestamp": "2026-03-01T00:00:59+01:00"},
            ],
        }
    )


def values(database: Database, unique_id: str) -> list[tuple[str, float]]:
    with database.session() as session:
        repository = SeriesRepository(session)
        series = repository.get(unique_id)
        assert series is not None
        frame = repository.points_frame(series)
    return [(str(ds), float(y)) for ds, y in zip(frame["ds"], frame["y"], strict=True)]


def test_a_batch_is_stored_once_and_log_counts_add_up(database: Database) -> None:
    first = store_batch(database, batch("b-1", 10.0))
    assert not first.duplicate
    assert (first.points_written, first.log_events_counted, first.series_created) == (1, 2, 2)

    repeat = store_batch(database, batch("b-1", 99.0))
    assert repeat.duplicate
    assert (repeat.points_written, repeat.log_events_counted) == (0, 0)
    assert values(database, "db-1:connections") == [("2026-03-01 00:00:00", 11.0)]
    # log times are converted to UTC and counted per minute
    assert values(database, "db:log_error") == [("2026-02-28 23:00:00", 2.0)]

    store_batch(database, batch("b-2", 20.0))
    assert values(database, "db-1:connections") == [("2026-03-01 00:00:00", 21.0)]
    assert values(database, "db:log_error") == [("2026-02-28 23:00:00", 4.0)]
    with database.session() as session:
        series = SeriesRepository(session).get("db-1:connections")
        assert series is not None
        assert series.labels == {"limit": "200"}
        assert series.kind == "server_metrics"


def test_stored_history_gets_the_predictions_of_the_stream(database: Database) -> None:
    from opscast.simulate import simulate_fleet
    from opscast.streaming import anomaly_service as predictions
    from opscast.streaming.service import score_history

    fleet = simulate_fleet(hosts=4, days=2, freq="5min", failure_share=1.0, seed=3)
    frame = fleet.metrics[["unique_id", "ds", "y"]]
    with database.session() as session:
        flagged = score_history(session, frame)
    with database.session() as session:
        anomalies, total = predictions.list_anomalies(session, limit=10_000)
        forecasts = predictions.list_time_to_failure(session)
    assert total == flagged == len(anomalies) > 0
    assert {row.host for row in anomalies} <= set(fleet.hosts["host"])
    # the stream's default detector, at its own threshold
    assert all(row.detector == "novelty" for row in anomalies)
    assert all(NoveltyDetector().threshold <= row.score <= 1.0 for row in anomalies)
    assert all(row.metric in {"cpu_pct", "memory_pct", "disk_pct"} for row in forecasts)
    with database.session() as session:
        assert score_history(session, frame) == flagged, "scoring again rewrites the same rows"
    with database.session() as session:
        assert predictions.list_anomalies(session, limit=10_000)[1] == total


def points_batch(batch_id: str, source: str, points: list[tuple[str, str, float]]) -> MetricBatch:
    return MetricBatch.model_validate(
        {
            "batch_id": batch_id,
            "source": source,
            "points": [
                {"host": host, "metric": "load", "timestamp": stamp, "value": value}
                for host, stamp, value in points
            ],
            "logs": [
                {"service": host, "level": "warning", "timestamp": stamp}
                for host, stamp, _ in points
            ],
        }
    )


def everything(database: Database) -> dict[str, tuple[str, list[tuple[str, float]]]]:
    """Every series: its source and points."""
    with database.session() as session:
        stats = SeriesRepository(session).list_with_stats(None)
        sources = {row.series.unique_id: row.series.source for row in stats}
    return {name: (source, values(database, name)) for name, source in sorted(sources.items())}


def test_batches_stored_together_answer_and_write_as_if_stored_one_by_one(
    database: Database, tmp_path: Path
) -> None:
    earlier = points_batch("b-0", "agent", [("web-1", "2026-03-01T00:00:00Z", 1.0)])
    group = [
        points_batch("b-1", "agent", [("web-1", "2026-03-01T00:01:00Z", 2.0)]),
        # a later batch repeats a point of an earlier one and names a new series
        points_batch(
            "b-2",
            "pull",
            [("web-1", "2026-03-01T00:01:00Z", 3.0), ("web-2", "2026-03-01T00:01:00Z", 4.0)],
        ),
        earlier,  # stored before: a redelivery
        points_batch("b-1", "agent", [("web-1", "2026-03-01T00:01:00Z", 9.0)]),  # repeated id
        points_batch("b-3", "agent", [("web-2", "2026-03-01T00:31:30+00:30", 5.0)]),
    ]
    alone = Database(f"sqlite:///{tmp_path / 'alone.db'}")
    alone.migrate()
    try:
        for target in (database, alone):
            store_batches(target, [earlier])
        together = store_batches(database, group)
        one_by_one = [store_batch(alone, batch) for batch in group]
        assert together == one_by_one
        assert [answer.duplicate for answer in together] == [False, False, True, True, False]
        assert everything(database) == everything(alone)
        # the later value wins, the first batch naming a series creates it, logs add up
        assert values(database, "web-1:load")[-1] == ("2026-03-01 00:01:00", 3.0)
        assert everything(database)["web-2:load"][0] == "pull"
        assert values(database, "web-2:log_warning") == [("2026-03-01 00:01:00", 2.0)]
    finally:
        alone.dispose()


def test_a_point_for_a_series_of_another_kind_fails_the_whole_group(database: Database) -> None:
    from opscast.errors import ConflictError
    from opscast.series.service import ingest_points

    with database.session() as session:
        ingest_points(
            session, ["web-9:load"], [datetime(2026, 3, 1)], [1.0], kind="custom", source="test"
        )
    group = [
        points_batch("ok", "agent", [("web-1", "2026-03-01T00:00:00Z", 1.0)]),
        points_batch("clash", "agent", [("web-9", "2026-03-01T00:01:00Z", 2.0)]),
    ]
    with pytest.raises(ConflictError, match="holds custom points"):
        store_batches(database, group)
    with database.session() as session:
        assert SeriesRepository(session).get("web-1:load") is None, "half a group was written"
        assert IngestRepository(session).count() == 0
