"""Traffic forecasting use cases: per-timeframe models trained once, registered, served from memory.

Each (model, timeframe) pair is a registry task such as ``traffic-5m-xgboost``. The first
request that needs one trains it on the last days of the stored traffic history (the
NASA 1995 web logs under the data directory, simulated traffic when they are absent),
scores it by rolling-origin backtest over the final day and registers it as champion;
later requests, and other processes, load that champion from the registry's cache. A
request's own points are forecast from with the stored history placed before them (see
``context.py``), so a single posted point gets the same lags as a long history would.
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from opscast.config import Environment
from opscast.errors import InvalidInputError, NotFoundError
from opscast.forecasting.context import Context, build_context, fill_seasonal_gaps
from opscast.forecasting.context_models import (
    NEURAL_CONTEXT_MODELS,
    ContextForecaster,
    available_context_models,
    context_forecaster,
    rolling_origin,
    score,
)
from opscast.forecasting.lstm_residuals import INSTALL_HINT
from opscast.forecasting.protocol import ForecastingError
from opscast.forecasting.serving_intervals import calibration_points, served_half_widths
from opscast.observability import PREDICTIONS, get_logger
from opscast.registry.service import Challenger, train_guarded
from opscast.schema_types import naive_utc
from opscast.traffic.schemas import (
    MAX_REQUESTS,
    MAX_WINDOWS,
    BacktestPoint,
    BacktestRequest,
    BacktestResponse,
    ContextInfo,
    MetricsResponse,
    ModelInfo,
    Prediction,
    PredictRequest,
    PredictResponse,
    Timeframe,
    TrafficPoint,
)
from opscast.worker_processes import fit_in_worker

if TYPE_CHECKING:
    from opscast.config import Settings
    from opscast.db import Database
    from opscast.registry import Champion, ModelStore

log = get_logger(__name__)

NASA_FOLDER = "web_traffic"
NASA_SOURCE = "nasa-1995"
SIMULATED_SOURCE = "simulated"
CSV_TIME_COLUMN = "timestamp"
CSV_VALUE_COLUMN = "requests_count"
N_ESTIMATORS = 100
EVAL_HORIZON = 12
EVAL_WINDOWS = 8

# the widest span of steps the posted points may cover (gaps are filled): about ten years
# of 5-minute steps, so a few far-apart points cannot make a frame of millions of rows
MAX_SPAN_STEPS = 1_000_000


@dataclass(frozen=True, slots=True)
class TimeframeSpec:
    freq: str
    season_length: int  # steps per day: traffic's strongest cycle
    train_days: int  # recent days a model learns from (the last of them scores it)
    nasa_file: str
    nasa_steps: int  # NASA buckets summed into one step


TIMEFRAMES = {
    Timeframe.one_minute: TimeframeSpec("1min", 1440, 5, "nasa_http_requests_per_minute.csv", 1),
    Timeframe.five_minutes: TimeframeSpec("5min", 288, 8, "nasa_http_requests_per_5min.csv", 1),
    Timeframe.fifteen_minutes: TimeframeSpec("15min", 96, 21, "nasa_http_requests_per_5min.csv", 3),
}


def task_name(model_type: str, timeframe: Timeframe) -> str:
    return f"traffic-{timeframe.value}-{model_type}"


def read_nasa_history(path: Path, spec: TimeframeSpec) -> pd.Series:
    """Requests per step; steps the logs do not fully cover (outages, missing files) are NaN."""
    raw = pd.read_csv(path, usecols=["timestamp", "requests", "coverage"])
    counts = pd.Series(
        raw["requests"].where(raw["coverage"] == "logged").to_numpy(dtype="float64"),
        index=pd.DatetimeIndex(pd.to_datetime(raw["timestamp"])),
    )
    # a step is known only when every bucket in it was logged
    summed = counts.resample(spec.freq).sum(min_count=spec.nasa_steps)
    return summed.asfreq(spec.freq)


def simulated_history(spec: TimeframeSpec) -> pd.Series:
    from opscast.simulate import simulate_traffic

    # one week more than training uses, so a posted context can sit at any weekday
    frame = simulate_traffic(days=spec.train_days + 8, freq=spec.freq, seed=5)
    return pd.Series(frame["y"].to_numpy(dtype="float64"), index=pd.DatetimeIndex(frame["ds"]))


def posted_series(points: list[TrafficPoint], timeframe: Timeframe) -> pd.Series:
    """Posted points on the timeframe's grid (each ds floored to its step, UTC if zoned).

    Integer arithmetic on nanoseconds: a request posts a few dozen points, where pandas'
    parsing, flooring and duplicate checks cost more than the forecast.
    """
    step = pd.Timedelta(TIMEFRAMES[timeframe].freq).value
    instants = np.array([naive_utc(point.ds) for point in points], dtype="datetime64[ns]")
    floored = instants.view(np.int64) // step * step
    seen: set[int] = set()
    for row, stamp in enumerate(floored.tolist()):
        if stamp in seen:
            raise InvalidInputError(
                f"data[{row}].ds {points[row].ds.isoformat()} falls in the same "
                f"{timeframe.value} step as an earlier point; post one value per step",
                field=f"data.{row}.ds",
            )
        seen.add(stamp)
    order = np.argsort(floored, kind="stable")
    steps = (floored[order[-1]] - floored[order[0]]) // step + 1
    if steps > MAX_SPAN_STEPS:
        raise InvalidInputError(
            f"data spans {int(steps)} steps of {timeframe.value}; post at most "
            f"{MAX_SPAN_STEPS} consecutive steps",
            field="data",
        )
    values = np.array([point.y for point in points], dtype=np.float64)[order]
    return pd.Series(values, index=pd.DatetimeIndex(floored[order].view("datetime64[ns]")))


def parse_traffic_csv(content: bytes, max_rows: int) -> list[TrafficPoint]:
    """``timestamp`` and ``requests_count`` rows of an uploaded CSV; other columns are ignored."""
    try:
        # one row past the limit is enough to refuse the file: the rest is never parsed
        frame = pd.read_csv(io.BytesIO(content), nrows=max_rows + 1)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"the file is not a readable CSV: {exc}", field="file") from exc
    absent = [name for name in (CSV_TIME_COLUMN, CSV_VALUE_COLUMN) if name not in frame.columns]
    if absent:
        found = ", ".join(map(str, frame.columns)) or "none"
        raise InvalidInputError(
            f"the CSV lacks column(s) {', '.join(absent)} (found: {found})", field="file"
        )
    if frame.empty:
        raise InvalidInputError("the CSV has a header but no rows", field="file")
    if len(frame) > max_rows:
        raise InvalidInputError(
            f"the CSV has more than {max_rows} rows; split it or raise OPSCAST_MAX_POSTED_POINTS",
            field="file",
        )
    stamps = pd.to_datetime(frame[CSV_TIME_COLUMN], errors="coerce")
    values = pd.to_numeric(frame[CSV_VALUE_COLUMN], errors="coerce")
    checks = (
        (CSV_TIME_COLUMN, stamps.isna(), "use ISO 8601 timestamps"),
        (
            CSV_VALUE_COLUMN,
            values.isna() | (values < 0) | (values > MAX_REQUESTS),
            f"use counts from 0 to {MAX_REQUESTS:g}",
        ),
    )
    for column, bad, advice in checks:
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise InvalidInputError(
                f"row {row + 2} of the CSV has {column} = {frame[column].iloc[row]!r}; {advice}",
                field=f"file.{column}",
            )
    return [
        TrafficPoint(ds=stamp.to_pydatetime(), y=float(value))
        for stamp, value in zip(stamps, values, strict=True)
    ]


def fit_and_evaluate(
    model_type: str, spec: TimeframeSpec, train: pd.Series, recent: pd.Series
) -> tuple[ContextForecaster, pd.DataFrame]:
    """Fit on ``train`` and backtest on ``recent``: the CPU-heavy part of a training."""
    model = context_forecaster(
        model_type, freq=spec.freq, season_length=spec.season_length, n_estimators=N_ESTIMATORS
    ).fit(train)
    points = rolling_origin(
        model,
        recent,
        h=EVAL_HORIZON,
        step=spec.season_length // EVAL_WINDOWS,
        n_windows=EVAL_WINDOWS,
    )
    return model, points


class TrafficForecasts:
    """One per application: the history per timeframe and the models that learnt it."""

    def __init__(self, settings: Settings, store: ModelStore, database: Database) -> None:
        self.settings = settings
        self.store = store
        self.database = database
        self._lock = threading.Lock()
        self._task_locks: dict[str, threading.Lock] = {}
        self._histories: dict[Timeframe, tuple[pd.Series, str]] = {}

    def history(self, timeframe: Timeframe) -> tuple[pd.Series, str]:
        """Gap-filled requests per step of the stored traffic, and where it came from."""
        with self._lock:
            cached = self._histories.get(timeframe)
            if cached is None:
                spec = TIMEFRAMES[timeframe]
                path = self.settings.data_dir / NASA_FOLDER / spec.nasa_file
                if path.is_file():
                    cached = (fill_seasonal_gaps(read_nasa_history(path, spec)), NASA_SOURCE)
                else:
                    cached = (simulated_history(spec), SIMULATED_SOURCE)
                self._histories[timeframe] = cached
            return cached

    def _task_lock(self, task: str) -> threading.Lock:
        with self._lock:
            return self._task_locks.setdefault(task, threading.Lock())

    def champion(self, model_type: str, timeframe: Timeframe) -> Champion:
        """The serving model of the pair, trained and registered on first use."""
        available = available_context_models()
        if model_type not in available:
            hint = f"; {INSTALL_HINT}" if model_type in NEURAL_CONTEXT_MODELS else ""
            raise NotFoundError(
                f"no traffic model {model_type!r}; choose from {', '.join(available)}{hint}"
            )
        task = task_name(model_type, timeframe)
        with self._task_lock(task):
            try:
                return self.store.champion(task)
            except NotFoundError:
                self.train(model_type, timeframe)
                return self.store.champion(task)

    def warm_up(self, timeframe: Timeframe) -> None:
        """Load or train every model of ``timeframe``; meant for a background thread."""
        for model_type in available_context_models():
            try:
                self.champion(model_type, timeframe)
            except Exception as exc:  # a failed warm-up only means the first request trains
                log.warning("traffic warm-up failed", model_type=model_type, error=str(exc))
                return
        log.info("traffic models ready", timeframe=timeframe.value)

    def train(
        self, model_type: str, timeframe: Timeframe, *, requested_by: str = "serving"
    ) -> None:
        """Fit on the recent days but the last and score on the last, then register through
        the registry's guard: it serves if it is the first or not worse than the champion,
        scored on the same days."""
        spec = TIMEFRAMES[timeframe]
        task = task_name(model_type, timeframe)
        history, source = self.history(timeframe)
        recent = history.iloc[-spec.train_days * spec.season_length :]
        train = recent.iloc[: -spec.season_length]

        def evaluate(model: ContextForecaster) -> dict[str, float]:
            points = rolling_origin(
                model,
                recent,
                h=EVAL_HORIZON,
                step=spec.season_length // EVAL_WINDOWS,
                n_windows=EVAL_WINDOWS,
            )
            return score(points, train, spec.season_length)

        def fit() -> Challenger:
            # the fit and its backtest run in a worker process: the server keeps answering
            model, points = fit_in_worker(fit_and_evaluate, model_type, spec, train, recent)
            metrics = score(points, train, spec.season_length)
            try:
                champion: dict[str, float | None] | None = dict(
                    evaluate(self.store.champion(task).model)
                )
            except NotFoundError:
                champion = None
            return Challenger(
                model=model,
                data=pd.DataFrame({"ds": train.index, "y": train.to_numpy()}),
                params={
                    "model": model_type,
                    "timeframe": timeframe.value,
                    "freq": spec.freq,
                    "season_length": spec.season_length,
                    "n_estimators": N_ESTIMATORS,
                    "history_source": source,
                    "train_start": str(train.index[0]),
                    "train_end": str(train.index[-1]),
                    "backtest_horizon": EVAL_HORIZON,
                    "backtest_windows": EVAL_WINDOWS,
                },
                metrics=metrics,
                holdout=dict(metrics),
                champion_holdout=champion,
            )

        with self.database.session() as session:
            outcome = train_guarded(
                self.store,
                session,
                task,
                fit,
                tags={"domain": "traffic", "timeframe": timeframe.value},
                requested_by=requested_by,
            )
        log.info(
            "traffic model trained",
            task=task,
            version=outcome.version.version,
            promoted=outcome.promoted,
            **outcome.version.metrics,
        )

    def _context(
        self, posted: pd.Series, timeframe: Timeframe, length: int
    ) -> tuple[Context, ContextInfo]:
        history, source = self.history(timeframe)
        step = pd.Timedelta(TIMEFRAMES[timeframe].freq)
        try:
            context = build_context(history, posted, step, length)
        except ForecastingError as exc:
            raise InvalidInputError(str(exc), field="data") from exc
        info = ContextInfo(
            history_source=source,
            posted_points=len(posted),
            history_points=context.history_points,
            history_shift_weeks=context.shift_weeks,
            filled_points=context.filled_points,
        )
        return context, info

    def predict(self, request: PredictRequest) -> PredictResponse:
        level = request.level
        if level is not None and not 0 < level < 100:
            raise InvalidInputError(
                f"level must lie between 0 and 100, exclusive (95 for a 95 % interval), "
                f"got {level:g}",
                field="level",
            )
        posted = posted_series(request.data, request.timeframe)  # refused before any training
        champion = self.champion(request.model_type, request.timeframe)
        model: ContextForecaster = champion.model
        season = TIMEFRAMES[request.timeframe].season_length
        length = model.context_length
        if level is not None:
            length += calibration_points(request.horizon, season)
        context, info = self._context(posted, request.timeframe, length)
        forecast = model.predict(context.values, request.horizon)
        PREDICTIONS.labels(task=champion.task, model=request.model_type).inc(len(forecast))
        values = forecast.to_numpy(np.float64)
        lower: list[float | None] = [None] * len(values)
        upper: list[float | None] = [None] * len(values)
        if level is not None:
            half = served_half_widths(model, context.values, request.horizon, level, season)
            # requests cannot be negative
            lower = [round(float(v), 3) for v in np.maximum(values - half, 0.0)]
            upper = [round(float(v), 3) for v in values + half]
        return PredictResponse(
            model_type=request.model_type,
            timeframe=request.timeframe,
            horizon=request.horizon,
            predictions=[
                Prediction(ds=ds, y=round(float(value), 3), lower=low, upper=high)
                for ds, value, low, high in zip(
                    pd.DatetimeIndex(forecast.index).to_pydatetime(),
                    values,
                    lower,
                    upper,
                    strict=True,
                )
            ],
            model=ModelInfo(task=champion.task, version=champion.info.version),
            context=info,
        )

    def backtest(self, request: BacktestRequest) -> BacktestResponse:
        """Score the serving model on the posted points (and the history right before them).

        The last window ends at the last posted point and each earlier one ``step``
        steps before; by default there are as many windows as fit in the posted data.
        """
        posted = posted_series(request.data, request.timeframe)
        windows = request.windows or min(
            MAX_WINDOWS, max(1, (len(posted) - request.horizon) // request.step + 1)
        )
        champion = self.champion(request.model_type, request.timeframe)
        model: ContextForecaster = champion.model
        evaluated = request.horizon + request.step * (windows - 1)
        context, info = self._context(posted, request.timeframe, model.context_length + evaluated)
        points = rolling_origin(
            model, context.values, h=request.horizon, step=request.step, n_windows=windows
        )
        spec = TIMEFRAMES[request.timeframe]
        insample = context.values.iloc[: len(context.values) - evaluated]
        metrics = score(points, insample, spec.season_length)
        return BacktestResponse(
            model_type=request.model_type,
            timeframe=request.timeframe,
            horizon=request.horizon,
            step=request.step,
            windows=windows,
            metrics={name: _finite(value) for name, value in metrics.items()},
            points=[
                BacktestPoint(
                    ds=row["ds"],
                    actual=row["actual"],
                    predicted=round(row["predicted"], 3),
                    cutoff=row["cutoff"],
                    horizon=row["horizon"],
                )
                for row in points.to_dict(orient="records")
            ],
            model=ModelInfo(task=champion.task, version=champion.info.version),
            context=info,
        )

    def metrics(self, model_type: str, timeframe: str) -> MetricsResponse:
        try:
            frame = Timeframe(timeframe)
        except ValueError as exc:
            raise NotFoundError(
                f"no traffic timeframe {timeframe!r}; choose from "
                f"{', '.join(item.value for item in Timeframe)}"
            ) from exc
        champion = self.champion(model_type, frame)
        return MetricsResponse(
            model_type=model_type,
            timeframe=frame,
            model=ModelInfo(task=champion.task, version=champion.info.version),
            metrics=champion.info.metrics,
            params=champion.info.params,
        )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


# The seed's own example asks for 5-minute forecasts: have those models ready first.
WARM_TIMEFRAME = Timeframe.five_minutes


def warm_up_in_background(forecasts: TrafficForecasts, settings: Settings) -> None:
    """Load (or train) the 5-minute models in a thread, so start-up does not wait.

    Follows ``OPSCAST_TRAIN_ON_START``, except in the test environment: tests train
    exactly what they ask for.
    """
    if settings.train_on_start and settings.environment is not Environment.test:
        threading.Thread(
            target=forecasts.warm_up, args=(WARM_TIMEFRAME,), name="traffic-warm-up", daemon=True
        ).start()
