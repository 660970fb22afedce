"""plotly.js figures as plain dicts, built on the server and drawn in the browser.

The server knows the data and the page only draws it: a figure is the JSON plotly.js
takes (traces and layout), with times as ISO strings so it serialises without help.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

Figure = dict[str, Any]

BLUE = "#2f6fde"
ORANGE = "#e8710a"
GREY = "#6b7480"
RED = "#c62828"
GREEN = "#1a7f4b"


def times(values: pd.Series | Sequence[Any]) -> list[str]:
    stamps = pd.to_datetime(pd.Series(values))
    return [stamp.isoformat() for stamp in stamps]


def numbers(values: pd.Series | Sequence[float] | np.ndarray) -> list[float | None]:
    """Floats with NaN as None (null in JSON, a gap in the line)."""
    array = np.asarray(values, dtype=float)
    return [None if not np.isfinite(value) else round(float(value), 4) for value in array]


def line(
    x: pd.Series | Sequence[Any], y: Any, name: str, color: str = BLUE, **extra: Any
) -> dict[str, Any]:
    return {
        "type": "scatter",
        "mode": "lines",
        "x": times(x),
        "y": numbers(y),
        "name": name,
        "line": {"color": color, "width": 1.6},
        **extra,
    }


def band(
    x: pd.Series, low: Any, high: Any, name: str, color: str = "rgba(232,113,10,0.16)"
) -> list[dict[str, Any]]:
    """An interval as a filled area between two invisible lines."""
    stamps = times(x)
    return [
        {
            "type": "scatter",
            "mode": "lines",
            "x": stamps,
            "y": numbers(low),
            "line": {"width": 0},
            "hoverinfo": "skip",
            "showlegend": False,
            "name": f"{name} low",
        },
        {
            "type": "scatter",
            "mode": "lines",
            "x": stamps,
            "y": numbers(high),
            "fill": "tonexty",
            "fillcolor": color,
            "line": {"width": 0},
            "name": name,
        },
    ]


def markers(
    x: pd.Series | Sequence[Any],
    y: Any,
    name: str,
    color: str = RED,
    text: Sequence[str] | None = None,
) -> dict[str, Any]:
    trace: dict[str, Any] = {
        "type": "scatter",
        "mode": "markers",
        "x": times(x),
        "y": numbers(y),
        "name": name,
        "marker": {"color": color, "size": 9, "symbol": "circle-open", "line": {"width": 2}},
    }
    if text is not None:
        trace["text"] = list(text)
        trace["hovertemplate"] = "%{text}<extra></extra>"
    return trace


def figure(traces: list[dict[str, Any]], *, y_title: str = "", height: int = 340) -> Figure:
    return {"data": traces, "layout": {"height": height, "yaxis": {"title": {"text": y_title}}}}
