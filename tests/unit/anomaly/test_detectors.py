from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import require_extra
from opscast.anomaly.detectors import (
    DETECTORS,
    Detector,
    EnsembleDetector,
    HalfSpaceTreesDetector,
    IsolationForestDetector,
    RobustDetector,
    WindowedGaussianDetector,
    make_detector,
)
from opscast.anomaly.lstm_autoencoder import LSTMAutoencoderDetector
from opscast.anomaly.novelty import NoveltyDetector
from opscast.anomaly.stream import RobustEvents, StreamScorer


def small(name: str) -> Detector:
    """Each detector with windows small enough for short generated series."""
    if name == "lstm_autoencoder":
        require_extra("torch", "neural")
        return LSTMAutoencoderDetector(window=4, hidden=4, train_size=30, epochs=2, long=50)
    detectors: dict[str, Detector] = {
        "novelty": NoveltyDetector(scales=(1, 3), memory=40, rest=5, warmup=5, bits=6),
        "robust": RobustDetector(window=20, long=50),
        "isolation_forest": IsolationForestDetector(window=5, train_size=40, trees=10, long=50),
        "half_space_trees": HalfSpaceTreesDetector(trees=3, height=4, window_size=20),
        "windowed_gaussian": WindowedGaussianDetector(window_size=30, step=7),
        "ensemble": EnsembleDetector(
            members=(
                RobustDetector(window=20, long=50),
                IsolationForestDetector(window=5, train_size=40, trees=10, long=50),
            )
        ),
    }
    return detectors[name]


values = st.lists(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=120
)


@pytest.mark.parametrize("name", list(DETECTORS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=values, extra=values)
def test_appending_future_points_never_changes_earlier_scores(
    name: str, data: list[float], extra: list[float]
) -> None:
    before = small(name).score(np.array(data))
    after = small(name).score(np.array(data + extra))
    np.testing.assert_array_equal(after[: len(data)], before)


@pytest.mark.parametrize("name", list(DETECTORS))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=values)
def test_scores_lie_in_the_unit_interval(name: str, data: list[float]) -> None:
    scores = small(name).score(np.array(data))
    assert scores.shape == (len(data),)
    assert np.all((scores >= 0.0) & (scores <= 1.0))


def noisy_series(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 50.0 + 3.0 * np.sin(2 * np.pi * t / 288) + rng.normal(0.0, 1.0, n)


@pytest.mark.parametrize("name", ["robust", "isolation_forest", "windowed_gaussian", "ensemble"])
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_an_injected_spike_gets_the_top_score_and_is_flagged(name: str, seed: int) -> None:
    x = noisy_series(3000, seed)
    at = 2400
    x[at] += 25.0
    detector = make_detector(name)
    scores = detector.score(x)
    # rolling features hold the spike for a window: the forest may peak a little later
    reaction = slice(at, at + 31)
    assert at <= int(np.argmax(scores[1000:])) + 1000 < reaction.stop
    assert scores[reaction].max() >= detector.threshold
    # and it stays a rare event: almost every normal point is below the threshold
    normal = np.delete(scores[1000:], np.arange(at, at + 31) - 1000)
    assert np.mean(normal >= detector.threshold) < 0.01


def test_half_space_trees_scores_a_spike_above_normal_points() -> None:
    x = noisy_series(3000, 4)
    x[2400] += 60.0
    scores = make_detector("half_space_trees").score(x)
    # a weak detector on one feature (see docs/benchmarks.md), but it does rank the spike high
    assert scores[2400] > np.quantile(scores[1000:], 0.9)


def test_windowed_gaussian_matches_the_point_by_point_reference() -> None:
    """NAB's loop: score against the window before, slide by ``step`` once it is full."""

    def reference(data: np.ndarray, size: int, step: int) -> list[float]:
        window: list[float] = []
        buffer: list[float] = []
        mean, std, out = 0.0, 1.0, []
        for value in data.tolist():
            tail = 0.5 * math.erfc(abs(value - mean) / std / math.sqrt(2))
            out.append(1.0 - tail if window else 0.0)
            if len(window) < size:
                window.append(value)
            else:
                buffer.append(value)
                if len(buffer) < step:
                    continue
                window, buffer = window[step:] + buffer, []
            mean, std = float(np.mean(window)), float(np.std(window)) or 1e-6
        return out

    x = np.random.default_rng(5).normal(5, 2, 900).cumsum()
    ours = WindowedGaussianDetector(window_size=200, step=30).score(x)
    np.testing.assert_allclose(ours, reference(x, 200, 30), atol=1e-9)


def test_isolation_forest_reports_zero_while_it_learns() -> None:
    x = noisy_series(1000, 6)
    detector = IsolationForestDetector(train_size=500)
    assert np.all(detector.score(x)[:500] == 0.0)
    assert np.all(detector.score(x[:400]) == 0.0)


@pytest.mark.parametrize(
    "detector",
    [
        RobustDetector(window=50, long=100),
        IsolationForestDetector(window=10, long=100).fit(noisy_series(600, 7)),
        HalfSpaceTreesDetector(trees=3, height=4, window_size=20),
    ],
    ids=lambda d: d.name,
)
def test_a_stream_of_small_batches_gets_the_scores_of_one_batch(detector: Detector) -> None:
    x = noisy_series(700, 8)
    x[[100, 420]] += 30.0
    whole = StreamScorer(detector).update(x)
    if detector.name == "half_space_trees":
        detector.fit(np.empty(0))  # start its online state afresh for the stream
    stream = StreamScorer(detector)
    cuts = [0, 1, 2, 50, 51, 300, 333, 600, 700]
    parts = [stream.update(x[a:b]) for a, b in itertools.pairwise(cuts)]
    np.testing.assert_allclose(np.concatenate(parts), whole, rtol=1e-9, atol=1e-12)


def test_unknown_detector_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="robust"):
        make_detector("prophet")


def test_per_event_robust_scores_match_the_batch_scores() -> None:
    x = noisy_series(1500, 9) * 1e6  # a large level with small variations keeps its precision
    x[[300, 900]] += 30e6
    x[1000:1100] = x[999]  # a flat stretch
    detector = RobustDetector(window=200, long=300)
    events = RobustEvents(detector)
    live = np.array([events.update(value) for value in x.tolist()])
    np.testing.assert_array_equal(live, detector.score(x))
