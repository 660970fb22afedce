"""The stream's stateful stages give the same numbers however a series is cut into batches."""

from __future__ import annotations

import itertools
import json
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.anomaly.detectors import RobustDetector, make_detector
from opscast.anomaly.features import FEATURE_NAMES, rolling_features
from opscast.anomaly.scoring import score_frame
from opscast.streaming.processor import TTF_STRIDE, FeatureProcessor, Predictor, capacity_limit

START = pd.Timestamp("2026-03-01")


def frame(values: np.ndarray, offset: int = 0, host: str = "h", metric: str = "m") -> pd.DataFrame:
    n = len(values)
    return pd.DataFrame(
        {
            "unique_id": f"{host}:{metric}",
            "host": host,
            "metric": metric,
            "ds": pd.date_range(START + pd.Timedelta(minutes=offset), periods=n, freq="min"),
            "y": values,
            "labels": [{}] * n,
        }
    )


def split(values: np.ndarray, cuts: list[int]) -> list[pd.DataFrame]:
    bounds = [0, *sorted({c for c in cuts if 0 < c < len(values)}), len(values)]
    return [frame(values[a:b], offset=a) for a, b in itertools.pairwise(bounds)]


series_values = st.lists(
    st.floats(min_value=-1e3, max_value=1e3, allow_nan=False), min_size=2, max_size=120
).map(np.array)


@settings(max_examples=40, deadline=None)
@given(values=series_values, cuts=st.lists(st.integers(0, 120), max_size=6))
def test_features_in_batches_equal_features_of_the_whole(
    values: np.ndarray, cuts: list[int]
) -> None:
    processor = FeatureProcessor(window=10)
    parts = [processor.process(part) for part in split(values, cuts)]
    got = pd.concat(parts)[list(FEATURE_NAMES)].to_numpy()
    np.testing.assert_allclose(got, rolling_features(values, 10), rtol=1e-7, atol=1e-6)


@settings(max_examples=15, deadline=None)
@given(values=series_values, cuts=st.lists(st.integers(0, 120), max_size=4))
def test_scores_in_batches_equal_scores_of_the_whole(values: np.ndarray, cuts: list[int]) -> None:
    predictor = Predictor("robust")
    parts = [predictor.predict(part).points for part in split(values, cuts)]
    got = pd.concat(parts)["score"].to_numpy()
    np.testing.assert_allclose(got, make_detector("robust").score(values), atol=1e-9)
    assert ((got >= 0) & (got <= 1)).all()


def test_a_redelivered_batch_is_skipped() -> None:
    values = np.linspace(0, 1, 50)
    processor, predictor = FeatureProcessor(), Predictor()
    first = frame(values)
    assert len(processor.process(first)) == 50
    assert len(predictor.predict(first).points) == 50
    assert processor.process(first).empty
    assert predictor.predict(first).points.empty


def test_a_restarted_stage_warms_up_from_history() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(10, 1, 300)
    stored = frame(values[:250])

    def history(uid: str, before: datetime, limit: int) -> tuple[list[datetime], list[float]]:
        assert uid == "h:m"
        older = stored[stored["ds"] < before].tail(limit)
        return [stamp.to_pydatetime() for stamp in older["ds"]], older["y"].tolist()

    whole = Predictor().predict(frame(values)).points["score"].to_numpy()
    restarted = Predictor(history=history).predict(frame(values[250:], offset=250)).points
    np.testing.assert_allclose(restarted["score"].to_numpy(), whole[250:], atol=1e-9)
    features = FeatureProcessor(history=history).process(frame(values[250:], offset=250))
    np.testing.assert_allclose(
        features[list(FEATURE_NAMES)].to_numpy(), rolling_features(values)[250:], atol=1e-9
    )


def test_spikes_are_flagged_and_explained() -> None:
    values = np.random.default_rng(5).normal(50, 1, 400)
    values[380] = 90
    scored = Predictor("robust").predict(frame(values)).points
    spike = scored.iloc[380]
    assert spike["is_anomaly"]
    assert set(spike["explanation"]) <= set(FEATURE_NAMES)
    assert (scored["explanation"].notna() == scored["is_anomaly"]).all(), "explained iff flagged"


def test_time_to_failure_of_a_ramp_and_none_for_a_flat_series() -> None:
    ramp = frame(40 + 0.5 * np.arange(120), metric="disk_pct")
    flat = frame(np.full(120, 40.0), host="g", metric="disk_pct")
    failures = Predictor().predict(pd.concat([ramp, flat])).failures
    estimate = failures[("h", "disk_pct")]
    assert estimate is not None
    # at minute 119 the disk is at 99.5 % and grows 30 %/h: one minute left
    assert estimate.eta_hours == pytest.approx(1 / 60, rel=0.05)
    assert estimate.limit == 100.0
    assert failures[("g", "disk_pct")] is None


@pytest.mark.parametrize(
    ("metric", "labels", "limit"),
    [
        ("memory_pct", {}, 100.0),
        ("connections", {"limit": "200"}, 200.0),
        ("connections", {}, None),
        ("latency_ms", {"limit": "fast"}, None),
        ("queue_depth", {"limit": "inf"}, None),
    ],
)
def test_capacity_limits(metric: str, labels: dict[str, str], limit: float | None) -> None:
    assert capacity_limit(metric, labels) == limit


def fleet_frame(values: dict[tuple[str, str], np.ndarray], start: int, stop: int) -> pd.DataFrame:
    return pd.concat(
        [frame(x[start:stop], offset=start, host=h, metric=m) for (h, m), x in values.items()]
    )


@pytest.mark.parametrize("detector", ["novelty", "robust", "ensemble", "isolation_forest"])
def test_a_fleet_in_ticks_gets_each_series_batch_scores(detector: str) -> None:
    rng = np.random.default_rng(8)
    values = {
        (host, metric): rng.normal(50, 5, 900) + (30 if host == "b" else 0)
        for host in ("a", "b", "c")
        for metric in ("cpu_pct", "latency_ms")
    }
    values[("b", "cpu_pct")][700] += 60
    predictor = Predictor(detector)
    cuts = [0, 400, 401, 402, 460, 900]
    parts = [
        predictor.predict(fleet_frame(values, a, b)).points for a, b in itertools.pairwise(cuts)
    ]
    got = pd.concat(parts)
    for (host, metric), x in values.items():
        mine = got[(got["host"] == host) & (got["metric"] == metric)]
        expected = make_detector(detector).score(x)
        np.testing.assert_allclose(mine["score"].to_numpy(), expected, atol=1e-9)
    spike = got[(got["host"] == "b") & (got["metric"] == "cpu_pct")].iloc[700]
    assert spike["is_anomaly"] == (spike["score"] >= predictor.threshold)


def test_a_restart_after_more_than_the_context_continues_exactly() -> None:
    detector = RobustDetector(window=40, long=30)
    values = np.random.default_rng(9).normal(10, 1, 400)
    stored = frame(values[:300])

    def history(uid: str, before: datetime, limit: int) -> tuple[list[datetime], list[float]]:
        older = stored[stored["ds"] < before].tail(limit)
        return [stamp.to_pydatetime() for stamp in older["ds"]], older["y"].tolist()

    def count(uid: str, before: datetime) -> int:
        return int((stored["ds"] < before).sum())

    restarted = Predictor(
        history=history, count=count, detectors=lambda _metric: RobustDetector(40, 30)
    )
    assert restarted.context < 300
    scores = restarted.predict(frame(values[300:], offset=300)).points["score"].to_numpy()
    np.testing.assert_array_equal(scores, detector.score(values)[300:])


def test_time_to_failure_is_estimated_every_few_points_not_on_every_one() -> None:
    predictor = Predictor()
    ramp = 40 + 0.3 * np.arange(200)
    seen = [
        ("h", "disk_pct")
        in predictor.predict(frame(ramp[t : t + 1], offset=t, metric="disk_pct")).failures
        for t in range(200)
    ]
    assert sum(seen) == 200 // TTF_STRIDE


def test_the_stream_learns_each_series_clock_and_flags_a_missed_daily_peak() -> None:
    """Points arrive with no stored history: the processor sets the series' points per
    day from its first sampling steps and scores exactly as ``opscast anomaly score``."""
    rng = np.random.default_rng(3)
    t = np.arange(288 * 11)
    busy = ((t % 288) >= 96) & ((t % 288) < 168) & (t // 288 != 9)
    y = np.where(busy, 80.0, 20.0) + rng.normal(0, 2, len(t))
    ds = pd.date_range(START, periods=len(t), freq="5min")
    points = frame(y)
    points["ds"] = ds
    predictor = Predictor("novelty")
    cuts = [0, 5, 20, 1000, 2690, len(t)]
    got = pd.concat(
        [predictor.predict(points.iloc[a:b]).points for a, b in itertools.pairwise(cuts)]
    )
    whole = score_frame(pd.DataFrame({"timestamp": ds, "value": y}))
    np.testing.assert_array_equal(got["score"].to_numpy(), whole["anomaly_score"].to_numpy())
    due = 288 * 9 + 96
    missed = due + np.flatnonzero(got["is_anomaly"].to_numpy()[due : due + 24])
    assert len(missed) == 1
    # no rolling feature explains a peak that did not come: the explanation says what did
    assert got["explanation"].iloc[missed[0]] == {"missed_daily_cycle": 1.0}
    assert json.loads(whole["explanation"].iloc[missed[0]]) == {"missed_daily_cycle": 1.0}
    others = np.flatnonzero(whole["is_anomaly"].to_numpy())
    others = others[others != missed[0]]
    assert all("missed_daily_cycle" not in whole["explanation"].iloc[i] for i in others)


def test_after_missing_points_the_daily_comparison_waits_a_week_in_batch_and_stream() -> None:
    """Two hours missing on day 8 shift every earlier day by 24 points: counted in
    points, 8:00 would be compared with 6:00 and the peak's start would look like one
    that came too early. Until the gap is a week old the check does not compare."""
    rng = np.random.default_rng(4)
    t = np.arange(288 * 17)
    busy = ((t % 288) >= 96) & ((t % 288) < 168)
    y = np.where(busy, 80.0, 20.0) + rng.normal(0, 2, len(t))
    kept = (t < 288 * 8 + 200) | (t >= 288 * 8 + 224)
    ds = pd.date_range(START, periods=len(t), freq="5min")[kept]
    y = y[kept]
    whole = score_frame(pd.DataFrame({"timestamp": ds, "value": y}))
    assert not whole["explanation"].str.contains("missed_daily_cycle").any()
    points = frame(y)
    points["ds"] = ds
    predictor = Predictor("novelty")
    cuts = [0, 30, 2500, 2650, len(y)]
    got = pd.concat(
        [predictor.predict(points.iloc[a:b]).points for a, b in itertools.pairwise(cuts)]
    )
    np.testing.assert_array_equal(got["score"].to_numpy(), whole["anomaly_score"].to_numpy())
    # a restart after the gap warms on stored history, the gap included
    stored = points.iloc[:2700]

    def history(uid: str, before: datetime, limit: int) -> tuple[list[datetime], list[float]]:
        older = stored[stored["ds"] < before].tail(limit)
        return [stamp.to_pydatetime() for stamp in older["ds"]], older["y"].tolist()

    restarted = Predictor("novelty", history=history)
    later = restarted.predict(points.iloc[2700:]).points["score"].to_numpy()
    np.testing.assert_array_equal(later, whole["anomaly_score"].to_numpy()[2700:])
    # the same series scored as if no point were missing: the shifted days raise alarms
    blind = score_frame(
        pd.DataFrame({"timestamp": pd.date_range(START, periods=len(y), freq="5min"), "value": y})
    )
    assert blind["explanation"].str.contains("missed_daily_cycle").any()
