"""The parts of deploy/render_dashboards.py that decide what a panel shows, without a stack."""

from __future__ import annotations

import math

import pytest
from deploy_stack import renderer
from hypothesis import given
from hypothesis import strategies as st


@given(
    start=st.floats(0, 2e9),
    length=st.floats(1, 30 * 86400),
    scrape=st.sampled_from([1.0, 5.0, 15.0, 60.0]),
)
def test_grafana_intervals_never_step_below_a_scrape_and_rate_over_at_least_four(
    start: float, length: float, scrape: float
) -> None:
    step, window = renderer.grafana_intervals(start, start + length, scrape)
    assert step >= scrape
    assert (length / step) <= renderer.MAX_POINTS + 1
    assert window >= 4 * scrape
    assert window >= step + scrape


def test_grafana_variables_are_filled_and_unknown_ones_refused() -> None:
    expr = "rate(x[$__rate_interval]) + increase(y[$__range]) / $__interval"
    assert renderer.expand(expr, 15, 60, 3600) == "rate(x[60s]) + increase(y[3600s]) / 15s"
    with pytest.raises(ValueError, match=r"\$__range_s"):
        renderer.expand("rate(x[$__range_s])", 15, 60, 3600)


def test_legend_names_follow_grafanas_rules() -> None:
    labels = {"method": "GET", "path": "/ui"}
    assert renderer.legend_name("{{method}} {{ path }}", labels, "e") == "GET /ui"
    assert renderer.legend_name("{{missing}}!", labels, "e") == "!"
    assert renderer.legend_name("", labels, "e") == '{method="GET", path="/ui"}'
    assert renderer.legend_name("", {}, "sum(up)") == "sum(up)"


@pytest.mark.parametrize(
    ("unit", "value", "shown"),
    [
        ("s", 0.0042, "4.20 ms"),
        ("s", 14.5, "14.50 s"),
        ("s", 325, "5.42 min"),
        ("percentunit", 0.0, "0%"),
        ("percentunit", 0.125, "12.50%"),
        ("reqps", 0.5, "0.500 req/s"),
        ("none", 6, "6"),
        ("ops", float("nan"), "-"),
    ],
)
def test_values_are_shown_in_grafanas_units(unit: str, value: float, shown: str) -> None:
    factor, suffix = renderer.unit_scale(unit, 0 if math.isnan(value) else abs(value))
    assert renderer.format_value(value, factor, suffix) == shown


def test_panels_without_a_finite_value_have_no_data() -> None:
    def panel(*values: float) -> object:
        series = renderer.Series("a", [float(i) for i in range(len(values))], list(values))
        return renderer.Panel("p", "timeseries", "none", {}, [series], {})

    assert not panel(float("nan"), float("nan")).has_data
    assert panel(float("nan"), 0.0).has_data
    assert not renderer.Panel("p", "timeseries", "none", {}, [], {}).has_data
