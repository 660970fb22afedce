"""The database layer against SQLite and the real PostgreSQL server."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from opscast.db import Base, Database
from opscast.series.repository import SeriesRepository
from opscast.series.tables import Series, SeriesPoint
from opscast.tables import import_all_tables


def test_migrations_reach_head_and_are_idempotent(database: Database) -> None:
    assert database.current_revision() == database.head_revision()
    database.migrate()
    assert database.current_revision() == database.head_revision()


def test_migrations_match_the_table_classes(database: Database) -> None:
    """A table class changed without a migration would be a schema nobody can deploy."""
    import_all_tables()
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_session_commits_on_success_and_rolls_back_on_error(database: Database) -> None:
    with database.session() as session:
        session.add(Series(unique_id="kept", kind="custom", source="test", labels={}))

    def failing_unit_of_work() -> None:
        with database.session() as session:
            session.add(Series(unique_id="dropped", kind="custom", source="test", labels={}))
            session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing_unit_of_work()
    with database.session() as session:
        names = session.scalars(select(Series.unique_id)).all()
    assert names == ["kept"]


def test_point_upsert_replaces_instead_of_duplicating(database: Database) -> None:
    when = [datetime(2024, 1, 1, hour) for hour in range(3)]
    with database.session() as session:
        repository = SeriesRepository(session)
        repository.add_missing(["a"], kind="custom", source="test", freq="h", labels={})
        series_id = repository.ids_by_unique_id(["a"])["a"]
        repository.upsert_points([series_id] * 3, when, [1.0, 2.0, 3.0])
    with database.session() as session:
        SeriesRepository(session).upsert_points([series_id] * 2, when[1:], [20.0, 30.0])
    with database.session() as session:
        series = SeriesRepository(session).get("a")
        assert series is not None
        frame = SeriesRepository(session).points_frame(series)
    assert frame["y"].tolist() == [1.0, 20.0, 30.0]
    assert frame["ds"].tolist() == when


def test_large_upserts_are_chunked(database: Database) -> None:
    count = 12_345
    when = [datetime(2024, 1, 1) + timedelta(minutes=i) for i in range(count)]
    with database.session() as session:
        repository = SeriesRepository(session)
        repository.add_missing(["big"], kind="custom", source="test", freq="min", labels={})
        series_id = repository.ids_by_unique_id(["big"])["big"]
        written = repository.upsert_points(
            [series_id] * count, when, [float(i) for i in range(count)]
        )
    assert written == count
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(SeriesPoint)) == count


def test_deleting_a_series_deletes_its_points(database: Database) -> None:
    with database.session() as session:
        repository = SeriesRepository(session)
        repository.add_missing(["gone", "stays"], kind="custom", source="t", freq=None, labels={})
        ids = repository.ids_by_unique_id(["gone", "stays"])
        repository.upsert_points(
            [ids["gone"], ids["stays"]], [datetime(2024, 1, 1)] * 2, [1.0, 2.0]
        )
    with database.session() as session:
        repository = SeriesRepository(session)
        series = repository.get("gone")
        assert series is not None
        repository.delete(series)
    with database.session() as session:
        stats = SeriesRepository(session).list_with_stats()
    assert [(s.series.unique_id, s.points) for s in stats] == [("stays", 1)]
