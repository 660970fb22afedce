from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from opscast.web.sparkline import sparkline_path

finite = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=300))
def test_every_point_lies_inside_the_box(values: list[float]) -> None:
    path = sparkline_path(values, width=160, height=32)
    coordinates = [
        tuple(map(float, pair.split(","))) for pair in re.findall(r"-?[\d.]+,-?[\d.]+", path)
    ]
    assert len(coordinates) == max(len(values), 2)
    for x, y in coordinates:
        assert 0.0 <= x <= 160.0
        assert 0.0 <= y <= 32.0


def test_highest_value_is_drawn_at_the_top() -> None:
    path = sparkline_path([1.0, 5.0, 3.0], width=100, height=10)
    assert path == "M0.0,10.0 L50.0,0.0 L100.0,5.0"


def test_missing_values_are_skipped_and_empty_input_draws_nothing() -> None:
    assert sparkline_path([]) == ""
    assert sparkline_path([float("nan")]) == ""
