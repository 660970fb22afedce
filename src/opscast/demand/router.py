"""HTTP skin over demand: seed 3's ``POST /predict`` for one store-item-date or a list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, HTTPException

from opscast.demand import service
from opscast.demand.schemas import MAX_ROWS, PredictIn, PredictOut
from opscast.dependencies import ModelStoreDep
from opscast.errors import InvalidInputError

router = APIRouter(tags=["demand"])


@router.post(
    "/predict",
    response_model=PredictOut | list[PredictOut],
    summary="Predicted daily sales of a store's item (one row or a list)",
    responses={
        404: {"description": "unknown store or item, or no demand model trained yet"},
        422: {"description": "date outside the data and the forecast horizon"},
    },
)
def predict(
    store: ModelStoreDep,
    body: Annotated[
        PredictIn | list[PredictIn],
        Body(examples=[{"store": 1, "item": 1, "date": "2018-01-01"}]),
    ],
) -> PredictOut | list[PredictOut]:
    """Answered from the champion held in memory: a lookup, no model loading per request.

    A list is checked whole before anything is answered, so one unknown item fails the
    request with the item named, rather than answering part of it.
    """
    serving = service.champion_model(store)
    if serving is None:
        raise HTTPException(
            404,
            f"no {service.TASK} model is trained yet; the service trains one in the background "
            "(GET /health shows progress), or run `opscast demand train`",
        )
    version, model = serving
    rows = body if isinstance(body, list) else [body]
    if not 1 <= len(rows) <= MAX_ROWS:
        raise InvalidInputError(f"send 1 to {MAX_ROWS} rows, not {len(rows)}", field="body")
    queries = [service.DemandQuery(row.store, row.item, row.date) for row in rows]
    answers = [PredictOut.model_validate(row) for row in service.predict(model, version, queries)]
    return answers if isinstance(body, list) else answers[0]
