"""Actual against predicted sales on the holdout, as an offline HTML page and a PNG.

Two views people ask for: total sales per day over every series (does the model get
the level and the weekly shape?) and a few single series (does it get one store's
item?). The HTML embeds plotly.js so the file opens without a network; the PNG comes
from matplotlib (the ``pipeline`` extra), since plotly's own image export needs a
browser download. Without matplotlib the PNG is skipped and the caller says so.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

SHOWN_SERIES = 4


def _panels(predictions: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    total = predictions.groupby("ds", sort=True)[["y", "predicted"]].sum().reset_index()
    panels = [("all series, total per day", total)]
    for uid in sorted(predictions["unique_id"].unique())[:SHOWN_SERIES]:
        one = predictions.loc[predictions["unique_id"] == uid, ["ds", "y", "predicted"]]
        panels.append((uid.replace("_", " ").replace("-", ", "), one.sort_values("ds")))
    return panels


def write_html(predictions: pd.DataFrame, path: Path, title: str) -> None:
    from plotly.subplots import make_subplots

    panels = _panels(predictions)
    figure = make_subplots(
        rows=len(panels), cols=1, subplot_titles=[name for name, _ in panels], vertical_spacing=0.06
    )
    for row, (_, frame) in enumerate(panels, start=1):
        for column, colour, label in (
            ("y", "#1f77b4", "actual"),
            ("predicted", "#d62728", "predicted"),
        ):
            figure.add_scatter(
                x=frame["ds"],
                y=frame[column],
                name=label,
                line={"color": colour},
                legendgroup=label,
                showlegend=row == 1,
                row=row,
                col=1,
            )
    figure.update_layout(title=title, height=280 * len(panels), template="plotly_white")
    figure.write_html(path, include_plotlyjs=True, full_html=True)


def write_png(predictions: pd.DataFrame, path: Path, title: str) -> bool:
    """Draw the chart as a PNG; False when matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    panels = _panels(predictions)
    figure, axes = plt.subplots(len(panels), 1, figsize=(11, 2.6 * len(panels)), squeeze=False)
    for axis, (name, frame) in zip(axes[:, 0], panels, strict=True):
        axis.plot(frame["ds"], frame["y"], label="actual", color="#1f77b4", linewidth=1.2)
        axis.plot(
            frame["ds"], frame["predicted"], label="predicted", color="#d62728", linewidth=1.2
        )
        axis.set_title(name, fontsize=10)
        axis.grid(alpha=0.3)
    axes[0, 0].legend(loc="upper right")
    figure.suptitle(title)
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return True
