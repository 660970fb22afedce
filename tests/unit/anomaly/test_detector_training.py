"""Label-free judging of retrained detectors: alerts on normal points, misses of injected spikes."""

from __future__ import annotations

import numpy as np

from opscast.anomaly.training import (
    REACTION,
    SPIKES,
    Holdout,
    TrainedDetectors,
    evaluate,
    fit_detectors,
    holdouts_of,
    spiked,
)


def fleet(seed: int) -> dict[str, list[float]]:
    rng = np.random.default_rng(seed)
    t = np.arange(3000)
    return {
        f"h{host}:{metric}": (level + 5 * np.sin(t / 150) + rng.normal(0, 1, len(t))).tolist()
        for host in range(3)
        for metric, level in (("cpu_pct", 40.0), ("latency_ms", 120.0))
    }


def test_the_holdout_is_the_newest_points_and_holds_room_for_every_spike() -> None:
    holdout = Holdout.split("cpu_pct", list(range(1000)))
    assert holdout.train[-1] + 1 == holdout.test[0]
    assert len(holdout.test) >= SPIKES * REACTION
    spikes, positions = spiked(holdout.test, holdout.train)
    assert len(positions) == SPIKES
    assert np.all(np.diff(positions) >= REACTION)
    assert np.all(spikes[positions] > holdout.test[positions])


def test_a_fitted_forest_is_judged_on_alerts_and_misses() -> None:
    holdouts = holdouts_of(fleet(1))
    model = fit_detectors("isolation_forest", holdouts)
    assert set(model.by_metric) == {"cpu_pct", "latency_ms"}
    assert model.for_metric("cpu_pct") is not model.by_metric["cpu_pct"]
    scores = evaluate(model, holdouts)
    assert 0.0 <= scores["alert_rate"] < 0.05
    assert scores["missed_rate"] < 1.0
    # better than a detector that never alerts, whose error is exactly 1
    assert scores["detector_error"] < 1.0
    assert scores["detector_error"] == scores["alert_rate"] + scores["missed_rate"]


def test_a_detector_that_never_alerts_misses_every_spike() -> None:
    holdouts = holdouts_of(fleet(2))
    model = fit_detectors("isolation_forest", holdouts)
    for detector in model.by_metric.values():
        detector.threshold = 2.0  # scores lie in [0, 1]: nothing is ever flagged
    scores = evaluate(model, holdouts)
    assert scores["alert_rate"] == 0.0
    assert scores["missed_rate"] == 1.0


def test_a_metric_unseen_in_training_gets_a_detector_that_learns() -> None:
    model = TrainedDetectors("isolation_forest")
    assert not model.for_metric("queue_depth").fitted  # type: ignore[attr-defined]
