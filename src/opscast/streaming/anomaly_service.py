"""Use cases on stored stream predictions: record what the predictor found, list it.

Nothing commits here: the stream stage's unit of work does, before the message is
acknowledged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from opscast.db import utc_now
from opscast.errors import InvalidInputError
from opscast.streaming.anomaly_repository import PredictionRepository
from opscast.streaming.anomaly_tables import Anomaly, FailureForecast


def record_predictions(
    session: Session,
    anomalies: Sequence[dict[str, Any]],
    failures: Mapping[tuple[str, str], dict[str, Any] | None],
) -> None:
    """Store flagged points; keep the newest failure estimate per series, drop cleared ones."""
    repository = PredictionRepository(session)
    repository.upsert_anomalies(anomalies)
    now = utc_now()
    repository.upsert_forecasts(
        [{**row, "updated_at": now} for row in failures.values() if row is not None]
    )
    repository.delete_forecasts([key for key, row in failures.items() if row is None])


def list_anomalies(
    session: Session,
    *,
    host: str | None = None,
    metric: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    min_score: float = 0.0,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Anomaly], int]:
    if start is not None and end is not None and start > end:
        raise InvalidInputError("'start' is after 'end'; swap them", field="start")
    return PredictionRepository(session).list_anomalies(
        host=host,
        metric=metric,
        start=start,
        end=end,
        min_score=min_score,
        limit=limit,
        offset=offset,
    )


def list_time_to_failure(
    session: Session, *, host: str | None = None, metric: str | None = None
) -> list[FailureForecast]:
    return PredictionRepository(session).list_forecasts(host=host, metric=metric)
