"""ITIL matrix and the text estimate of impact and urgency."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opscast.tickets.priority import LEVELS, itil_priority, score_priority
from opscast.tickets.rules import load_rules

levels = st.integers(min_value=1, max_value=3)


@given(levels, levels)
def test_matrix_is_symmetric_and_on_1_to_5(impact: int, urgency: int) -> None:
    priority = itil_priority(impact, urgency)
    assert priority == itil_priority(urgency, impact)
    assert 1 <= priority <= 5


@given(levels, levels)
def test_more_impact_or_urgency_never_lowers_the_level(impact: int, urgency: int) -> None:
    rules = load_rules()
    rank = {level: index for index, level in enumerate(LEVELS)}  # 0 = high
    base = score_priority("x", rules, impact=impact, urgency=urgency)
    higher = score_priority("x", rules, impact=max(1, impact - 1), urgency=urgency)
    assert rank[higher.level] <= rank[base.level]


@pytest.mark.parametrize(
    ("impact", "urgency", "level"),
    [
        (1, 1, "high"),
        (1, 2, "high"),
        (2, 2, "medium"),
        (1, 3, "medium"),
        (2, 3, "low"),
        (3, 3, "low"),
    ],
)
def test_matrix_levels(impact: int, urgency: int, level: str) -> None:
    score = score_priority("anything", load_rules(), impact=impact, urgency=urgency)
    assert score.level == level
    assert score.estimated == ()


def test_out_of_scale_values_are_refused() -> None:
    with pytest.raises(ValueError, match="1 \\(high\\) to 3"):
        itil_priority(0, 2)


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("Server down. All servers unreachable", "high"),
        ("Server outage", "high"),
        ("Ransomware note on a laptop", "high"),
        ("customer data deleted by a script", "high"),
        ("the report page is slow", "medium"),
        ("please order a new keyboard", "low"),
    ],
)
def test_text_estimate(text: str, level: str) -> None:
    score = score_priority(text, load_rules())
    assert score.level == level
    assert score.estimated == ("impact", "urgency")


def test_a_given_value_is_kept_and_only_the_other_estimated() -> None:
    score = score_priority("All servers unreachable", load_rules(), urgency=3)
    assert (score.impact, score.urgency, score.estimated) == (1, 3, ("impact",))
    assert score.level == "medium"
