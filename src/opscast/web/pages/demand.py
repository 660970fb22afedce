"""Demand: one store-item's actual daily sales beside what the demand model predicts.

The actual sales are stored series, rendered here; the predictions come from the seed's
/predict endpoint, which the browser calls for the chosen store-item. The same form
sends any store, item and date to /predict and shows the reply. Beside them, what an
operator asks next: how good the serving model was on its holdout, and what the latest
drift check (``opscast demand drift`` or the scheduled one) said.
"""

from __future__ import annotations

import re
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from opscast.demand.service import champion_model, latest_drift
from opscast.demand.training import METRICS, DemandModel
from opscast.dependencies import ModelStoreDep, SessionDep
from opscast.drift_checks.tables import DriftReport
from opscast.series import service as series
from opscast.series.repository import SeriesRepository
from opscast.web.availability import serves
from opscast.web.layout import render

router = APIRouter()

KIND = "demand"
SHOWN_DAYS = 120
# stored demand series are named store_<store>-item_<item>
NAME = re.compile(r"^store_(?P<store>\d+)-item_(?P<item>\d+)$")


@router.get("/ui/demand", response_class=HTMLResponse)
def demand_page(
    request: Request,
    session: SessionDep,
    models: ModelStoreDep,
    store_item: Annotated[str | None, Query(alias="series", max_length=200)] = None,
) -> HTMLResponse:
    names = SeriesRepository(session).unique_ids(KIND)
    chosen = store_item if store_item in names else (names[0] if names else None)
    actual: dict[str, list[object]] = {"ds": [], "y": []}
    parsed = NAME.match(chosen) if chosen else None
    if chosen:
        frame = series.read_recent(session, chosen, pd.Timedelta(days=SHOWN_DAYS)).tail(SHOWN_DAYS)
        actual = {
            "ds": [stamp.strftime("%Y-%m-%d") for stamp in frame["ds"]],
            "y": [float(value) for value in frame["y"]],
        }
    available = serves(request.app, "POST", "/predict")
    serving = champion_model(models)
    return render(
        request,
        "demand.html",
        {
            "available": available,
            # the chart asks /predict only once a model serves (before, it answers 503)
            "predicting": available and serving is not None,
            "evaluation": _evaluation(serving),
            "drift": _drift(latest_drift(session)),
            "names": names,
            "chosen": chosen,
            "store": parsed["store"] if parsed else "",
            "item": parsed["item"] if parsed else "",
            "actual": actual,
            "charts": True,
        },
        page="demand",
    )


def _evaluation(serving: tuple[int, DemandModel] | None) -> dict[str, object] | None:
    """The champion's holdout errors, as registered."""
    if serving is None:
        return None
    version, model = serving
    return {
        "version": version,
        "holdout": model.trained.split.summary()["holdout"],
        "metrics": [
            (name.upper() if name != "smape" else "sMAPE", model.holdout_metrics[name])
            for name in METRICS
            if name in model.holdout_metrics
        ],
    }


def _drift(report: DriftReport | None) -> dict[str, object] | None:
    if report is None:
        return None
    return {
        "checked": report.created_at.strftime("%Y-%m-%d %H:%M"),
        "subject": report.subject,
        "retrain": report.drift_detected,
        "reason": report.summary.get("reason", ""),
        "windows": f"{report.summary.get('current_window', '?')} against "
        f"{report.summary.get('reference_window', '?')}",
        "url": f"/drift/reports/{report.id}/html",
    }
