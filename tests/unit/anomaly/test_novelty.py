from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opscast.anomaly.detectors import make_detector
from opscast.anomaly.novelty import (
    CLOCK_STEPS,
    NoveltyDetector,
    NoveltyFleet,
    gaps_of,
    points_per_day,
)
from opscast.anomaly.stream import StreamScorer, fleet_of

# small windows and a tiny table, so generated series cross panes, blocks, the warm-up,
# rests and bucket collisions; a day of 3 points, so missed cycles come and rest too
SMALL = NoveltyDetector(
    scales=(1, 2, 3), orders=2, memory=24, rest=4, warmup=3, bits=5, cycle=3, max_cycle=4
)
# blocks of 4 points: a record is also measured against the points of its own block
BLOCKY = NoveltyDetector(
    scales=(1, 2), orders=1, memory=256, rest=4, warmup=3, bits=6, cycle=2, max_cycle=2
)

values = st.lists(
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False), min_size=1, max_size=150
).map(np.array)
rounded = st.lists(st.integers(-3, 3), min_size=1, max_size=150).map(
    lambda steps: np.cumsum(np.array(steps, dtype=np.float64))
)


def broken_rhythm(day: list[int], days: int, breaks: list[tuple[int, int]]) -> np.ndarray:
    """A day of 6 points (two of BLOCKY's, three of SMALL's) repeated, a few points
    changed: series whose missed cycles fire and rest."""
    x = np.tile(np.array(day, dtype=np.float64) * 10, days)
    for at, level in breaks:
        x[at % len(x)] = level * 10
    return x


rhythms = st.builds(
    broken_rhythm,
    st.lists(st.integers(0, 3), min_size=6, max_size=6),
    st.integers(1, 25),
    st.lists(st.tuples(st.integers(0, 149), st.integers(0, 3)), max_size=4),
)


@pytest.mark.parametrize("detector", [SMALL, BLOCKY], ids=["small", "blocky"])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(series=st.lists(st.one_of(values, rounded, rhythms), min_size=1, max_size=4), data=st.data())
def test_a_fleet_in_ticks_gives_every_series_its_batch_scores(
    detector: NoveltyDetector, series: list[np.ndarray], data: st.DataObject
) -> None:
    fleet = NoveltyFleet(detector)
    cuts = [data.draw(st.integers(0, len(x)), label="history") for x in series]
    rows = np.array([fleet.add(x[:cut]) for x, cut in zip(series, cuts, strict=True)])
    got: list[list[float]] = [[] for _ in series]
    step = 0
    while True:
        due = [i for i, x in enumerate(series) if cuts[i] + step < len(x)]
        if not due:
            break
        ticked = np.array([series[i][cuts[i] + step] for i in due])
        for i, score in zip(due, fleet.update(rows[due], ticked), strict=True):
            got[i].append(float(score))
        step += 1
    for x, cut, scores in zip(series, cuts, got, strict=True):
        np.testing.assert_array_equal(np.array(scores), detector.score(x)[cut:])


@settings(max_examples=40, deadline=None)
@given(x=st.one_of(values, rounded, rhythms), extra=st.integers(0, 40))
def test_a_stream_restarted_from_the_last_context_points_continues_exactly(
    x: np.ndarray, extra: int
) -> None:
    whole = SMALL.score(x)
    cut = min(len(x), SMALL.context + extra)
    tail = cut - SMALL.context
    if tail < 0:
        return
    fleet = NoveltyFleet(SMALL)
    row = fleet.add(x[tail:cut], start=tail)
    restarted = [fleet.update(np.array([row]), np.array([value]))[0] for value in x[cut:]]
    np.testing.assert_array_equal(np.array(restarted), whole[cut:])
    np.testing.assert_array_equal(SMALL.score(x[tail:], start=tail)[cut - tail :], whole[cut:])


@pytest.mark.parametrize("detector", [SMALL, BLOCKY], ids=["small", "blocky"])
@settings(max_examples=20, deadline=None)
@given(x=st.one_of(values, rounded, rhythms), sizes=st.lists(st.integers(1, 30), max_size=6))
def test_stream_scorer_batches_equal_the_whole(
    detector: NoveltyDetector, x: np.ndarray, sizes: list[int]
) -> None:
    stream = StreamScorer(detector)
    parts, at = [], 0
    for size in [*sizes, len(x)]:
        parts.append(stream.update(x[at : at + size]))
        at += size
    np.testing.assert_array_equal(np.concatenate(parts)[: len(x)], detector.score(x))


def daily(days: int, seed: int) -> np.ndarray:
    """Five-minute points of a noisy daily cycle."""
    rng = np.random.default_rng(seed)
    t = np.arange(288 * days)
    return 50 + 20 * np.sin(2 * np.pi * t / 288) + rng.normal(0, 1, len(t))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_level_shift_is_flagged_soon_and_the_steady_days_before_stay_quiet(seed: int) -> None:
    x = daily(14, seed)
    shift = 288 * 12 + 100
    x[shift:] += 60
    detector = make_detector("novelty")
    scores = detector.score(x)
    flagged = np.flatnonzero(scores >= detector.threshold)
    after = flagged[flagged >= shift]
    assert len(after), "the shift is flagged"
    assert after[0] - shift <= 30, "within 30 points"
    # the last three steady days before the shift: a repeated cycle is not news
    assert not np.any((flagged >= shift - 3 * 288) & (flagged < shift))


def test_a_repeated_alarm_rests() -> None:
    x = daily(10, 4)
    x[2000:2300] += np.linspace(0, 150, 300)
    detector = NoveltyDetector()
    flagged = np.flatnonzero(detector.score(x) >= detector.threshold)
    assert len(flagged)
    # within a rest, at most the record that begins the change and its new patterns
    for at in flagged:
        assert np.sum((flagged >= at) & (flagged <= at + detector.rest)) <= 2


@pytest.mark.parametrize("seed", [1, 2])
def test_a_record_is_flagged_at_its_first_point_and_a_near_record_is_not(seed: int) -> None:
    detector = NoveltyDetector()
    patterns_only = NoveltyDetector(spatial_tolerance=1e12)
    x = daily(10, seed)
    at = 288 * 8 + 50
    top, span = x[:at].max(), np.ptp(x[:at])
    record, near = x.copy(), x.copy()
    record[at] = top + 2 * detector.spatial_tolerance * span
    near[at] = top + detector.spatial_tolerance * span / 2
    # the pattern alone does not flag the record; the check does, a break of a tenth of
    # the range just above the threshold, far below a page
    assert patterns_only.score(record)[at] < detector.threshold
    assert detector.score(record)[at] == pytest.approx(0.5 + detector.spatial_tolerance)
    assert detector.score(near)[at] == patterns_only.score(near)[at]
    jump = x.copy()
    jump[at] = top + 2 * span
    assert detector.score(jump)[at] == 1.0


def test_a_climbing_metric_breaks_no_record_in_batch_or_in_the_stream() -> None:
    """Each value tops the last by one step, a small share of the range: no record,
    also midway through a block, whose points count towards the range at once."""
    x = np.arange(4000.0) + np.random.default_rng(0).normal(0, 0.3, 4000)
    detector = NoveltyDetector()
    scores = detector.score(x)
    np.testing.assert_array_equal(scores, NoveltyDetector(spatial_tolerance=1e12).score(x))
    fleet = NoveltyFleet(detector)
    row = fleet.add(x[:1000])
    live = [fleet.update(np.array([row]), np.array([value]))[0] for value in x[1000:]]
    np.testing.assert_array_equal(np.array(live), scores[1000:])


def test_the_default_fleet_of_the_stream_is_the_array_fleet() -> None:
    assert isinstance(fleet_of(lambda: make_detector("novelty")), NoveltyFleet)


@pytest.mark.parametrize(
    "settings_",
    [
        {"scales": (0,)},
        {"levels": 0},
        {"memory": 1},
        {"memory": 20_000},
        {"levels": 90},
        {"cycle": -1},
        {"cycle": 2000},
    ],
)
def test_invalid_settings_are_refused(settings_: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must"):
        NoveltyDetector(**settings_)  # type: ignore[arg-type]


def peaks(days: int, seed: int, missing: int | None = None, weekends: bool = False) -> np.ndarray:
    """Five-minute points idling at 20 with a peak at 80 from 8:00 to 14:00 every day
    (not on the 6th and 7th of each week with ``weekends``), except day ``missing``."""
    rng = np.random.default_rng(seed)
    t = np.arange(288 * days)
    day, minute = t // 288, (t % 288) * 5
    busy = (minute >= 8 * 60) & (minute < 14 * 60) & (day != missing)
    if weekends:
        busy &= day % 7 < 5
    return np.where(busy, 80.0, 20.0) + rng.normal(0, 2, len(t))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_daily_peak_that_does_not_come_is_flagged_within_two_hours(seed: int) -> None:
    missing = 9
    x = peaks(11, seed, missing=missing)
    clocked = NoveltyDetector(cycle=288)
    scores = clocked.score(x)
    flagged = np.flatnonzero(scores >= clocked.threshold)
    due = 288 * missing + 8 * 12
    # the longest scale smooths two hours: the gap shows once most of them are missed
    assert np.any((flagged >= due) & (flagged < due + 24)), "flagged within two hours"
    assert scores[flagged[flagged >= due][0]] >= 0.8, "a page, not a murmur"
    # a week of peaks that came is quiet, and without a clock the missed peak is not news
    assert not np.any((flagged >= 288 * 7) & (flagged < due))
    without = NoveltyDetector().score(x)
    assert not np.any(without[due : due + 6 * 12] >= clocked.threshold)
    # a peak that comes back the next day is compared with a day that broke: no alarm
    assert not np.any((flagged >= due + 288 - 12) & (flagged < due + 288 + 6 * 12))


def test_quiet_weekends_are_a_rhythm_not_a_missed_cycle() -> None:
    x = peaks(28, 5, weekends=True)
    clocked = NoveltyDetector(cycle=288)
    flagged = np.flatnonzero(clocked.score(x) >= clocked.threshold)
    assert not np.any(flagged >= 288 * 14), "the third and fourth weeks are quiet"


@pytest.mark.parametrize(
    "x", [peaks(11, 6, missing=9), peaks(22, 7, missing=16, weekends=True)], ids=["daily", "weekly"]
)
def test_missed_cycles_in_the_stream_equal_the_batch_also_with_a_clock_set_late(
    x: np.ndarray,
) -> None:
    clocked = NoveltyDetector(cycle=288)
    fleet = NoveltyFleet(NoveltyDetector())
    row = fleet.add(x[:100])
    fleet.clock(row, 288)
    live = [fleet.update(np.array([row]), np.array([value]))[0] for value in x[100:]]
    np.testing.assert_array_equal(np.array(live), clocked.score(x)[100:])
    with pytest.raises(ValueError, match="between 0 and 1440"):
        fleet.clock(row, 1441)


@pytest.mark.parametrize(
    ("step", "expected"),
    [("5min", 288), ("1min", 1440), ("1h", 24), ("30s", 0), ("7min", 0)],
)
def test_points_per_day_come_from_a_regular_sampling_step(step: str, expected: int) -> None:
    stamps = pd.date_range("2026-01-01", periods=50, freq=step).to_numpy()
    assert points_per_day(stamps, 1440) == expected


def test_a_clock_allows_a_scrapers_jitter() -> None:
    stamps = pd.date_range("2026-01-01", periods=50, freq="5min").to_numpy()
    jitter = np.random.default_rng(0).integers(-300, 300, 50).astype("timedelta64[ms]")
    assert points_per_day(stamps + jitter, 1440) == 288


def test_gaps_are_the_points_after_missing_ones() -> None:
    stamps = pd.date_range("2026-01-01", periods=20, freq="5min").to_numpy()
    gapped = np.delete(stamps, [5, 6, 12])  # the points at 5 and 6, then 12, missing
    np.testing.assert_array_equal(gaps_of(gapped, 288), [5, 10])
    np.testing.assert_array_equal(gaps_of(gapped, 288, start=100), [105, 110])
    assert len(gaps_of(gapped, 0)) == 0


def test_irregular_or_short_sampling_gives_no_clock() -> None:
    stamps = pd.date_range("2026-01-01", periods=50, freq="5min").to_numpy()
    gaps = np.delete(stamps, np.arange(1, 50, 4))  # every fourth step is doubled
    assert points_per_day(gaps, 1440) == 0
    assert points_per_day(stamps[:CLOCK_STEPS], 1440) == 0
    assert points_per_day(stamps[: CLOCK_STEPS + 1], 1440) == 288
