"""Refitting the detectors that learn on a fleet's recent points, and judging them without labels.

A retrained detector must not replace the serving one if it is worse, but stored
metrics carry no labels: nobody marks which points were incidents. The evaluation
therefore asks the two things a detector is for, on the newest points of each series
(the *holdout*, which neither detector was fitted on):

- ``alert_rate``: the share of holdout points scored at or above the detector's own
  threshold. Recent points of a fleet are overwhelmingly normal, so each alert is
  most likely a false one that an operator would have to look at.
- ``missed_rate``: the share of spikes injected into a copy of the holdout (a few
  single points, ``SPIKE_SCALES`` robust standard deviations away, far apart) that
  are not flagged within ``REACTION`` points. A detector that never alerts would win
  on the alert rate alone; this keeps it honest.

``detector_error`` is their sum, the number the guard compares first (lower is
better, like a forecaster's error); the champion is scored on the same holdout with
the same spikes. Labels, where a team has them (tickets linked to series), would be a
better judge; this is the judge that needs none.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from opscast.anomaly.detectors import Detector, make_detector
from opscast.anomaly.features import FloatArray, as_values

RETRAINABLE = ("isolation_forest",)
"""Detectors whose behaviour is fitted on history (the robust family only keeps windows)."""
METRICS = ("detector_error", "alert_rate", "missed_rate")
PREFERENCE = METRICS
HOLDOUT_SHARE = 0.2
SPIKES = 5
SPIKE_SCALES = 8.0
REACTION = 30


@dataclass
class TrainedDetectors:
    """Fitted detectors per metric: what a registry version of a detector task holds."""

    detector: str
    by_metric: dict[str, Detector] = field(default_factory=dict)

    def for_metric(self, metric: str) -> Detector:
        """A copy of the metric's fitted detector (stateful scorers must not share one);
        a metric not seen in training gets a fresh detector that learns as it goes."""
        fitted = self.by_metric.get(metric)
        return copy.deepcopy(fitted) if fitted is not None else make_detector(self.detector)


@dataclass(frozen=True, slots=True)
class Holdout:
    """One series split in time: what detectors may learn from, and what judges them."""

    metric: str
    train: FloatArray
    test: FloatArray

    @classmethod
    def split(cls, metric: str, values: Sequence[float], share: float = HOLDOUT_SHARE) -> Holdout:
        x = as_values(np.asarray(values, dtype=np.float64))
        cut = len(x) - max(SPIKES * REACTION, int(len(x) * share))
        return cls(metric, x[: max(cut, 0)], x[max(cut, 0) :])


def fit_detectors(name: str, holdouts: Sequence[Holdout]) -> TrainedDetectors:
    """One detector per metric, fitted on the training part of all its series."""
    by_metric: dict[str, list[FloatArray]] = {}
    for holdout in holdouts:
        if len(holdout.train):
            by_metric.setdefault(holdout.metric, []).append(holdout.train)
    trained = TrainedDetectors(name)
    for metric, histories in sorted(by_metric.items()):
        detector = make_detector(name)
        fit_many = getattr(detector, "fit_many", None)
        trained.by_metric[metric] = (
            fit_many(histories) if fit_many is not None else detector.fit(histories[0])
        )
    return trained


def spiked(test: FloatArray, train: FloatArray) -> tuple[FloatArray, list[int]]:
    """``test`` with ``SPIKES`` single-point spikes, evenly spaced, and where they are."""
    reference = train if len(train) > 1 else test
    median = float(np.median(reference))
    scale = 1.4826 * float(np.median(np.abs(reference - median)))
    scale = scale or float(np.std(reference)) or 1e-3 * abs(median) + 1.0
    gap = len(test) // SPIKES
    positions = [gap * index + gap // 2 for index in range(SPIKES)] if gap >= REACTION else []
    out = test.copy()
    out[positions] += SPIKE_SCALES * scale
    return out, positions


def evaluate(model: TrainedDetectors, holdouts: Sequence[Holdout]) -> dict[str, float]:
    """``alert_rate``, ``missed_rate`` and their sum ``detector_error`` on the holdouts."""
    alerts = points = missed = spikes = 0
    for holdout in holdouts:
        if not len(holdout.test):
            continue
        detector = model.for_metric(holdout.metric)
        clean = detector.score(np.concatenate((holdout.train, holdout.test)))
        alerts += int(np.sum(clean[len(holdout.train) :] >= detector.threshold))
        points += len(holdout.test)
        with_spikes, positions = spiked(holdout.test, holdout.train)
        detector = model.for_metric(holdout.metric)
        scores = detector.score(np.concatenate((holdout.train, with_spikes)))[len(holdout.train) :]
        for at in positions:
            spikes += 1
            missed += int(scores[at : at + REACTION].max() < detector.threshold)
    alert_rate = alerts / points if points else float("nan")
    missed_rate = missed / spikes if spikes else float("nan")
    return {
        "detector_error": alert_rate + missed_rate,
        "alert_rate": alert_rate,
        "missed_rate": missed_rate,
    }


def holdouts_of(series: Mapping[str, Sequence[float]]) -> list[Holdout]:
    """Holdouts of ``host:metric`` series, in name order."""
    return [Holdout.split(uid.partition(":")[2], values) for uid, values in sorted(series.items())]
