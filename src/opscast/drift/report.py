"""Self-contained drift reports: per-column distributions side by side, statistics, verdicts.

The page carries only binned shares (a few dozen numbers per column), never the raw data,
so a report over a million rows stays a few kilobytes plus plotly.js. plotly.js comes from
the ``plotly`` package installed with opscast: inlined for a report written to a file (it
then opens offline, anywhere) or referenced by URL when the service stores many reports
and serves the script once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.drift.concept_drift import ConceptDriftResult
from opscast.drift.data_drift import ColumnDrift, DataDriftResult
from opscast.drift.two_sample import P_VALUE_TESTS

MAX_BINS = 30
MAX_CATEGORIES = 20


@dataclass(frozen=True, slots=True)
class ColumnChart:
    """Share of each sample per bin (numeric) or per value (categorical), on common bins."""

    column: str
    labels: list[str]
    reference: list[float]
    current: list[float]
    reference_stats: dict[str, float | str | None]
    current_stats: dict[str, float | str | None]


def plotly_js_path() -> Path:
    return Path(str(files("plotly") / "package_data" / "plotly.min.js"))


@cache
def plotly_js() -> str:
    return plotly_js_path().read_text(encoding="utf-8")


def _numeric_stats(values: np.ndarray) -> dict[str, float | str | None]:
    if values.size == 0:
        return {"mean": None, "std": None, "min": None, "max": None}
    return {
        "mean": float(values.mean()),
        "std": float(values.std()),
        "min": float(values.min()),
        "max": float(values.max()),
    }


def column_chart(reference: pd.Series, current: pd.Series, drift: ColumnDrift) -> ColumnChart:
    ref, cur = reference.dropna(), current.dropna()
    if drift.kind == "numeric":
        ref_values = ref.to_numpy(dtype="float64")
        cur_values = cur.to_numpy(dtype="float64")
        both = np.concatenate([ref_values, cur_values])
        bins = min(MAX_BINS, max(1, len(np.histogram_bin_edges(both, bins="sturges")) - 1))
        edges = np.histogram_bin_edges(both, bins=bins)
        ref_counts = np.histogram(ref_values, edges)[0]
        cur_counts = np.histogram(cur_values, edges)[0]
        centres = (edges[:-1] + edges[1:]) / 2
        labels = [f"{value:.4g}" for value in centres]
        ref_stats, cur_stats = _numeric_stats(ref_values), _numeric_stats(cur_values)
    else:
        ref_text, cur_text = ref.astype(str), cur.astype(str)
        counts = pd.concat(
            [ref_text.value_counts().rename("ref"), cur_text.value_counts().rename("cur")], axis=1
        ).fillna(0)
        counts = counts.sort_values(["ref", "cur"], ascending=False)
        top, rest = counts.iloc[:MAX_CATEGORIES], counts.iloc[MAX_CATEGORIES:]
        labels = [str(label) for label in top.index]
        ref_counts, cur_counts = top["ref"].to_numpy(), top["cur"].to_numpy()
        if not rest.empty:
            labels.append(f"{len(rest)} others")
            ref_counts = np.append(ref_counts, rest["ref"].sum())
            cur_counts = np.append(cur_counts, rest["cur"].sum())
        ref_stats = {"distinct": float(ref_text.nunique()), "most common": _mode(ref_text)}
        cur_stats = {"distinct": float(cur_text.nunique()), "most common": _mode(cur_text)}
    return ColumnChart(
        column=drift.column,
        labels=labels,
        reference=(ref_counts / max(len(ref), 1)).round(6).tolist(),
        current=(cur_counts / max(len(cur), 1)).round(6).tolist(),
        reference_stats=ref_stats,
        current_stats=cur_stats,
    )


def _mode(values: pd.Series) -> str | None:
    return None if values.empty else str(values.value_counts().index[0])


def column_charts(
    reference: pd.DataFrame, current: pd.DataFrame, result: DataDriftResult
) -> list[ColumnChart]:
    return [
        column_chart(reference[drift.column], current[drift.column], drift)
        for drift in result.columns
    ]


def _script_json(value: Any) -> str:
    """JSON safe inside a <script> element: no '</' can close it early."""
    return json.dumps(value, allow_nan=False).replace("</", "<\\/")


def _number(value: float | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    return f"{value:.4g}"


def _render(
    template: str, *, title: str, figures: Any, plotly_src: str | None, **context: Any
) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    environment = Environment(
        loader=PackageLoader("opscast.drift", "templates"),
        autoescape=select_autoescape(["html"]),
    )
    environment.filters["number"] = _number
    return environment.get_template(template).render(
        title=title,
        created_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        figures_json=_script_json(figures),
        plotly_src=plotly_src,
        plotly_inline=None if plotly_src else plotly_js(),
        **context,
    )


def render_html(
    result: DataDriftResult,
    charts: list[ColumnChart],
    *,
    title: str,
    notes: list[tuple[str, str]] | None = None,
    overall: bool | None = None,
    plotly_src: str | None = None,
) -> str:
    """The data-drift page; ``plotly_src`` is a URL to load plotly.js from, or None to inline it.

    ``notes`` are extra (label, text) lines shown under the verdict, such as the outcome of
    the mean-change rule for a series check, and ``overall`` the verdict when another rule
    than the column tests decided it.
    """
    by_column = {chart.column: chart for chart in charts}
    rows = [
        {
            "drift": drift,
            "chart": by_column.get(drift.column),
            "score_name": "p-value" if drift.test in P_VALUE_TESTS else "distance",
            "score": drift.p_value if drift.test in P_VALUE_TESTS else drift.statistic,
            "rule": ("p < " if drift.test in P_VALUE_TESTS else "distance >= ")
            + f"{drift.threshold:g}",
        }
        for drift in result.columns
    ]
    figures = [
        {"column": c.column, "labels": c.labels, "reference": c.reference, "current": c.current}
        for c in charts
    ]
    return _render(
        "report.html",
        title=title,
        figures=figures,
        plotly_src=plotly_src,
        result=result,
        rows=rows,
        notes=notes or [],
        overall=overall,
    )


def render_concept_html(
    result: ConceptDriftResult,
    errors: npt.ArrayLike,
    *,
    title: str,
    plotly_src: str | None = None,
) -> str:
    """The concept-drift page: the error against its baseline and the error stream over time."""
    values = np.asarray(errors, dtype="float64")
    figures = {"errors": values.round(6).tolist(), "change_points": result.change_points}
    return _render(
        "concept.html",
        title=title,
        figures=figures,
        plotly_src=plotly_src,
        result=result,
        points=int(values.size),
    )
