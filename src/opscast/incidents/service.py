"""Incident use cases: import exports, train per category and granularity, serve forecasts.

Incident counts are stored series of kind ``incidents`` named by category. Each
category has one registry task per granularity (``incidents-<category>-<granularity>``);
a forecast at any granularity uses the champions of all four and reconciles them
(``reconciliation.py``), so the numbers a user sees at different granularities add up.
Reconciled forecasts are cached per category until a champion changes or new data
arrives, which makes a repeated request a dictionary lookup plus two small queries.

A missing champion is trained on the spot, under a per-task lock shared with the
background trainer, so a request never starts a second training of the same task.
Nothing here commits: the caller's unit of work does.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from opscast.errors import InvalidInputError, NotFoundError
from opscast.forecasting import ForecastingError, backtest
from opscast.forecasting.conformal import step_half_widths
from opscast.incidents.reconciliation import reconcile
from opscast.incidents.training import (
    GRANULARITIES,
    PLANS,
    InsufficientHistoryError,
    LevelModel,
    TrainedLevel,
    complete_periods,
    fit_level,
)
from opscast.observability import PREDICTIONS, get_logger
from opscast.registry import Champion, ModelStore
from opscast.registry.service import Challenger, GuardedOutcome, train_guarded
from opscast.series.repository import points_written
from opscast.series.schemas import SeriesKind
from opscast.series.service import latest_timestamp, list_series, read_points
from opscast.timeseries import Granularity
from opscast.timeseries.granularity import period_start
from opscast.worker_processes import fit_in_worker

log = get_logger(__name__)

KIND = SeriesKind.incidents
TASK_PREFIX = "incidents-"


def task_name(category: str, granularity: Granularity) -> str:
    """``incidents-<category>-<granularity>``; the category lower-cased, other characters as -."""
    slug = re.sub(r"[^a-z0-9]+", "-", category.lower()).strip("-") or "unnamed"
    return f"{TASK_PREFIX}{slug}-{granularity.value}"


# -- training and serving -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CategoryForecast:
    category: str
    granularity: Granularity
    task: str
    model: str
    version: int
    dates: list[date]
    values: list[float]
    # interval bounds per date, when a level was asked
    lower: list[float] | None = None
    upper: list[float] | None = None


@dataclass
class _Reconciled:
    key: tuple[object, ...]
    levels: dict[Granularity, pd.Series]


def newest_day(session: Session, category: str) -> pd.Timestamp:
    """The day of a category's newest count; NotFoundError naming the known categories."""
    try:
        newest = latest_timestamp(session, category, KIND)
    except NotFoundError:
        known = ", ".join(stats.series.unique_id for stats in list_series(session, KIND))
        raise NotFoundError(
            f"no incident category {category!r}; known categories: "
            + (known or "none yet (load some with `opscast demo` or `opscast incidents import`)")
        ) from None
    if newest is None:
        raise InvalidInputError(
            f"incident category {category!r} has no counts yet", field="category"
        )
    return pd.Timestamp(newest).normalize()


def daily_counts(
    session: Session, category: str, start: pd.Timestamp | None = None
) -> pd.DataFrame:
    return read_points(
        session,
        category,
        start=start.to_pydatetime() if start is not None else None,
        granularity="daily",
    )


def _owned_by(category: str, champion: Champion) -> Champion:
    owner = champion.info.params.get("category", category)
    if owner != category:
        raise InvalidInputError(
            f"incident categories {owner!r} and {category!r} share the model name "
            f"{champion.task!r}; rename one of them",
            field="category",
        )
    return champion


def _champion_scores(
    store: ModelStore, task: str, trained: TrainedLevel
) -> dict[str, float | None] | None:
    """The serving model's errors on the challenger's backtest windows (None without one).

    A fitted forecaster extrapolates from its own training end, so "the champion on the
    same holdout" is its model refitted on the same windows of today's data: identical to
    the challenger's scores when the selection picked the same model again.
    """
    champion = store.get_task(task).champion if store.champion_version(task) else None
    if champion is None:
        return None
    if champion.model_name == trained.params["model"]:
        return dict(trained.metrics)
    try:
        scores = backtest(
            trained.frame,
            [champion.model_name],
            int(trained.params["backtest_horizon"]),
            n_windows=int(trained.params["backtest_windows"]),
            freq=trained.model.granularity.offset,
            season_length=int(trained.params["season_length"]),
        ).overall
    except ForecastingError:  # its model no longer fits this history: the challenger wins
        return None
    return dict(scores[champion.model_name])


def _fit_quietly(daily: pd.DataFrame, granularity: Granularity) -> TrainedLevel:
    with np.errstate(all="ignore"):
        return fit_level(daily, granularity)


def train_category(
    store: ModelStore,
    session: Session,
    category: str,
    granularity: Granularity,
    *,
    tolerance: float = 0.0,
    requested_by: str,
) -> GuardedOutcome:
    """Fit one category at one granularity and register it; it serves only if not worse.

    Raises InsufficientHistoryError when the history is too short for the granularity.
    """
    task = task_name(category, granularity)

    def fit() -> Challenger:
        trained = fit_in_worker(_fit_quietly, daily_counts(session, category), granularity)
        return Challenger(
            model=trained.model,
            data=trained.frame,
            params={**trained.params, "category": category},
            metrics=trained.metrics,
            holdout=trained.metrics,
            champion_holdout=_champion_scores(store, task, trained),
        )

    outcome = train_guarded(
        store,
        session,
        task,
        fit,
        tags={"domain": KIND, "category": category, "granularity": granularity.value},
        tolerance=tolerance,
        requested_by=requested_by,
        skipped=(InsufficientHistoryError,),
    )
    log.info(
        "trained",
        task=task,
        model=outcome.version.params.get("model"),
        version=outcome.version.version,
        promoted=outcome.promoted,
    )
    return outcome


# how stale a cached newest day may be when another process stores incident counts
DATA_CHECK_SECONDS = 1.0
INTERVAL_WINDOWS = 19  # backtest cutoffs, one period apart, the interval is calibrated on


def _half_widths(
    session: Session, category: str, champion: Champion, periods: int, level: float
) -> list[float]:
    """Conformal half-widths of the serving model's errors over recent one-period-apart cutoffs.

    The intervals are centred on the reconciled forecast, whose errors are close to the
    serving model's own; counts are never negative, so the lower bound stops at 0.
    """
    model: LevelModel = champion.model
    frame = complete_periods(daily_counts(session, category), model.granularity)
    season = int(champion.info.params.get("season_length", 1))
    plan = PLANS[model.granularity]
    windows = max(1, min(INTERVAL_WINDOWS, len(frame) - periods - plan.min_train + 1))
    try:
        points = backtest(
            frame,
            [model.model_name],
            periods,
            n_windows=windows,
            step=1,
            freq=model.granularity.offset,
            season_length=season,
            jobs=1,
        ).points
    except ForecastingError as exc:
        raise InvalidInputError(
            f"too little history to calibrate a {level:g} % interval over {periods} "
            f"periods: {exc}; ask for fewer periods or no level",
            field="level",
        ) from exc
    errors = (points["y"] - points[model.model_name]).to_numpy(np.float64)
    half = step_half_widths(points["horizon"].to_numpy(np.int64), errors, level, periods)
    return [float(width) for width in half]


class IncidentForecaster:
    """Serves reconciled incident forecasts and trains missing champions; one per process.

    ``on_served`` sees every forecast after it is computed (shadow scoring queues it);
    it must return at once and never raise.
    """

    def __init__(
        self, store: ModelStore, on_served: Callable[[CategoryForecast], object] | None = None
    ) -> None:
        self.store = store
        self.on_served = on_served
        self._guard = threading.Lock()
        self._task_locks: dict[str, threading.Lock] = {}
        self._too_short: dict[tuple[str, pd.Timestamp | None], str] = {}
        self._reconciled: dict[str, _Reconciled] = {}
        # category -> (points_written() then, when it was read, its newest day)
        self._newest: dict[str, tuple[int, float, pd.Timestamp]] = {}

    def _newest_day(self, session: Session, category: str) -> pd.Timestamp:
        """``newest_day``, read from the database only when this process wrote points since,
        or once ``DATA_CHECK_SECONDS`` have passed (points another process wrote).

        The newest day is a forecast's data version; with the champions in memory it is
        the only thing a cached forecast would otherwise query the database for.
        """
        writes, now = points_written(), time.monotonic()
        with self._guard:
            known = self._newest.get(category)
        if known is not None and known[0] == writes and now - known[1] < DATA_CHECK_SECONDS:
            return known[2]
        day = newest_day(session, category)
        with self._guard:
            self._newest[category] = (writes, now, day)
        return day

    def _lock(self, task: str) -> threading.Lock:
        with self._guard:
            return self._task_locks.setdefault(task, threading.Lock())

    def champion(
        self,
        session: Session,
        category: str,
        granularity: Granularity,
        last_day: pd.Timestamp | None,
    ) -> Champion:
        """The serving model of a category at a granularity, trained now if there is none.

        Raises InvalidInputError when the category's history is too short for it, or
        when another category owns the same task name ("Disk IO" and "disk-io").
        """
        task = task_name(category, granularity)
        refusal = self._too_short.get((task, last_day))
        if refusal is not None:
            raise InvalidInputError(refusal, field="granularity")
        try:
            return _owned_by(category, self.store.champion(task))
        except NotFoundError:
            pass
        with self._lock(task):
            try:
                return _owned_by(category, self.store.champion(task))  # trained meanwhile
            except NotFoundError:
                pass
            self.train(session, category, granularity, last_day)
            return self.store.champion(task)

    def train(
        self,
        session: Session,
        category: str,
        granularity: Granularity,
        last_day: pd.Timestamp | None,
    ) -> None:
        """Fit and register the first version of one category at one granularity."""
        task = task_name(category, granularity)
        try:
            train_category(self.store, session, category, granularity, requested_by="serving")
        except InsufficientHistoryError as exc:
            message = f"incident category {category!r} has {exc}"
            self._too_short[(task, last_day)] = message
            raise InvalidInputError(message, field="granularity") from exc

    def forecast(
        self,
        session: Session,
        category: str,
        granularity: Granularity,
        periods: int,
        interval_level: float | None = None,
    ) -> CategoryForecast:
        plan = PLANS[granularity]
        if not 1 <= periods <= plan.max_periods:
            raise InvalidInputError(
                f"future_periods must be between 1 and {plan.max_periods} for {granularity.value}",
                field="future_periods",
            )
        newest = self._newest_day(session, category)
        champions: dict[Granularity, Champion] = {}
        for level in GRANULARITIES:
            try:
                champions[level] = self.champion(session, category, level, newest)
            except InvalidInputError:
                if level in (granularity, Granularity.daily):
                    raise
        key = (newest, *((level, c.info.version) for level, c in champions.items()))
        with self._guard:
            cached = self._reconciled.get(category)
        if cached is None or cached.key != key:
            # one request computes what every request waiting here then serves: without the
            # lock, 64 clients hitting a cold worker reconciled the same forecast 64 times
            with self._lock(f"reconcile:{category}"):
                with self._guard:
                    cached = self._reconciled.get(category)
                if cached is None or cached.key != key:
                    levels = self._reconcile(session, category, newest, champions)
                    cached = _Reconciled(key, levels)
                    with self._guard:
                        self._reconciled[category] = cached
        chosen = champions[granularity]
        values = cached.levels[granularity].iloc[:periods]
        PREDICTIONS.labels(task=chosen.task, model=chosen.info.model_name).inc()
        result = CategoryForecast(
            category=category,
            granularity=granularity,
            task=chosen.task,
            model=chosen.info.model_name,
            version=chosen.info.version,
            dates=[stamp.date() for stamp in values.index],
            values=[float(value) for value in values.to_numpy()],
        )
        if interval_level is not None:
            half = _half_widths(session, category, chosen, periods, interval_level)
            result = replace(
                result,
                lower=[max(0.0, v - w) for v, w in zip(result.values, half, strict=True)],
                upper=[v + w for v, w in zip(result.values, half, strict=True)],
            )
        if self.on_served is not None:
            self.on_served(result)
        return result

    def _reconcile(
        self,
        session: Session,
        category: str,
        last_day: pd.Timestamp,
        champions: Mapping[Granularity, Champion],
    ) -> dict[Granularity, pd.Series]:
        """Reconciled forecasts of every level over the longest horizon any request may ask."""
        first_day = last_day + pd.Timedelta(days=1)
        starts = {level: period_start(pd.Series([first_day]), level).iloc[0] for level in champions}
        window_end = max(
            pd.date_range(starts[level], periods=PLANS[level].max_periods + 1, freq=level.offset)[
                -1
            ]
            for level in champions
        ) - pd.Timedelta(days=1)
        history = daily_counts(session, category, start=min(starts.values()))
        observed = history.set_index("ds")["y"]
        daily = champions[Granularity.daily].model.predict_through(window_end)
        daily = daily[(daily.index >= first_day) & (daily.index <= window_end)]
        # Periods already under way are left out of the projection: their forecast minus
        # what has been observed is a small difference of two large numbers and would drag
        # the first days about. They are summed from the reconciled days instead.
        coarse: dict[Granularity, pd.Series] = {}
        for level, champion in champions.items():
            if level is not Granularity.daily:
                predicted = champion.model.predict_through(window_end)
                coarse[level] = predicted[predicted.index >= first_day]
        result = reconcile(daily, coarse)
        levels = {Granularity.daily: result.daily}
        for level, values in result.levels.items():
            start = starts[level]
            reconciled = values
            if start < first_day:
                so_far = float(observed[observed.index >= start].sum())
                ahead = float(
                    result.daily[period_start(result.daily.index.to_series(), level) == start].sum()
                )
                head = pd.Series([so_far + ahead], index=pd.DatetimeIndex([start]))
                reconciled = pd.concat([head, reconciled])
            levels[level] = reconciled
        return levels
