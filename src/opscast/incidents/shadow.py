"""Shadow mode for incident forecasts: the challenger forecasts beside the champion.

With ``OPSCAST_SHADOW=true`` every served ``POST /forecast`` is handed to a
``ShadowScorer``. In one background thread, never on the request path, it asks the
task's champion and its ``challenger`` (a version that was registered but not promoted)
for the periods the request asked about, and stores both forecasts. Once a period has
been observed in full, its actual count is summed from the daily counts and both errors
are recorded (*settling*); that happens after every shadowed request and after every
import of incident counts. A task without a challenger costs one alias lookup.

The two models' own forecasts are compared, before reconciliation: reconciliation mixes
in the champions of the other granularities, which would blur a comparison of two
models of one granularity. A version forecasts a period the same way each time it is
asked, so asking again stores nothing new: a request identical to one shadowed in the
last ``REPEAT_SECONDS`` (a dashboard polling) is not queued at all, the same delay with
which an alias move is noticed. At most ``MAX_BACKLOG`` requests wait to be shadowed;
beyond that a request goes unshadowed, since losing a shadow score costs nothing and
slowing the service would.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import pairwise

import pandas as pd
from sqlalchemy.orm import Session

from opscast.db import Database, utc_now
from opscast.errors import InvalidInputError, NotFoundError
from opscast.incidents.service import CategoryForecast, daily_counts, newest_day
from opscast.observability import get_logger
from opscast.registry import CHAMPION, Champion, ModelStore
from opscast.registry.repository import ShadowRepository
from opscast.registry.service import CHALLENGER, export_shadow_errors
from opscast.registry.tables import ShadowScore

log = get_logger(__name__)

MAX_BACKLOG = 64
REPEAT_SECONDS = 5.0
# forgotten repeats are pruned once this many requests are remembered
MAX_REMEMBERED = 4096


def shadow_scores(
    forecast: CategoryForecast, champion: Champion, challenger: Champion
) -> list[ShadowScore]:
    """Both models' forecasts of the periods ``forecast`` covers, as unsettled scores."""
    if not forecast.dates:
        return []
    starts = pd.DatetimeIndex([pd.Timestamp(day) for day in forecast.dates])
    bounds = pd.date_range(starts[0], periods=len(starts) + 1, freq=forecast.granularity.offset)
    ends = dict(pairwise(bounds))
    now = utc_now()
    scores = []
    for alias, model in ((CHAMPION, champion), (CHALLENGER, challenger)):
        predicted = model.model.predict_through(bounds[-1] - pd.Timedelta(days=1))
        for start in starts:
            if start in predicted.index and start in ends:
                scores.append(
                    ShadowScore(
                        task=forecast.task,
                        alias=alias,
                        version=model.info.version,
                        unique_id=forecast.category,
                        period_start=start.to_pydatetime(),
                        period_end=ends[start].to_pydatetime(),
                        predicted=float(predicted[start]),
                        predicted_at=now,
                    )
                )
    return scores


def settle_shadow(session: Session, category: str) -> int:
    """Record the actuals and errors of every period of ``category`` now observed in full."""
    try:
        observed_until = newest_day(session, category) + pd.Timedelta(days=1)
    except (NotFoundError, InvalidInputError):  # no such category, or no counts yet
        return 0
    pending = ShadowRepository(session).unsettled(category, observed_until.to_pydatetime())
    if not pending:
        return 0
    counts = daily_counts(session, category, start=pd.Timestamp(pending[0].period_start))
    days, values = counts["ds"], counts["y"]
    now = utc_now()
    for score in pending:
        inside = (days >= pd.Timestamp(score.period_start)) & (
            days < pd.Timestamp(score.period_end)
        )
        score.actual = float(values[inside].sum())
        score.abs_error = abs(score.predicted - score.actual)
        score.settled_at = now
    session.flush()
    export_shadow_errors(session, {score.task for score in pending})
    return len(pending)


class ShadowScorer:
    """Shadows served forecasts in one background thread; one per process."""

    def __init__(
        self,
        database: Database,
        store: ModelStore,
        *,
        repeat_seconds: float = REPEAT_SECONDS,
    ) -> None:
        self.database = database
        self.store = store
        self.repeat_seconds = repeat_seconds
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="opscast-shadow")
        self._lock = threading.Lock()
        self._queued: list[Future[None]] = []
        self._seen: dict[tuple[object, ...], float] = {}

    def observe(self, forecast: CategoryForecast) -> bool:
        """Queue ``forecast`` to be shadowed; False when it is a recent repeat or the
        backlog is full (it is skipped)."""
        key = (forecast.task, forecast.category, forecast.version, tuple(forecast.dates))
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and now - seen < self.repeat_seconds:
                return False
            self._queued = [future for future in self._queued if not future.done()]
            if len(self._queued) >= MAX_BACKLOG:
                log.warning("shadow backlog full; request not shadowed", task=forecast.task)
                return False
            if len(self._seen) >= MAX_REMEMBERED:
                recent = self.repeat_seconds
                self._seen = {k: at for k, at in self._seen.items() if now - at < recent}
            self._seen[key] = now
            self._queued.append(self._executor.submit(self._shadow, forecast))
            return True

    def _shadow(self, forecast: CategoryForecast) -> None:
        try:
            try:
                challenger = self.store.aliased(forecast.task, CHALLENGER)
            except NotFoundError:
                challenger = None
            with self.database.session() as session:
                if challenger is not None:
                    champion = self.store.champion(forecast.task)
                    if challenger.info.version != champion.info.version:
                        scores = shadow_scores(forecast, champion, challenger)
                        ShadowRepository(session).add_new(scores)
                settle_shadow(session, forecast.category)
        except Exception:  # a shadow failure must never reach a request
            log.exception("shadow scoring failed", task=forecast.task)

    def wait(self) -> None:
        """Block until every queued request has been shadowed."""
        with self._lock:
            queued = list(self._queued)
        for future in queued:
            future.result()

    def stop(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
