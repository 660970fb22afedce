"""The frame every dashboard page shares: templates, navigation and how a page is answered.

Pages are rendered on the server so they work (and are tested) without a build step;
the navigation lives here once so a new page is one entry, not an edit of every template.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from opscast import __version__

WEB_DIR = Path(__file__).parent
STATIC_DIR = WEB_DIR / "static"

# (page key, label, path): the order of the navigation bar
NAVIGATION = (
    ("overview", "Overview", "/ui"),
    ("forecasts", "Forecasts", "/ui/forecasts"),
    ("anomalies", "Anomalies", "/ui/anomalies"),
    ("alerts", "Alerts", "/ui/alerts"),
    ("tickets", "Tickets", "/ui/tickets"),
    ("drift", "Drift", "/ui/drift"),
    ("models", "Models", "/ui/models"),
    ("demand", "Demand", "/ui/demand"),
    ("scaling", "Scaling", "/ui/scaling"),
    ("series", "Series", "/ui/series"),
)


def _when(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return value.strftime(fmt) if value is not None else ""


MISSING = "\u2013"  # an en dash stands for a value that is not defined


def _number(value: float | None, digits: int = 2) -> str:
    if value is None or math.isnan(value):
        return MISSING
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


# forecast errors first; a classifier's scores (accuracy, F1) when a task has no errors
HEADLINE_METRICS = ("mae", "rmse", "smape", "mase", "accuracy", "macro_f1")


def _headline(metrics: Mapping[str, float | None], count: int = 3) -> list[tuple[str, str]]:
    """The few metrics a person compares a task by, in a fixed order."""
    known = [name for name in HEADLINE_METRICS if name in metrics]
    rest = sorted(name for name in metrics if name not in HEADLINE_METRICS)
    return [(name, _number(metrics[name], 3)) for name in (known + rest)[:count]]


templates = Jinja2Templates(directory=WEB_DIR / "templates")
templates.env.filters["headline"] = _headline
templates.env.filters["when"] = _when
templates.env.filters["number"] = _number
templates.env.globals["navigation"] = NAVIGATION
templates.env.globals["version"] = __version__


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    page: str = "",
    status_code: int = 200,
) -> HTMLResponse:
    """A page or fragment; ``page`` marks the navigation entry as current."""
    signed_in = getattr(request.state, "principal", None)
    return templates.TemplateResponse(
        request,
        template,
        {"page": page, "signed_in": signed_in, **(context or {})},
        status_code=status_code,
    )
