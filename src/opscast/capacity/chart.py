"""Charts of a policy comparison: load against each policy's capacity, and replicas.

The HTML chart is plotly with plotly.js inlined, so it opens offline; the PNG is drawn
with matplotlib when it is installed (plotly's own image export needs kaleido and a
browser, which a server seldom has).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from opscast.capacity.schemas import SimulateResponse
from opscast.errors import InvalidInputError

COLORS = {"reactive": "#d62728", "predictive": "#1f77b4", "oracle": "#2ca02c"}
LABELS = {"reactive": "reactive HPA", "predictive": "predictive", "oracle": "oracle"}


def _title(result: SimulateResponse) -> str:
    costs = ", ".join(
        f"{LABELS[name]} {outcome.cost:,.2f} ({outcome.sla_violation_minutes:,.0f} min out of SLA)"
        for name, outcome in result.policies.items()
    )
    return f"Cost per policy: {costs}"


def write_html(result: SimulateResponse, path: Path) -> None:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    timeline = result.timeline
    figure = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        subplot_titles=("requests per step and capacity", "replicas"),
    )
    figure.add_trace(
        go.Scatter(x=timeline.ds, y=timeline.load, name="load", line={"color": "#444"}),
        row=1,
        col=1,
    )
    for name, color in COLORS.items():
        figure.add_trace(
            go.Scatter(
                x=timeline.ds,
                y=timeline.capacity[name],
                name=f"{LABELS[name]} capacity",
                line={"color": color, "width": 1},
                legendgroup=name,
            ),
            row=1,
            col=1,
        )
        figure.add_trace(
            go.Scatter(
                x=timeline.ds,
                y=timeline.replicas[name],
                name=f"{LABELS[name]} replicas",
                line={"color": color, "shape": "hv"},
                legendgroup=name,
            ),
            row=2,
            col=1,
        )
    for episode in result.episodes:
        figure.add_vrect(
            x0=episode.start,
            x1=episode.end,
            fillcolor="#ff7f0e" if episode.kind == "event" else "#9467bd",
            opacity=0.12,
            line_width=0,
        )
    figure.update_layout(title=_title(result), height=750, template="plotly_white")
    path.write_text(figure.to_html(include_plotlyjs=True, full_html=True), encoding="utf-8")


def write_png(result: SimulateResponse, path: Path) -> None:
    try:
        import matplotlib as mpl
    except ImportError as exc:
        raise InvalidInputError(
            "a PNG chart needs matplotlib: pip install matplotlib (the HTML chart needs nothing)",
            field="png",
        ) from exc
    mpl.use("Agg")
    import matplotlib.pyplot as plt

    timeline = result.timeline
    figure: Any
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(12, 7), sharex=True)
    top.plot(timeline.ds, timeline.load, color="#444", linewidth=0.8, label="load")
    for name, color in COLORS.items():
        top.plot(
            timeline.ds,
            timeline.capacity[name],
            color=color,
            linewidth=0.7,
            label=f"{LABELS[name]} capacity",
        )
        bottom.step(
            timeline.ds, timeline.replicas[name], where="post", color=color, label=LABELS[name]
        )
    for episode in result.episodes:
        bottom.axvspan(episode.start, episode.end, color="#9467bd", alpha=0.12, linewidth=0)
    top.set_ylabel("requests per step")
    bottom.set_ylabel("replicas")
    top.legend(loc="upper left", fontsize=8)
    bottom.legend(loc="upper left", fontsize=8)
    figure.suptitle(_title(result), fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
