"""Render the Grafana dashboards in grafana/dashboards/ from a live Prometheus, without Grafana.

Grafana is packaged neither for Debian nor on PyPI or npm, so where it cannot be installed
this draws the same dashboard JSON Grafana provisions: every panel's PromQL runs as a range
query, with ``$__interval`` and ``$__rate_interval`` filled in as Grafana's Prometheus
datasource does; the panels keep their place on Grafana's 24-column grid, their titles,
units, draw style, stacking and table legends; plotly.js (inlined from the plotly package,
nothing fetched) draws them, and Chromium, driven by Playwright, screenshots the page.

    python deploy/render_dashboards.py --prometheus http://127.0.0.1:9090 --out dashboards/

writes one PNG per dashboard, named by its uid. It needs Debian's ``chromium`` and the
``playwright`` package (in opscast's dev extra); Playwright never downloads a browser here.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment

from opscast.drift.report import plotly_js

PAGE = Path(__file__).with_suffix(".html")
DASHBOARDS = sorted((Path(__file__).parent / "grafana" / "dashboards").glob("*.json"))
CHROMIUM = "/usr/bin/chromium"
WIDTH = 1400
# Grafana's grid: 24 columns, rows of 30 px, 8 px between panels.
COLUMNS = 24
ROW_PX = 30
GAP_PX = 8
PAGE_PAD_PX = 16
HEADER_PX = 48
# Grafana asks for about one point per horizontal pixel of a panel.
MAX_POINTS = 600
# Grafana's dark theme: classic palette and its default thresholds (green, red from 80).
PALETTE = (
    "#73BF69", "#F2CC0C", "#8AB8FF", "#FF780A", "#F2495C", "#5794F2", "#B877D9", "#705DA0",
    "#37872D", "#FADE2A", "#447EBC", "#C15C17", "#890F02", "#0A437C", "#6D1F62", "#584477",
)  # fmt: skip
THRESHOLD_COLOURS = {"green": "#73BF69", "red": "#F2495C", "yellow": "#FADE2A", "orange": "#FF9830"}
DEFAULT_THRESHOLDS = [{"value": None, "color": "green"}, {"value": 80, "color": "red"}]
CALC_NAMES = {"lastNotNull": "Last *", "last": "Last", "max": "Max", "min": "Min", "mean": "Mean"}


@dataclass(frozen=True, slots=True)
class Series:
    name: str
    times: list[float]
    values: list[float]

    @property
    def finite(self) -> list[float]:
        return [value for value in self.values if math.isfinite(value)]


@dataclass(frozen=True, slots=True)
class Panel:
    title: str
    kind: str
    unit: str
    grid: dict[str, int]
    series: list[Series]
    spec: dict[str, Any]

    @property
    def has_data(self) -> bool:
        return any(series.finite for series in self.series)


@dataclass(frozen=True, slots=True)
class Dashboard:
    uid: str
    title: str
    panels: list[Panel]
    start: float
    end: float


def grafana_intervals(start: float, end: float, scrape_seconds: float) -> tuple[float, float]:
    """Step and rate window as Grafana picks them: ``$__interval`` and ``$__rate_interval``.

    The step is the range over the points a panel can show, never below the scrape
    interval; the rate window spans at least four scrapes, so ``rate()`` always has two.
    """
    step = max(scrape_seconds, math.ceil((end - start) / MAX_POINTS))
    return step, max(step + scrape_seconds, 4 * scrape_seconds)


def expand(expr: str, step: float, rate_window: float, range_seconds: float) -> str:
    """The expression with Grafana's variables filled in; an unknown one is refused."""
    values = {
        "__rate_interval": f"{int(rate_window)}s",
        "__interval": f"{int(step)}s",
        "__range": f"{int(range_seconds)}s",
    }

    def fill(match: re.Match[str]) -> str:
        if match.group(1) not in values:
            raise ValueError(f"unknown Grafana variable {match.group(0)} in {expr!r}")
        return values[match.group(1)]

    expanded = re.sub(r"\$(\w+)", fill, expr)
    if "$" in expanded:
        raise ValueError(f"unknown Grafana variable in {expr!r}: add it to expand()")
    return expanded


def query_range(prometheus: str, expr: str, start: float, end: float, step: float) -> Any:
    """Prometheus's ``result`` for a range query; its error text when it refuses the query."""
    body = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
    request = urllib.request.Request(
        f"{prometheus.rstrip('/')}/api/v1/query_range",
        data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            answer = json.load(reply)
    except urllib.error.HTTPError as error:
        raise ValueError(f"Prometheus refused {expr!r}: {error.read().decode()}") from error
    return answer["data"]["result"]


def legend_name(legend_format: str, labels: dict[str, str], expr: str) -> str:
    """Grafana's legend: ``{{label}}`` filled from the series, else the labels, else the query."""
    if legend_format:
        return re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), legend_format)
    if labels:
        return "{" + ", ".join(f'{key}="{value}"' for key, value in labels.items()) + "}"
    return expr


def load_panel(
    spec: dict[str, Any], prometheus: str, start: float, end: float, scrape_seconds: float
) -> Panel:
    step, rate_window = grafana_intervals(start, end, scrape_seconds)
    series = []
    for target in spec["targets"]:
        expr = expand(target["expr"], step, rate_window, end - start)
        for result in query_range(prometheus, expr, start, end, step):
            labels = {k: v for k, v in result["metric"].items() if k != "__name__"}
            series.append(
                Series(
                    name=legend_name(target.get("legendFormat", ""), labels, expr),
                    times=[float(stamp) for stamp, _ in result["values"]],
                    values=[float(value) for _, value in result["values"]],
                )
            )
    return Panel(
        title=spec["title"],
        kind=spec["type"],
        unit=spec.get("fieldConfig", {}).get("defaults", {}).get("unit", "none"),
        grid=spec["gridPos"],
        series=series,
        spec=spec,
    )


def load_dashboard(
    path: Path, prometheus: str, start: float, end: float, scrape_seconds: float
) -> Dashboard:
    """Every panel of one dashboard JSON file with the data its queries return."""
    spec = json.loads(path.read_text())
    return Dashboard(
        uid=spec["uid"],
        title=spec["title"],
        panels=[
            load_panel(panel, prometheus, start, end, scrape_seconds) for panel in spec["panels"]
        ],
        start=start,
        end=end,
    )


# --- units --------------------------------------------------------------------------------

DURATIONS = ((0.001, " µs", 1e6), (1, " ms", 1e3), (120, " s", 1), (7200, " min", 1 / 60))


def unit_scale(unit: str, largest: float) -> tuple[float, str]:
    """Factor and suffix that show ``unit`` values as Grafana does (seconds scale to fit)."""
    if unit == "percentunit":
        return 100, "%"
    if unit == "s":
        for below, suffix, factor in DURATIONS:
            if largest < below:
                return factor, suffix
        return 1 / 3600, " hour"
    return 1, {"reqps": " req/s", "ops": " ops/s"}.get(unit, "")


def format_value(value: float | None, factor: float, suffix: str) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    scaled = value * factor
    digits = 0 if scaled == int(scaled) else 3 if abs(scaled) < 1 else 2
    return f"{scaled:,.{digits}f}{suffix}"


def calc(name: str, series: Series) -> float | None:
    values = series.finite
    if not values:
        return None
    if name == "max":
        return max(values)
    if name == "min":
        return min(values)
    if name == "mean":
        return sum(values) / len(values)
    return values[-1]


def threshold_colour(panel: Panel, value: float | None) -> str:
    defaults = panel.spec.get("fieldConfig", {}).get("defaults", {})
    steps = defaults.get("thresholds", {}).get("steps", DEFAULT_THRESHOLDS)
    colour = steps[0]["color"]
    for step in steps[1:]:
        if value is not None and value >= step["value"]:
            colour = step["color"]
    return str(THRESHOLD_COLOURS.get(colour, colour))


# --- page ---------------------------------------------------------------------------------


def _figure(panel: Panel, factor: float, suffix: str, stat: bool) -> dict[str, Any]:
    """A plotly figure (plain JSON) in Grafana's look for one panel."""
    custom = panel.spec.get("fieldConfig", {}).get("defaults", {}).get("custom", {})
    bars = custom.get("drawStyle") == "bars"
    stacked = custom.get("stacking", {}).get("mode", "none") != "none"
    opacity = custom.get("fillOpacity", 10) / 100
    span = max((s.times[-1] - s.times[0] for s in panel.series if s.times), default=0)
    tick_format = "%H:%M:%S" if span < 20 * 60 else "%H:%M"
    data = []
    for index, series in enumerate(panel.series):
        colour = "rgba(255,255,255,0.5)" if stat else PALETTE[index % len(PALETTE)]
        values = [value * factor if math.isfinite(value) else None for value in series.values]
        times = [time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)) for t in series.times]
        trace: dict[str, Any] = {"x": times, "y": values, "name": series.name}
        if bars:
            trace.update(type="bar", marker={"color": colour, "opacity": max(opacity, 0.5)})
        else:
            trace.update(
                type="scatter",
                mode="lines",
                line={"color": colour, "width": 1},
                fill="tonexty" if stacked else "tozeroy",
                fillcolor=_with_alpha(colour, 0.25 if stat else opacity),
            )
            if stacked:
                trace["stackgroup"] = "A"
        data.append(trace)
    axis = {"gridcolor": "rgba(204,204,220,0.09)", "zeroline": False, "color": "#ccccdc"}
    layout: dict[str, Any] = {
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"family": "Inter, Helvetica, Arial, sans-serif", "size": 11, "color": "#ccccdc"},
        "margin": {"l": 0 if stat else 60, "r": 0 if stat else 12, "t": 4, "b": 0 if stat else 24},
        "showlegend": False,
        "barmode": "stack" if stacked else "group",
        "bargap": 0.1,
        "xaxis": {**axis, "type": "date", "tickformat": tick_format, "visible": not stat},
        "yaxis": {**axis, "ticksuffix": suffix, "rangemode": "tozero", "visible": not stat},
    }
    return {"data": data, "layout": layout}


def _with_alpha(colour: str, alpha: float) -> str:
    if colour.startswith("rgba"):
        red, green, blue = colour[5:].split(",")[:3]
    else:
        red, green, blue = (str(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _panel_view(panel: Panel, width: float) -> dict[str, Any]:
    column = (width - (COLUMNS - 1) * GAP_PX) / COLUMNS
    grid = panel.grid
    largest = max((abs(v) for s in panel.series for v in s.finite), default=0.0)
    factor, suffix = unit_scale(panel.unit, largest)
    stat = panel.kind == "stat"
    value = calc("lastNotNull", panel.series[0]) if stat and panel.series else None
    calcs = panel.spec.get("options", {}).get("legend", {}).get("calcs", [])
    return {
        "title": panel.title,
        "left": grid["x"] * (column + GAP_PX),
        "top": grid["y"] * (ROW_PX + GAP_PX),
        "width": grid["w"] * column + (grid["w"] - 1) * GAP_PX,
        "height": grid["h"] * ROW_PX + (grid["h"] - 1) * GAP_PX,
        "stat": stat,
        "has_data": panel.has_data,
        "value": format_value(value, factor, suffix),
        "background": threshold_colour(panel, value) if stat else "",
        "figure": json.dumps(_figure(panel, factor, suffix, stat)) if panel.has_data else "",
        "columns": [CALC_NAMES.get(name, name) for name in calcs],
        "legend": [
            {
                "name": series.name,
                "colour": PALETTE[index % len(PALETTE)],
                "cells": [format_value(calc(name, series), factor, suffix) for name in calcs],
            }
            for index, series in enumerate(panel.series)
        ],
    }


def render_html(dashboard: Dashboard, width: int = WIDTH) -> str:
    """A self-contained page of the dashboard: plotly.js inline, no request leaves it."""
    inner = width - 2 * PAGE_PAD_PX
    bottom = max(p.grid["y"] + p.grid["h"] for p in dashboard.panels)
    window = " to ".join(
        time.strftime("%Y-%m-%d %H:%M", time.gmtime(t)) for t in (dashboard.start, dashboard.end)
    )
    return (
        Environment(autoescape=True)
        .from_string(PAGE.read_text(encoding="utf-8"))
        .render(
            title=dashboard.title,
            window=f"{window} UTC",
            header=HEADER_PX,
            pad=PAGE_PAD_PX,
            height=bottom * (ROW_PX + GAP_PX) - GAP_PX,
            panels=[_panel_view(panel, inner) for panel in dashboard.panels],
            plotly_js=plotly_js(),
        )
    )


def screenshot(html: str, png: Path, width: int = WIDTH, chromium: str = CHROMIUM) -> None:
    """The page as Chromium draws it, full height, once plotly has drawn every panel."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as directory, sync_playwright() as playwright:
        page_file = Path(directory) / "dashboard.html"
        page_file.write_text(html, encoding="utf-8")
        browser = playwright.chromium.launch(executable_path=chromium)
        try:
            page = browser.new_page(viewport={"width": width, "height": 600})
            page.goto(page_file.as_uri())
            page.wait_for_selector("body[data-rendered=true]", timeout=30_000)
            page.screenshot(path=str(png), full_page=True)
        finally:
            browser.close()


def render(
    prometheus: str,
    out: Path,
    start: float,
    end: float,
    scrape_seconds: float,
    dashboards: Sequence[Path] = DASHBOARDS,
    chromium: str = CHROMIUM,
) -> list[Dashboard]:
    """Every dashboard drawn to ``out/<uid>.png``; returns what each panel showed."""
    out.mkdir(parents=True, exist_ok=True)
    rendered = []
    for path in dashboards:
        dashboard = load_dashboard(path, prometheus, start, end, scrape_seconds)
        screenshot(render_html(dashboard), out / f"{dashboard.uid}.png", chromium=chromium)
        rendered.append(dashboard)
    return rendered


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prometheus", required=True, help="Prometheus URL, e.g. :9090")
    parser.add_argument("--out", type=Path, required=True, help="folder for <uid>.png")
    parser.add_argument("--minutes", type=float, default=60, help="time range up to now")
    parser.add_argument(
        "--scrape-interval",
        type=float,
        default=15,
        help="seconds; the datasource's timeInterval in grafana/provisioning (15)",
    )
    parser.add_argument("--chromium", default=CHROMIUM, help="the Chromium binary to drive")
    args = parser.parse_args(argv)
    end = time.time()
    for dashboard in render(
        args.prometheus,
        args.out,
        end - args.minutes * 60,
        end,
        args.scrape_interval,
        chromium=args.chromium,
    ):
        empty = [panel.title for panel in dashboard.panels if not panel.has_data]
        print(f"{args.out / dashboard.uid}.png: {len(dashboard.panels)} panels, no data in {empty}")


if __name__ == "__main__":
    main()
