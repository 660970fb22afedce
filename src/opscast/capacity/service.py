"""Scaling use cases: compare policies over a traffic series, recommend replicas now.

The simulation needs only the series and the settings. The recommendation needs a
forecast: the client's own, or one from opscast's traffic models, which is the one place
this domain depends on the traffic forecasting code (see ``_model_forecast``).
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.capacity.schemas import (
    MAX_POINTS,
    MAX_REQUESTS,
    STEP_SECONDS,
    EpisodeOutcome,
    EpisodeReport,
    EqualSLAOutcome,
    ForecastSource,
    GapClosed,
    LoadPoint,
    PolicyOutcome,
    PolicySettings,
    RecommendRequest,
    RecommendResponse,
    Savings,
    ScalingRulesModel,
    ScalingTimeframe,
    ScheduleStep,
    SimulateRequest,
    SimulateResponse,
    Timeline,
)
from opscast.errors import InvalidInputError
from opscast.observability import RECOMMENDED_REPLICAS
from opscast.scaling import (
    POLICIES,
    Comparison,
    Outcome,
    RatePolicy,
    ScalingRules,
    ScalingSettings,
    SettingError,
    compare,
    lead_steps,
    metric_replicas,
    window_peak,
)
from opscast.scaling.predictive import predictive_replicas

if TYPE_CHECKING:
    from opscast.traffic.service import TrafficForecasts

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
Progress = Callable[[str], None]

CSV_TIME_COLUMNS = ("timestamp", "ds")
CSV_VALUE_COLUMNS = ("requests_count", "y", "requests")
FLAG_COLUMNS = ("is_burst", "is_event")
# timeframes opscast's traffic models forecast; other steps need a posted forecast
MODEL_TIMEFRAMES = frozenset(
    {ScalingTimeframe.one_minute, ScalingTimeframe.five_minutes, ScalingTimeframe.fifteen_minutes}
)
# the settings a simulation echoes back
SETTING_FIELDS = set(PolicySettings.model_fields)


def _rules(model: ScalingRulesModel | None, default: ScalingRules) -> ScalingRules:
    if model is None:
        return default
    return ScalingRules(
        float(model.stabilization_window_seconds),
        tuple(RatePolicy(p.type, p.value, float(p.period_seconds)) for p in model.policies),
        model.select_policy,
    )


def scaling_settings(body: PolicySettings) -> ScalingSettings:
    """The kernel's settings, or a 422 naming the field that is out of range."""
    defaults = ScalingSettings()
    try:
        return ScalingSettings(
            min_replicas=body.min_replicas,
            max_replicas=body.max_replicas,
            capacity_per_replica=body.capacity_per_replica,
            target_utilization=body.target_utilization,
            price_per_replica_hour=body.price_per_replica_hour,
            provisioning_delay=body.provisioning_delay,
            forecast_buffer=body.forecast_buffer,
            forecast_level=body.forecast_level,
            sync_period=body.sync_period,
            tolerance=body.tolerance,
            scale_up=_rules(body.scale_up, defaults.scale_up),
            scale_down=_rules(body.scale_down, defaults.scale_down),
        )
    except SettingError as exc:
        raise InvalidInputError(str(exc), field=exc.field) from exc


@dataclass(frozen=True, slots=True)
class LoadSeries:
    ds: pd.DatetimeIndex
    load: FloatArray
    is_burst: BoolArray | None
    is_event: BoolArray | None
    filled: int


def load_series(points: list[LoadPoint], timeframe: ScalingTimeframe) -> LoadSeries:
    """The points on the timeframe's grid: one value per step, missing steps interpolated."""
    step = pd.Timedelta(seconds=STEP_SECONDS[timeframe])
    freq = f"{STEP_SECONDS[timeframe]}s"
    stamps = pd.DatetimeIndex(pd.to_datetime([p.ds for p in points], utc=True)).tz_localize(None)
    floored = stamps.floor(freq)
    duplicated = floored.duplicated()
    if duplicated.any():
        row = int(duplicated.argmax())
        raise InvalidInputError(
            f"data[{row}].ds falls in the same {timeframe.value} step as an earlier point; "
            "post one value per step or choose a longer timeframe",
            field=f"data.{row}.ds",
        )
    frame = pd.DataFrame(
        {
            "y": [p.y for p in points],
            "is_burst": [p.is_burst for p in points],
            "is_event": [p.is_event for p in points],
        },
        index=floored,
    ).sort_index()
    span = int((frame.index[-1] - frame.index[0]) / step) + 1
    if span > MAX_POINTS:
        raise InvalidInputError(
            f"data spans {span} steps of {timeframe.value}; post at most {MAX_POINTS}",
            field="data",
        )
    grid = pd.date_range(frame.index[0], frame.index[-1], freq=freq)
    frame = frame.reindex(grid)
    filled = int(frame["y"].isna().sum())
    load = frame["y"].interpolate().to_numpy(dtype=np.float64)
    flags: dict[str, BoolArray | None] = {}
    for name in FLAG_COLUMNS:
        column = frame[name]
        given = column.notna().any()
        flags[name] = column.eq(True).to_numpy(dtype=bool) if given else None
    return LoadSeries(grid, load, flags["is_burst"], flags["is_event"], filled)


def _outcome(outcome: Outcome) -> PolicyOutcome:
    return PolicyOutcome(
        replica_hours=round(outcome.replica_hours, 4),
        cost=round(outcome.cost, 4),
        requests=outcome.requests,
        served=round(outcome.served, 3),
        unserved=round(outcome.unserved, 3),
        unserved_share=round(outcome.unserved_share, 6),
        sla_violation_minutes=round(outcome.sla_violation_minutes, 2),
        peak_replicas=outcome.peak_replicas,
    )


def _percent(part: float | None, whole: float) -> float | None:
    return None if part is None or whole <= 0 else round(100 * part / whole, 2)


def _share(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def simulate(body: SimulateRequest, progress: Progress | None = None) -> SimulateResponse:
    """Reactive HPA, predictive and oracle over the posted series, side by side."""
    settings = scaling_settings(body)
    series = load_series(body.data, body.timeframe)
    step_seconds = float(STEP_SECONDS[body.timeframe])
    try:
        result = compare(
            series.load,
            step_seconds,
            settings,
            is_burst=series.is_burst,
            is_event=series.is_event,
            mode=body.mode,
            equal_sla=body.equal_sla,
            progress=progress,
        )
    except SettingError as exc:
        raise InvalidInputError(str(exc), field=exc.field) from exc
    return _response(body, series, result)


def _response(body: SimulateRequest, series: LoadSeries, result: Comparison) -> SimulateResponse:
    outcomes = result.outcomes
    reactive_cost = outcomes["reactive"].cost
    matched = result.reactive_equal_sla
    at_equal = result.savings_at_equal_sla
    last = len(series.ds) - 1
    return SimulateResponse(
        timeframe=body.timeframe,
        points=len(series.ds),
        filled_points=series.filled,
        mode=body.mode,
        settings=PolicySettings.model_validate(body.model_dump(include=SETTING_FIELDS)),
        policies={name: _outcome(outcome) for name, outcome in outcomes.items()},
        reactive_at_equal_sla=(
            EqualSLAOutcome(
                target_utilization=matched.target_utilization, outcome=_outcome(matched.outcome)
            )
            if matched
            else None
        ),
        savings=Savings(
            cost=round(result.savings, 4),
            percent=_percent(result.savings, reactive_cost),
            at_equal_sla=None if at_equal is None else round(at_equal, 4),
            at_equal_sla_percent=_percent(at_equal, matched.outcome.cost if matched else 0.0),
        ),
        gap_closed=GapClosed(
            sla=_share(result.sla_gap_closed), cost=_share(result.cost_gap_closed)
        ),
        episodes=[
            EpisodeReport(
                kind=report.episode.kind,
                source=report.episode.source,
                start=series.ds[report.episode.start].to_pydatetime(),
                end=series.ds[min(report.episode.end - 1, last)].to_pydatetime(),
                peak_load=report.peak_load,
                policies={
                    name: EpisodeOutcome(
                        unserved=round(report.unserved[name], 3),
                        sla_violation_minutes=round(report.sla_violation_minutes[name], 2),
                        peak_replicas=report.peak_replicas[name],
                    )
                    for name in POLICIES
                },
            )
            for report in result.episodes
        ],
        timeline=Timeline(
            ds=list(series.ds.to_pydatetime()),
            load=series.load.tolist(),
            forecast_upper=np.round(result.upper_bound, 3).tolist(),
            recommended=result.recommended.tolist(),
            replicas={name: t.replicas.tolist() for name, t in result.timelines.items()},
            capacity={
                name: np.round(t.capacity, 3).tolist() for name, t in result.timelines.items()
            },
            unserved={
                name: np.round(t.unserved, 3).tolist() for name, t in result.timelines.items()
            },
        ),
    )


def parse_scaling_csv(content: bytes) -> list[LoadPoint]:
    """Rows of a traffic CSV: ``timestamp``/``requests_count`` (seed 5) or ``ds``/``y``,
    with ``is_burst`` and ``is_event`` when present."""
    try:
        frame = pd.read_csv(io.BytesIO(content))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"the file is not a readable CSV: {exc}", field="file") from exc
    time_column = next((c for c in CSV_TIME_COLUMNS if c in frame.columns), None)
    value_column = next((c for c in CSV_VALUE_COLUMNS if c in frame.columns), None)
    if time_column is None or value_column is None:
        found = ", ".join(map(str, frame.columns)) or "none"
        raise InvalidInputError(
            f"the CSV needs a timestamp and a requests_count column (found: {found})",
            field="file",
        )
    if len(frame) < 2 or len(frame) > MAX_POINTS:
        raise InvalidInputError(f"the CSV needs 2 to {MAX_POINTS} rows", field="file")
    stamps = pd.to_datetime(frame[time_column], errors="coerce")
    values = pd.to_numeric(frame[value_column], errors="coerce")
    bad_values = values.isna() | (values < 0) | (values > MAX_REQUESTS)
    for column, bad, advice in (
        (time_column, stamps.isna(), "use ISO 8601 timestamps"),
        (value_column, bad_values, "use request counts of 0 or more"),
    ):
        if bad.any():
            row = int(bad.to_numpy().argmax())
            raise InvalidInputError(
                f"row {row + 2} of the CSV has {column} = {frame[column].iloc[row]!r}; {advice}",
                field=f"file.{column}",
            )
    flags = {name: _flag_column(frame, name) for name in FLAG_COLUMNS if name in frame.columns}
    return [
        LoadPoint(
            ds=stamp.to_pydatetime(),
            y=float(value),
            **{name: bool(column[row]) for name, column in flags.items()},
        )
        for row, (stamp, value) in enumerate(zip(stamps, values, strict=True))
    ]


def _flag_column(frame: pd.DataFrame, name: str) -> BoolArray:
    raw = frame[name]
    text = raw.astype(str).str.strip().str.lower()
    truth = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
    mapped = text.map(lambda value: truth.get(value.removesuffix(".0")))
    if mapped.isna().any():
        row = int(mapped.isna().to_numpy().argmax())
        raise InvalidInputError(
            f"row {row + 2} of the CSV has {name} = {raw.iloc[row]!r}; use true/false or 1/0",
            field=f"file.{name}",
        )
    return mapped.astype(bool).to_numpy()


def infer_timeframe(points: list[LoadPoint]) -> ScalingTimeframe:
    """The timeframe whose step is the series' most common spacing."""
    stamps = pd.DatetimeIndex(sorted(p.ds for p in points))
    spacing = pd.Series(stamps[1:] - stamps[:-1]).mode()
    seconds = spacing.iloc[0].total_seconds() if len(spacing) else 0
    for timeframe, step in STEP_SECONDS.items():
        if math.isclose(seconds, step):
            return timeframe
    known = ", ".join(t.value for t in ScalingTimeframe)
    raise InvalidInputError(
        f"the rows are {seconds:g} s apart, which is no known timeframe ({known}); "
        "pass the timeframe explicitly",
        field="timeframe",
    )


class CapacityPlanner:
    """Recommendations now, from a posted forecast or from the traffic models."""

    def __init__(self, forecasts: TrafficForecasts) -> None:
        self._forecasts = forecasts

    def recommend(self, body: RecommendRequest) -> RecommendResponse:
        settings = scaling_settings(body)
        if body.forecast is None and body.data is None:
            raise InvalidInputError("post recent traffic as data, or a forecast", field="data")
        step_seconds = STEP_SECONDS[body.timeframe]
        if body.forecast is not None:
            stamps = [point.ds for point in body.forecast]
            expected = np.array([point.y for point in body.forecast], dtype=np.float64)
            upper = np.array(
                [point.y if point.upper is None else point.upper for point in body.forecast],
                dtype=np.float64,
            )
            source = ForecastSource(source="client")
        else:
            stamps, expected, upper, source = self._model_forecast(body, settings)
        upper = np.maximum(upper, expected)
        lead = min(
            lead_steps(settings.provisioning_delay, settings.forecast_buffer, step_seconds),
            len(expected) - 1,
        )
        schedule = predictive_replicas(
            window_peak(expected, lead) / step_seconds,
            window_peak(upper, lead) / step_seconds,
            settings,
        )
        load = body.current_load
        if load is None and body.data:
            load = body.data[-1].y
        reactive = body.current_replicas
        if load is not None:
            reactive = metric_replicas(
                body.current_replicas,
                body.current_replicas,
                load / step_seconds,
                settings.capacity_per_replica * settings.target_utilization,
                settings.tolerance,
            )
        reactive = min(max(reactive, settings.min_replicas), settings.max_replicas)
        predictive = int(schedule[0])
        replicas = max(reactive, predictive)
        decided_by = (
            "both"
            if reactive == predictive
            else "reactive"
            if reactive > predictive
            else "predictive"
        )
        RECOMMENDED_REPLICAS.labels(service=body.service).set(replicas)
        return RecommendResponse(
            service=body.service,
            timeframe=body.timeframe,
            current_replicas=body.current_replicas,
            replicas=replicas,
            reactive_replicas=reactive,
            predictive_replicas=predictive,
            decided_by=decided_by,
            lead_steps=lead,
            schedule=[
                ScheduleStep(
                    ds=ds, expected=round(float(e), 3), upper=round(float(u), 3), replicas=int(r)
                )
                for ds, e, u, r in zip(stamps, expected, upper, schedule, strict=True)
            ],
            forecast=source,
        )

    def _model_forecast(
        self, body: RecommendRequest, settings: ScalingSettings
    ) -> tuple[list[Any], FloatArray, FloatArray, ForecastSource]:
        """Forecast the posted traffic with the serving traffic model; the upper bound adds
        the model's backtest RMSE times the normal quantile of ``forecast_level``."""
        from opscast.traffic.schemas import PredictRequest, Timeframe, TrafficPoint

        if body.timeframe not in MODEL_TIMEFRAMES:
            raise InvalidInputError(
                f"timeframe {body.timeframe.value}: the traffic models forecast 1m, 5m and "
                "15m steps; post a forecast instead of data",
                field="timeframe",
            )
        timeframe = Timeframe(body.timeframe.value)
        forecasts = self._forecasts
        assert body.data is not None
        predicted = forecasts.predict(
            PredictRequest(
                data=[TrafficPoint(ds=point.ds, y=point.y) for point in body.data],
                horizon=body.horizon,
                model_type=body.model_type,
                timeframe=timeframe,
            )
        )
        metrics = forecasts.metrics(body.model_type, timeframe.value).metrics
        rmse = metrics.get("rmse") or 0.0
        z = NormalDist().inv_cdf(settings.forecast_level)
        expected = np.array([p.y for p in predicted.predictions], dtype=np.float64)
        upper = expected + max(z, 0.0) * rmse
        source = ForecastSource(
            source="model", model_type=body.model_type, version=predicted.model.version
        )
        return [p.ds for p in predicted.predictions], expected, upper, source
