"""The alert lifecycle, fingerprints, severity policies and feedback tuning (pure)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from opscast.alerting.feedback import adjusted_threshold, precision
from opscast.alerting.fingerprint import fingerprint, group_key, matches
from opscast.alerting.lifecycle import Episode, Event, Timing, step
from opscast.alerting.rules import default_rules, parse_rules
from opscast.alerting.severity import severity_of

T0 = datetime(2024, 3, 1)
MINUTE = timedelta(minutes=1)


def run(
    actives: list[bool], timing: Timing, every: timedelta = MINUTE
) -> list[tuple[int, Event, Episode]]:
    episode: Episode | None = None
    events = []
    for index, active in enumerate(actives):
        episode, event = step(episode, active, T0 + index * every, timing)
        if event is not None:
            assert episode is not None
            events.append((index, event, episode))
    return events


def test_fires_after_for_repeats_after_cooldown_and_resolves_when_clear() -> None:
    timing = Timing(for_=5 * MINUTE, cooldown=30 * MINUTE, resolve_after=3 * MINUTE)
    actives = [True] * 70 + [False] * 5
    events = [(index, event) for index, event, _ in run(actives, timing)]
    assert events == [
        (5, Event.firing),
        (35, Event.repeat),
        (65, Event.repeat),
        (72, Event.resolved),
    ]


def test_a_pending_alert_that_clears_is_dropped_unnotified() -> None:
    timing = Timing(for_=10 * MINUTE, cooldown=timedelta(hours=1), resolve_after=timedelta(0))
    assert run([True] * 9 + [False] + [True] * 9, timing) == []


@given(
    st.lists(st.booleans(), min_size=1, max_size=200),
    st.integers(0, 20),
    st.integers(1, 60),
    st.integers(0, 10),
)
def test_notifications_respect_for_and_cooldown(
    actives: list[bool], hold: int, cooldown: int, clear: int
) -> None:
    timing = Timing(hold * MINUTE, cooldown * MINUTE, clear * MINUTE)
    events = run(actives, timing)
    last_sent: int | None = None
    for index, event, _ in events:
        if event is Event.firing:
            # the condition held, uninterrupted, for the whole `for` duration
            assert index >= hold
            assert all(actives[index - hold : index + 1])
            last_sent = index
        elif event is Event.repeat:
            assert last_sent is not None
            assert index - last_sent >= cooldown
            last_sent = index
        else:
            assert not actives[index]
            last_sent = None
    kinds = [event for _, event, _ in events]
    # never two firings without a resolution between them
    for before, after in itertools.pairwise(kinds):
        assert not (before is Event.firing and after is Event.firing)


def test_the_fingerprint_is_the_label_set() -> None:
    labels = {"alertname": "a", "host": "db-01", "metric": "connections"}
    assert fingerprint(labels) == fingerprint(dict(reversed(labels.items())))
    assert fingerprint(labels) != fingerprint({**labels, "host": "db-02"})
    assert fingerprint({"a": "b=c"}) != fingerprint({"a=b": "c"})
    assert len(fingerprint(labels)) == 16
    assert group_key("a", labels, ["host"]) == 'a:{host="db-01"}'
    assert matches({"host": "db-01"}, labels)
    assert not matches({"host": "db-01", "role": "db"}, labels)


def test_the_first_matching_severity_wins_and_missing_fields_never_match() -> None:
    policy = [
        {"severity": "critical", "when": {"eta_hours": ["<=", 2], "confidence": [">=", 0.5]}},
        {"severity": "warning", "when": {"eta_hours": ["<=", 12]}},
    ]
    assert severity_of(policy, {"eta_hours": 1.0, "confidence": 0.8}, "info") == "critical"
    assert severity_of(policy, {"eta_hours": 1.0, "confidence": 0.2}, "info") == "warning"
    assert severity_of(policy, {"eta_hours": 20.0}, "info") == "info"
    assert severity_of(policy, {"score": 0.999}, "info") == "info"


@given(
    st.sampled_from([">=", "<="]),
    st.floats(0, 100),
    st.floats(0, 100),
    st.lists(st.sampled_from(["confirm", "dismiss"]), max_size=50),
)
def test_feedback_keeps_the_threshold_within_bounds(
    op: str, a: float, b: float, verdicts: list[str]
) -> None:
    low, high = min(a, b), max(a, b)
    threshold = (low + high) / 2
    for verdict in verdicts:
        change = adjusted_threshold(op, threshold, low, high, verdict)
        assert low <= change.after <= high
        stricter = change.after >= threshold if op == ">=" else change.after <= threshold
        assert stricter == (verdict == "dismiss") or change.after == threshold
        threshold = change.after


def test_precision_is_the_confirmed_share() -> None:
    assert precision(0, 0) is None
    assert precision(3, 1) == 0.75


def test_the_shipped_rules_parse_and_bad_rules_say_which_field() -> None:
    names = [rule.name for rule in default_rules()]
    assert "capacity-exhaustion" in names
    assert len(names) == len(set(names))
    with pytest.raises(ValueError, match="for"):
        parse_rules("- {name: x, kind: drift, threshold: 1, for: soon}")
    with pytest.raises(ValueError, match="threshold_max"):
        parse_rules("- {name: x, kind: drift, threshold: 1, threshold_max: 0.5}")


def test_the_shipped_anomaly_rule_fires_on_the_default_detectors_scores() -> None:
    """The stream's default detector reports the onset of a change once and then rests:
    a rule waiting for its score to hold would never fire on it (as it once did not)."""
    from opscast.alerting.schemas import seconds
    from opscast.anomaly.scoring import score_frame
    from opscast.config import Settings

    rng = np.random.default_rng(7)
    minutes = np.arange(3 * 1440)
    cpu = 40 + 10 * np.sin(2 * np.pi * minutes / 1440) + rng.normal(0, 1, len(minutes))
    shift = 2 * 1440 + 600
    cpu[shift:] += 35  # a level this host has never held
    frame = pd.DataFrame({"unique_id": "web-01:cpu_pct", "ds": minutes, "y": cpu})
    detector = Settings.model_fields["stream_detector"].default
    scores = score_frame(frame, detector=detector, explain=False)["anomaly_score"].to_numpy()

    rule = next(rule for rule in default_rules() if rule.name == "anomalous-metric")
    timing = Timing(
        timedelta(seconds=seconds(rule.for_)),
        timedelta(seconds=seconds(rule.cooldown)),
        timedelta(seconds=seconds(rule.resolve_after)),
    )
    fired = [
        index
        for index, event, _ in run((scores >= rule.threshold).tolist(), timing)
        if event is Event.firing
    ]
    assert fired, "the shift never raised an alert"
    assert shift <= fired[-1] <= shift + 5  # within minutes of the change
    assert len(fired) <= 2  # and the two quiet days before it raised at most one more
