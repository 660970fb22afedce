"""The HTML report: offline plotly, escaped names, shares that add up."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from opscast.drift import detect_data_drift
from opscast.drift.report import column_charts, plotly_js, render_html


@pytest.fixture
def data() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    reference = pd.DataFrame(
        {
            "<b>load</b>": rng.normal(0, 1, 400),
            "zone": rng.choice([f"z{i}" for i in range(30)], 400),
        }
    )
    current = pd.DataFrame(
        {"<b>load</b>": rng.normal(2, 1, 300), "zone": rng.choice(["z1", "z2"], 300)}
    )
    return reference, current


def test_charts_hold_shares_of_each_sample(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    reference, current = data
    charts = column_charts(reference, current, detect_data_drift(reference, current))
    for chart in charts:
        assert sum(chart.reference) == pytest.approx(1.0, abs=1e-4)
        assert sum(chart.current) == pytest.approx(1.0, abs=1e-4)
        assert len(chart.labels) == len(chart.reference) == len(chart.current)
    zone = charts[1]
    assert len(zone.labels) == 21  # the 20 most common, then the rest together
    assert zone.labels[-1] == "10 others"


def test_inline_report_is_self_contained(data: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    reference, current = data
    result = detect_data_drift(reference, current)
    html = render_html(result, column_charts(reference, current, result), title="t")
    assert plotly_js()[:2000] in html
    assert not re.search(r"<script[^>]+src=", html)
    assert "http" not in html.replace(plotly_js(), "")
    assert "<b>load</b>" not in html.split('id="drift-figures"')[0]
    assert "&lt;b&gt;load&lt;/b&gt;" in html
    figures = re.search(r'id="drift-figures">(.*?)</script>', html, re.S)
    assert figures is not None
    assert [f["column"] for f in json.loads(figures.group(1))] == ["<b>load</b>", "zone"]


def test_linked_report_references_the_served_script(
    data: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    reference, current = data
    result = detect_data_drift(reference, current)
    html = render_html(result, [], title="t", plotly_src="/drift/assets/plotly.min.js")
    assert '<script src="/drift/assets/plotly.min.js">' in html
    assert len(html) < 50_000
