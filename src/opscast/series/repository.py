"""Every query on stored series, and nothing else.

Upserts go through the dialect's own ``INSERT ... ON CONFLICT`` (SQLite and
PostgreSQL share the syntax) in bounded chunks: SQLite caps the number of bound
parameters per statement and PostgreSQL round-trips grow with statement size.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlalchemy import String, delete, func, select, type_coerce
from sqlalchemy.orm import Session

from opscast.db import dialect_insert
from opscast.series.tables import Series, SeriesPoint

POINTS_PER_STATEMENT = 5_000


@dataclass(frozen=True, slots=True)
class SeriesStats:
    series: Series
    points: int
    first_ds: datetime | None
    last_ds: datetime | None


class _Writes:
    """A count of the point writes this process made: a cache of something computed from
    stored points keys on it to notice them at once (other processes' writes it must poll)."""

    count = 0


def points_written() -> int:
    return _Writes.count


class SeriesRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, unique_id: str) -> Series | None:
        return self.session.scalar(select(Series).where(Series.unique_id == unique_id))

    def ids_by_unique_id(self, unique_ids: Iterable[str]) -> dict[str, int]:
        return {name: id_ for name, (id_, _) in self.ids_and_kinds(list(unique_ids)).items()}

    def ids_and_kinds(self, unique_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """Id and kind of each named series that exists, in chunks that stay under the
        bound-parameter limit."""
        found: dict[str, tuple[int, str]] = {}
        for start in range(0, len(unique_ids), POINTS_PER_STATEMENT):
            chunk = unique_ids[start : start + POINTS_PER_STATEMENT]
            rows = self.session.execute(
                select(Series.unique_id, Series.id, Series.kind).where(Series.unique_id.in_(chunk))
            )
            found.update((unique_id, (id_, kind)) for unique_id, id_, kind in rows)
        return found

    def add_missing(
        self,
        unique_ids: Sequence[str],
        *,
        kind: str,
        source: str,
        freq: str | None,
        labels: Mapping[str, dict[str, str]],
    ) -> int:
        """Create the series that do not exist yet; returns how many were created."""
        existing = self.ids_by_unique_id(unique_ids)
        missing = [uid for uid in unique_ids if uid not in existing]
        return len(self.create(missing, kind=kind, source=source, freq=freq, labels=labels))

    def create(
        self,
        unique_ids: Sequence[str],
        *,
        kind: str,
        source: str,
        freq: str | None,
        labels: Mapping[str, dict[str, str]],
    ) -> dict[str, int]:
        """Add series known to be missing; their ids by unique_id."""
        if not unique_ids:
            return {}
        added = [
            Series(unique_id=uid, kind=kind, source=source, freq=freq, labels=labels.get(uid, {}))
            for uid in unique_ids
        ]
        self.session.add_all(added)
        self.session.flush()
        return {series.unique_id: series.id for series in added}

    def upsert_points(
        self, series_ids: Sequence[int], ds: Sequence[datetime], y: Sequence[float]
    ) -> int:
        return self._write_points(series_ids, ds, y, add=False)

    def add_to_points(
        self, series_ids: Sequence[int], ds: Sequence[datetime], y: Sequence[float]
    ) -> int:
        """Add ``y`` to the value stored at each timestamp (counts arriving in several batches)."""
        return self._write_points(series_ids, ds, y, add=True)

    def _write_points(
        self,
        series_ids: Sequence[int],
        ds: Sequence[datetime],
        y: Sequence[float],
        *,
        add: bool,
    ) -> int:
        statement = dialect_insert(self.session, SeriesPoint)
        statement = statement.on_conflict_do_update(
            index_elements=[SeriesPoint.series_id, SeriesPoint.ds],
            set_={"y": SeriesPoint.y + statement.excluded.y if add else statement.excluded.y},
        )
        rows = [
            {"series_id": sid, "ds": when, "y": value}
            for sid, when, value in zip(series_ids, ds, y, strict=True)
        ]
        for start in range(0, len(rows), POINTS_PER_STATEMENT):
            self.session.execute(statement, rows[start : start + POINTS_PER_STATEMENT])
        _Writes.count += 1
        return len(rows)

    def history_before(
        self, series: Series, before: datetime, limit: int
    ) -> tuple[list[datetime], list[float]]:
        """The newest ``limit`` points strictly before ``before``, in time order."""
        query = (
            select(SeriesPoint.ds, SeriesPoint.y)
            .where(SeriesPoint.series_id == series.id, SeriesPoint.ds < before)
            .order_by(SeriesPoint.ds.desc())
            .limit(limit)
        )
        rows = self.session.execute(query).all()[::-1]
        return [row[0] for row in rows], [row[1] for row in rows]

    def count_before(self, series: Series, before: datetime) -> int:
        query = select(func.count()).where(
            SeriesPoint.series_id == series.id, SeriesPoint.ds < before
        )
        return int(self.session.scalar(query) or 0)

    def list_with_stats(self, kind: str | None = None) -> list[SeriesStats]:
        counts = (
            select(
                SeriesPoint.series_id,
                func.count().label("points"),
                func.min(SeriesPoint.ds).label("first_ds"),
                func.max(SeriesPoint.ds).label("last_ds"),
            )
            .group_by(SeriesPoint.series_id)
            .subquery()
        )
        query = (
            select(Series, counts.c.points, counts.c.first_ds, counts.c.last_ds)
            .outerjoin(counts, counts.c.series_id == Series.id)
            .order_by(Series.kind, Series.unique_id)
        )
        if kind is not None:
            query = query.where(Series.kind == kind)
        return [
            SeriesStats(series, points or 0, first, last)
            for series, points, first, last in self.session.execute(query)
        ]

    def unique_ids(self, kind: str) -> list[str]:
        query = select(Series.unique_id).where(Series.kind == kind).order_by(Series.unique_id)
        return list(self.session.scalars(query))

    def stats(self, series: Series) -> SeriesStats:
        points, first, last = self.session.execute(
            select(func.count(), func.min(SeriesPoint.ds), func.max(SeriesPoint.ds)).where(
                SeriesPoint.series_id == series.id
            )
        ).one()
        return SeriesStats(series, int(points), first, last)

    def kind_counts(self) -> dict[str, int]:
        rows = self.session.execute(select(Series.kind, func.count()).group_by(Series.kind))
        return {str(kind): int(count) for kind, count in rows.all()}

    def page_with_stats(self, kind: str, *, limit: int, offset: int) -> list[SeriesStats]:
        """One page of a kind's series, ordered by name, with stats of those series only."""
        page = (
            select(Series.id)
            .where(Series.kind == kind)
            .order_by(Series.unique_id)
            .limit(limit)
            .offset(offset)
            .subquery()
        )
        counts = (
            select(
                SeriesPoint.series_id,
                func.count().label("points"),
                func.min(SeriesPoint.ds).label("first_ds"),
                func.max(SeriesPoint.ds).label("last_ds"),
            )
            .where(SeriesPoint.series_id.in_(select(page.c.id)))
            .group_by(SeriesPoint.series_id)
            .subquery()
        )
        query = (
            select(Series, counts.c.points, counts.c.first_ds, counts.c.last_ds)
            .where(Series.id.in_(select(page.c.id)))
            .outerjoin(counts, counts.c.series_id == Series.id)
            .order_by(Series.unique_id)
        )
        return [
            SeriesStats(series, points or 0, first, last)
            for series, points, first, last in self.session.execute(query)
        ]

    def points_frame(
        self, series: Series, start: datetime | None = None, end: datetime | None = None
    ) -> pd.DataFrame:
        # The timestamps come back as the driver gives them (SQLite: text) and are parsed
        # once, by pandas, for the whole column: parsing row by row in SQLAlchemy's type
        # layer and building ORM rows took most of a chart page's time.
        query = select(type_coerce(SeriesPoint.ds, String), SeriesPoint.y).where(
            SeriesPoint.series_id == series.id
        )
        if start is not None:
            query = query.where(SeriesPoint.ds >= start)
        if end is not None:
            query = query.where(SeriesPoint.ds <= end)
        rows = self.session.connection().execute(query.order_by(SeriesPoint.ds)).all()
        frame = pd.DataFrame(rows, columns=["ds", "y"])
        frame.insert(0, "unique_id", series.unique_id)
        frame["ds"] = pd.to_datetime(frame["ds"], format="ISO8601")
        frame["y"] = frame["y"].astype("float64")
        return frame

    def last_ds(self, series: Series) -> datetime | None:
        """The newest timestamp of a series, read from the end of the primary key."""
        return self.session.scalar(
            select(func.max(SeriesPoint.ds)).where(SeriesPoint.series_id == series.id)
        )

    def recent_values(self, series: Series, limit: int) -> list[float]:
        """The newest ``limit`` values in time order, read backwards along the primary key."""
        query = (
            select(SeriesPoint.y)
            .where(SeriesPoint.series_id == series.id)
            .order_by(SeriesPoint.ds.desc())
            .limit(limit)
        )
        return list(self.session.scalars(query))[::-1]

    def delete(self, series: Series) -> None:
        self.session.execute(delete(SeriesPoint).where(SeriesPoint.series_id == series.id))
        self.session.delete(series)
        _Writes.count += 1
        self.session.flush()

    def count(self, kind: str | None = None) -> int:
        query = select(func.count()).select_from(Series)
        if kind is not None:
            query = query.where(Series.kind == kind)
        return self.session.scalar(query) or 0
