"""The optional LSTM autoencoder detector: flags what it cannot rebuild, learns once."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import require_extra
from opscast.anomaly.detectors import make_detector
from opscast.anomaly.lstm_autoencoder import LSTMAutoencoderDetector


@pytest.fixture(autouse=True)
def _torch() -> None:
    require_extra("torch", "neural")


def daily(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 50.0 + 10.0 * np.sin(2 * np.pi * t / 288) + rng.normal(0.0, 1.0, n)


@pytest.mark.parametrize("seed", [1, 2])
def test_a_spike_it_cannot_rebuild_is_flagged_and_normal_points_are_not(seed: int) -> None:
    x = daily(3000, seed)
    at = 2400
    x[at] += 30.0
    detector = make_detector("lstm_autoencoder")
    scores = detector.score(x)
    assert np.all(scores[: detector.train_size] == 0.0)  # the points it learned from
    window = 32
    assert scores[at : at + window].max() >= detector.threshold
    normal = np.delete(scores[1000:], np.arange(at, at + window) - 1000)
    assert np.mean(normal >= detector.threshold) < 0.01


def test_a_fitted_detector_scores_from_the_first_point_and_keeps_its_model() -> None:
    history, x = daily(2000, 3), daily(600, 4)
    detector = LSTMAutoencoderDetector(epochs=5).fit(history)
    first = detector.score(x)
    assert first[:50].any()  # no probation once fitted
    np.testing.assert_array_equal(detector.score(x), first)
    np.testing.assert_array_equal(detector.score(x[:300]), first[:300])
