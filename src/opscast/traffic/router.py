"""Traffic forecasting endpoints (seed 5): predict, backtest, predict from CSV, stored metrics.

Seed 5's clients expect 400, not FastAPI's 422, for invalid parameters, so these routes
answer request-validation errors with 400 and the app's usual body (``detail`` listing
each field, ``message`` naming them). Well-formed data the service cannot use (two
points in one step) keeps the app-wide 422.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import ValidationError

from opscast.config import Settings
from opscast.dependencies import SettingsDep, TrafficDep, batch_limit, over_limit
from opscast.errors import InvalidInputError
from opscast.traffic.schemas import (
    BacktestRequest,
    BacktestResponse,
    ForecastParameters,
    MetricsResponse,
    PredictRequest,
    PredictResponse,
)
from opscast.traffic.service import parse_traffic_csv

INVALID_PARAMETERS = 400


class InvalidParametersRoute(APIRoute):
    """Answers request-validation errors with 400, the status seed 5 documents."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                respond = request.app.exception_handlers[RequestValidationError]
                response: Response = await respond(request, exc)
                response.status_code = INVALID_PARAMETERS
                return response

        return answer


router = APIRouter(tags=["traffic forecasting"], route_class=InvalidParametersRoute)


ERRORS: dict[int | str, dict[str, str]] = {
    400: {"description": "invalid parameters; the body names the field"},
    404: {"description": "unknown model_type"},
    422: {"description": "data the model cannot use, such as two points in one step"},
}


POSTED_POINTS = batch_limit(
    ("data",), lambda settings: settings.max_posted_points, setting="OPSCAST_MAX_POSTED_POINTS"
)


def _within_horizon(parameters: ForecastParameters, settings: Settings) -> None:
    if parameters.horizon > settings.forecast_max_horizon:
        raise over_limit(
            "horizon",
            f"horizon {parameters.horizon} exceeds {settings.forecast_max_horizon} steps; "
            "raise OPSCAST_FORECAST_MAX_HORIZON for longer forecasts",
        )


@router.post(
    "/forecast/predict",
    responses=ERRORS,
    response_model_exclude_none=True,
    dependencies=[POSTED_POINTS],
)
def predict(body: PredictRequest, forecasts: TrafficDep, settings: SettingsDep) -> PredictResponse:
    """Forecast ``horizon`` steps after the posted points, stored history filling in before them."""
    _within_horizon(body, settings)
    return forecasts.predict(body)


@router.post("/forecast/backtest", responses=ERRORS, dependencies=[POSTED_POINTS])
def backtest(
    body: BacktestRequest, forecasts: TrafficDep, settings: SettingsDep
) -> BacktestResponse:
    """Score the serving model on the posted points: MAE, RMSE, sMAPE, MAPE, MASE and the points."""
    _within_horizon(body, settings)
    return forecasts.backtest(body)


@router.post(
    "/forecast/predict/csv",
    response_model_exclude_none=True,
    responses={**ERRORS, 413: {"description": "the upload exceeds OPSCAST_MAX_UPLOAD_BYTES"}},
)
def predict_csv(
    file: Annotated[UploadFile, File(description="CSV with timestamp and requests_count")],
    parameters: Annotated[ForecastParameters, Form()],
    forecasts: TrafficDep,
    settings: SettingsDep,
) -> PredictResponse:
    """Like ``/forecast/predict``, with the points read from an uploaded CSV."""
    _within_horizon(parameters, settings)
    try:
        points = parse_traffic_csv(file.file.read(), settings.max_posted_points)
        body = PredictRequest(data=points, **parameters.model_dump())
    except InvalidInputError as exc:
        error = {"loc": ("body", *(exc.field or "file").split(".")), "msg": exc.message}
        raise RequestValidationError([{**error, "type": "value_error"}]) from exc
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc
    return forecasts.predict(body)


@router.get("/metrics/{model_type}/{timeframe}", responses={404: ERRORS[404]})
def model_metrics(model_type: str, timeframe: str, forecasts: TrafficDep) -> MetricsResponse:
    """Backtest metrics stored with the serving model of this model type and timeframe."""
    return forecasts.metrics(model_type, timeframe)
