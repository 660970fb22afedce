"""Forecasts: pick a stored series, a model and a horizon; see history, forecast, intervals
and how the same model did on the last stretch it did not see (the backtest overlay).

Any stored series can be asked about: an incident category at a granularity, the traffic
at a timeframe, or one store-item's demand. The run fits on the latest part of the
history only, so the answer comes while the person is still looking at the form. The
seed's API demo sits on the same page: it sends the documented request to
/forecast/predict and shows the JSON that came back.
"""

from __future__ import annotations

import json
from typing import Annotated, Literal

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from opscast.dependencies import SessionDep
from opscast.errors import InvalidInputError
from opscast.forecasting.forecast import backtest, forecast
from opscast.forecasting.protocol import ForecastingError
from opscast.series import service as series
from opscast.series.repository import SeriesRepository
from opscast.web import figures
from opscast.web.layout import render

router = APIRouter()

Source = Literal["incidents", "traffic", "demand"]
SOURCES: dict[str, str] = {
    "incidents": "Incident category",
    "traffic": "Traffic",
    "demand": "Store-item demand",
}
GRANULARITIES: dict[str, tuple[str, ...]] = {
    "incidents": ("daily", "weekly", "monthly", "quarterly"),
    "traffic": ("1m", "5m", "15m"),
    "demand": ("daily", "weekly"),
}
MODELS = ("seasonal_naive", "theta", "ets", "lightgbm", "auto")
LEVELS = (80, 95)
# enough history for weekly and daily cycles, little enough to fit while the page waits
HISTORY_POINTS = 720
SHOWN_HISTORY = 240
DEMO_POINTS = 96


def _choices(session: SessionDep) -> dict[str, list[str]]:
    repository = SeriesRepository(session)
    return {kind: repository.unique_ids(kind) for kind in SOURCES}


def _api_demo_request(session: SessionDep, traffic: list[str]) -> str:
    """The seed's documented request, filled with the latest stored 5-minute traffic."""
    points: list[dict[str, object]] = []
    if traffic:
        span = pd.Timedelta(minutes=5 * (DEMO_POINTS + 1))
        frame = series.read_recent(session, traffic[0], span, granularity="5m").tail(DEMO_POINTS)
        points = [
            {"ds": stamp.strftime("%Y-%m-%d %H:%M:%S"), "y": float(value)}
            for stamp, value in zip(frame["ds"], frame["y"], strict=True)
        ]
    body = {"data": points, "horizon": 12, "model_type": "xgboost", "timeframe": "5m"}
    return json.dumps(body, indent=1)


@router.get("/ui/forecasts", response_class=HTMLResponse)
def forecasts_page(request: Request, session: SessionDep) -> HTMLResponse:
    choices = _choices(session)
    return render(
        request,
        "forecasts.html",
        {
            "sources": SOURCES,
            "choices": choices,
            "granularities": GRANULARITIES,
            "models": MODELS,
            "demo_request": _api_demo_request(session, choices["traffic"]),
            "charts": True,
        },
        page="forecasts",
    )


def _history(session: SessionDep, source: str, unique_id: str, granularity: str) -> pd.DataFrame:
    stored = SeriesRepository(session).get(unique_id)
    if stored is None or stored.kind != source:
        raise InvalidInputError(f"no {source} series named {unique_id!r}", field="series")
    if granularity not in GRANULARITIES[source]:
        allowed = ", ".join(GRANULARITIES[source])
        raise InvalidInputError(f"{source} granularity is one of {allowed}", field="granularity")
    # traffic is stored per minute: sum it into the timeframe's steps
    frame = series.read_points(session, unique_id, granularity=granularity)
    # a trailing period still filling up would look like a sudden drop
    return frame.iloc[:-1].tail(HISTORY_POINTS).reset_index(drop=True)


@router.get("/ui/forecasts/run", response_class=HTMLResponse)
def run_forecast(
    request: Request,
    session: SessionDep,
    source: Source,
    unique_id: Annotated[str, Query(alias="series", min_length=1, max_length=200)],
    granularity: Annotated[str, Query(max_length=20)],
    model: Literal["seasonal_naive", "theta", "ets", "lightgbm", "auto"] = "theta",
    horizon: Annotated[int, Query(ge=1, le=100)] = 14,
) -> HTMLResponse:
    history = _history(session, source, unique_id, granularity)
    try:
        if len(history) < 2 * horizon + 4:
            raise ForecastingError(
                f"{len(history)} {granularity} periods are too few for a horizon of {horizon}; "
                "pick a finer granularity or a shorter horizon"
            )
        frame = history.assign(unique_id=unique_id)[["unique_id", "ds", "y"]]
        result = forecast(frame, model, horizon, levels=LEVELS)
        checked = backtest(frame, [model], horizon, n_windows=1)
    except ForecastingError as exc:
        return render(request, "partials/forecast_error.html", {"message": str(exc)})
    predicted = result.forecasts
    column = model
    overlay = checked.points
    shown = history.tail(SHOWN_HISTORY)
    traces = [
        *figures.band(
            predicted["ds"],
            predicted[f"{column}-lo-95"],
            predicted[f"{column}-hi-95"],
            "95% interval",
        ),
        *figures.band(
            predicted["ds"],
            predicted[f"{column}-lo-80"],
            predicted[f"{column}-hi-80"],
            "80% interval",
            color="rgba(232,113,10,0.28)",
        ),
        figures.line(shown["ds"], shown["y"], "history", figures.GREY),
        figures.line(
            overlay["ds"],
            overlay[model],
            "backtest",
            figures.GREEN,
            line={"color": figures.GREEN, "width": 2, "dash": "dot"},
        ),
        figures.line(
            predicted["ds"],
            predicted[column],
            "forecast",
            figures.ORANGE,
            line={"color": figures.ORANGE, "width": 2.2},
        ),
    ]
    chart = figures.figure(traces, y_title=unique_id, height=380)
    rows = [
        {
            "ds": stamp,
            "mean": mean,
            "lo": low,
            "hi": high,
        }
        for stamp, mean, low, high in zip(
            predicted["ds"],
            predicted[column],
            predicted[f"{column}-lo-80"],
            predicted[f"{column}-hi-80"],
            strict=True,
        )
    ]
    return render(
        request,
        "partials/forecast_result.html",
        {
            "chart": chart,
            "metrics": checked.overall[model],
            "chosen": result.chosen,
            "rows": rows,
            "model": model,
            "unique_id": unique_id,
            "granularity": granularity,
            "history_points": len(history),
            "season": result.spec.season_length,
        },
    )
