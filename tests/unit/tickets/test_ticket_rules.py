"""Keyword rules: whole-word matching, confidence as a share, the packaged file loads."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from opscast.tickets.rules import load_rules, normalise, parse_rules

RULES = """
default_class = "general"
[classes.network]
keywords = ["vpn", "packet loss", "dns"]
[classes.access]
keywords = ["password", "locked out"]
[priority]
outage = ["down"]
"""


def test_matches_whole_words_and_plurals() -> None:
    rules = parse_rules(RULES)
    assert rules.classify("The VPNs keep failing").label == "network"
    assert rules.classify("vpnclient update").label == "general"
    assert rules.classify("dnsmasq restarted").confidence == 0.0


def test_confidence_is_the_share_of_matched_words() -> None:
    rules = parse_rules(RULES)
    result = rules.classify("password reset after packet loss on the vpn")
    # network: "packet loss" (2 words) + "vpn" (1) = 3; access: "password" = 1
    assert result.label == "network"
    assert result.confidence == pytest.approx(3 / 4)
    assert set(result.matched) == {"packet loss", "vpn"}


def test_no_match_is_the_default_class_with_zero_confidence() -> None:
    result = parse_rules(RULES).classify("the coffee machine is empty")
    assert (result.label, result.confidence, result.matched) == ("general", 0.0, ())


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("default_class = 'x'", "classes"),
        ("[classes.a]\nkeywords = 'vpn'", "classes.a.keywords"),
        ("default_class = ''\n[classes.a]\nkeywords = ['x']", "default_class"),
    ],
)
def test_malformed_rules_name_the_problem(document: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_rules(document)


def test_packaged_rules_cover_the_service_classes() -> None:
    rules = load_rules()
    assert {"network", "hardware", "software", "database", "security", "access", "storage"} <= set(
        rules.classes
    )
    assert rules.default_class == "general"
    assert all(rules.cues[name] for name in ("outage", "scope", "data_loss", "security"))
    assert rules.classify("I am locked out and need a password reset").label == "access"
    assert rules.classify("the orders database is deadlocking").label == "database"


@given(st.text(max_size=300))
def test_any_text_gets_a_known_label_and_a_confidence_in_0_1(text: str) -> None:
    rules = load_rules()
    result = rules.classify(text)
    assert result.label in rules.labels
    assert 0.0 <= result.confidence <= 1.0
    assert (result.confidence == 0.0) == (result.matched == ())


@given(st.text(max_size=100))
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once
