"""Every query on stored stream predictions: flagged points and failure forecasts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, func, select, tuple_
from sqlalchemy.orm import Session

from opscast.db import dialect_insert
from opscast.streaming.anomaly_tables import Anomaly, FailureForecast


class PredictionRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def upsert_anomalies(self, rows: Sequence[dict[str, Any]]) -> None:
        """One row per (host, metric, ds): a rescored point replaces its earlier row."""
        if not rows:
            return
        statement = dialect_insert(self.session, Anomaly)
        statement = statement.on_conflict_do_update(
            index_elements=[Anomaly.host, Anomaly.metric, Anomaly.ds],
            set_={
                column: statement.excluded[column]
                for column in ("value", "score", "detector", "explanation", "detected_at")
            },
        )
        self.session.execute(statement, list(rows))

    def upsert_forecasts(self, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        statement = dialect_insert(self.session, FailureForecast)
        statement = statement.on_conflict_do_update(
            index_elements=[FailureForecast.host, FailureForecast.metric],
            set_={
                column: statement.excluded[column]
                for column in rows[0]
                if column not in {"host", "metric"}
            },
        )
        self.session.execute(statement, list(rows))

    def delete_forecasts(self, keys: Sequence[tuple[str, str]]) -> None:
        if keys:
            self.session.execute(
                delete(FailureForecast).where(
                    tuple_(FailureForecast.host, FailureForecast.metric).in_(list(keys))
                )
            )

    def list_anomalies(
        self,
        *,
        host: str | None,
        metric: str | None,
        start: datetime | None,
        end: datetime | None,
        min_score: float,
        limit: int,
        offset: int,
    ) -> tuple[list[Anomaly], int]:
        conditions = [Anomaly.score >= min_score]
        if host is not None:
            conditions.append(Anomaly.host == host)
        if metric is not None:
            conditions.append(Anomaly.metric == metric)
        if start is not None:
            conditions.append(Anomaly.ds >= start)
        if end is not None:
            conditions.append(Anomaly.ds <= end)
        where = and_(*conditions)
        total = self.session.scalar(select(func.count()).select_from(Anomaly).where(where)) or 0
        rows = self.session.scalars(
            select(Anomaly)
            .where(where)
            .order_by(Anomaly.ds.desc(), Anomaly.id.desc())
            .limit(limit)
            .offset(offset)
        )
        return list(rows), total

    def list_forecasts(self, *, host: str | None, metric: str | None) -> list[FailureForecast]:
        query = select(FailureForecast)
        if host is not None:
            query = query.where(FailureForecast.host == host)
        if metric is not None:
            query = query.where(FailureForecast.metric == metric)
        return list(self.session.scalars(query.order_by(FailureForecast.failure_at)))
