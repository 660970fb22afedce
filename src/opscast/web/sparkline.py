"""Inline SVG sparklines, drawn on the server.

A row of small trend lines is what people scan a list of series for; drawing them as
SVG paths needs no JavaScript and no plot library on the page, so the overview loads
instantly even with hundreds of series.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def sparkline_path(values: Sequence[float], *, width: float = 160, height: float = 32) -> str:
    """SVG path data scaling ``values`` into a width x height box (y grows downwards in SVG)."""
    points = np.asarray(values, dtype=float)
    points = points[np.isfinite(points)]
    if points.size == 0:
        return ""
    if points.size == 1:
        points = np.repeat(points, 2)
    low, high = float(points.min()), float(points.max())
    span = high - low or 1.0
    xs = np.linspace(0.0, width, points.size)
    ys = height - (points - low) / span * height
    return "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True))
