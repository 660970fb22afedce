"""What the sources say, as observations a rule can judge.

An observation is one identity's condition at one time: its labels (host and metric,
a drift subject, a retraining task), a value the rule compares with its threshold,
the evidence fields the severity policy reads, and the sentence and action an engineer
reads. ``cleared`` says the source looked and found the condition gone (the alert may
resolve); ``eligible`` is False when the source's own quality check failed (a
time-to-failure estimate that is not confident), which counts as not active.

Sources: the stream's ``anomaly_predictions`` messages (anomaly scores of new points
and time-to-failure estimates, with the series whose estimate cleared), stored drift
reports, finished retraining jobs, and the settled shadow scores of champion and
challenger (the serving model's live error against the challenger's, and each series'
newest actual against the serving model's forecast interval).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from opscast.anomaly.time_to_failure import confident
from opscast.forecasting.conformal import conformal_quantile
from opscast.schema_types import naive_utc


@dataclass(frozen=True, slots=True)
class Observation:
    kind: str
    labels: dict[str, str]
    at: datetime
    value: float = math.nan
    cleared: bool = False
    eligible: bool = True
    summary: str = ""
    action: str = ""
    evidence: dict[str, float] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


def from_predictions(message: Mapping[str, Any]) -> list[Observation]:
    """Observations of one ``anomaly_predictions`` message, oldest evidence first."""
    return [*_anomaly_scores(message), *_failures(message)]


def _anomaly_scores(message: Mapping[str, Any]) -> Iterator[Observation]:
    """Per series, the highest score among its new points, at its newest point's time."""
    worst: dict[tuple[str, str], Mapping[str, Any]] = {}
    newest: dict[tuple[str, str], datetime] = {}
    for point in message.get("predictions", []):
        key = (str(point["host"]), str(point["metric"]))
        at = naive_utc(point["timestamp"])
        newest[key] = max(at, newest.get(key, at))
        if key not in worst or point["anomaly_score"] > worst[key]["anomaly_score"]:
            worst[key] = point
    for (host, metric), point in worst.items():
        score = float(point["anomaly_score"])
        yield Observation(
            kind="anomaly_score",
            labels={"host": host, "metric": metric},
            at=newest[(host, metric)],
            value=score,
            summary=f"{host} {metric} is anomalous (score {score:.3f}, value {point['value']:g})",
            evidence={"score": score},
            details={
                "timestamp": point["timestamp"],
                "value": point["value"],
                "explanation": point.get("explanation"),
            },
        )


def _failures(message: Mapping[str, Any]) -> Iterator[Observation]:
    for estimate in message.get("time_to_failure", []):
        latest = estimate.get("latest_hours")
        late = math.inf if latest is None else float(latest)
        early = float(estimate["earliest_hours"])
        sure = bool(
            confident(np.array([early]), np.array([late]), np.array([estimate["rate_per_hour"]]))[0]
        )
        labels = {"host": str(estimate["host"]), "metric": str(estimate["metric"])}
        yield Observation(
            kind="time_to_failure",
            labels=labels,
            at=naive_utc(estimate["as_of"]),
            value=float(estimate["eta_hours"]),
            eligible=sure,
            summary=str(estimate["sentence"]),
            action=str(estimate["action"]),
            evidence={
                "eta_hours": float(estimate["eta_hours"]),
                "confidence": 1.0 if late == 0 else (early / late if math.isfinite(late) else 0.0),
            },
            details={
                key: estimate.get(key)
                for key in ("level", "limit", "rate_per_hour", "failure_at", "earliest_hours")
            }
            | {"latest_hours": latest},
        )
    for cleared in message.get("time_to_failure_cleared", []):
        yield Observation(
            kind="time_to_failure",
            labels={"host": str(cleared["host"]), "metric": str(cleared["metric"])},
            at=naive_utc(cleared["as_of"]),
            cleared=True,
        )


def from_drift_report(
    report_id: int, kind: str, subject: str, drifted: bool, share: float | None, at: datetime
) -> Observation:
    """The share of columns drifted for a data check (its verdict is that share against a
    bound); for a series or concept check, whose verdict another method decides (the
    mean's change, the model's error), the verdict itself as 1 or 0."""
    by_share = kind == "data" and share is not None
    value = share if by_share and share is not None else (1.0 if drifted else 0.0)
    what = (
        f"{value:.0%} of columns drifted"
        if by_share
        else f"{kind} check: {'drift detected' if drifted else 'no drift'}"
    )
    return Observation(
        kind="drift",
        labels={"subject": subject, "check": kind},
        at=at,
        value=value,
        cleared=not drifted,
        summary=f"{subject}: {what} (drift report {report_id})",
        evidence={"share_drifted": value},
        details={"report_id": report_id},
    )


def from_retrain_job(
    job_id: int,
    task: str | None,
    status: str,
    result: Mapping[str, Any] | None,
    error: str | None,
    at: datetime,
) -> list[Observation]:
    """A failed job is one observation; a finished one clears failures and reports promotions."""
    target = task or "all"
    if status == "failed":
        return [
            Observation(
                kind="retrain_failed",
                labels={"task": target},
                at=at,
                value=1.0,
                summary=f"retraining {target} failed (job {job_id}): {(error or '').strip()[:300]}",
                evidence={"score": 1.0},
                details={"job_id": job_id},
            )
        ]
    found = [Observation(kind="retrain_failed", labels={"task": target}, at=at, cleared=True)]
    for row in (result or {}).get("tasks", []):
        promoted = bool(row.get("promoted"))
        found.append(
            Observation(
                kind="model_promoted",
                labels={"task": str(row.get("task"))},
                at=at,
                value=1.0 if promoted else 0.0,
                cleared=not promoted,
                summary=(
                    f"{row.get('task')}: {row.get('model')} version {row.get('version')} "
                    f"became champion (job {job_id})"
                ),
                details={"job_id": job_id, "reason": row.get("reason")},
            )
        )
    return found


def from_shadow_errors(
    task: str, errors: list[tuple[str, float]], at: datetime
) -> Observation | None:
    """The serving model's live MAE as a multiple of the challenger's, on the same periods.

    None until both have settled scores; a challenger with no error counts as a tiny one.
    """
    by_alias: dict[str, list[float]] = {}
    for alias, error in errors:
        by_alias.setdefault(alias, []).append(error)
    champion, challenger = by_alias.get("champion"), by_alias.get("challenger")
    if not champion or not challenger:
        return None
    served, other = float(np.mean(champion)), float(np.mean(challenger))
    ratio = served / max(other, 1e-9)
    return Observation(
        kind="model_error",
        labels={"task": task},
        at=at,
        value=ratio,
        summary=(
            f"{task}: the serving model's live MAE {served:.3g} is {ratio:.2f}x the "
            f"challenger's ({other:.3g}) over {len(champion)} settled periods"
        ),
        evidence={"ratio": ratio, "mae": served},
        details={"champion_mae": served, "challenger_mae": other, "periods": len(champion)},
    )


BREACH_LEVEL = 0.95
"""Coverage of the forecast interval a settled actual is judged against."""
BREACH_HISTORY = 20
"""Earlier settled errors a series needs before its interval is trusted."""


@dataclass(frozen=True, slots=True)
class Settled:
    """One period the serving model forecast and that has since been observed in full."""

    period_start: datetime
    predicted: float
    actual: float
    abs_error: float


def interval_half_width(errors: list[float], level: float = BREACH_LEVEL) -> float:
    """Split-conformal half-width: the ``ceil((n + 1) * level)``-th smallest past error.

    The serving model's own live absolute errors on the series calibrate the interval,
    so it covers a new period's actual with probability ``level`` while the errors
    stay exchangeable; more often outside means the series changed under the model.
    """
    return conformal_quantile(np.asarray(errors, dtype=np.float64), level * 100)


def from_forecast_breach(
    task: str, series: str, newest: Settled, earlier: list[float], at: datetime
) -> Observation | None:
    """How far the newest actual lies from the forecast, in interval half-widths.

    The value is at least 1 exactly when the actual is outside the interval; None while
    the series has fewer than ``BREACH_HISTORY`` earlier settled periods.
    """
    if len(earlier) < BREACH_HISTORY:
        return None
    half = max(interval_half_width(earlier), 1e-9)
    ratio = newest.abs_error / half
    low, high = newest.predicted - half, newest.predicted + half
    period = newest.period_start.date().isoformat()
    return Observation(
        kind="forecast_breach",
        labels={"task": task, "series": series},
        at=at,
        value=ratio,
        summary=(
            f"{task} {series}: the actual {newest.actual:g} of the period from {period} is "
            f"{'outside' if ratio >= 1 else 'inside'} the forecast's {BREACH_LEVEL:.0%} interval "
            f"[{low:.3g}, {high:.3g}] (forecast {newest.predicted:.3g})"
        ),
        evidence={"ratio": ratio},
        details={
            "period_start": newest.period_start.isoformat(),
            "predicted": newest.predicted,
            "actual": newest.actual,
            "interval": [low, high],
            "level": BREACH_LEVEL,
            "calibrated_on": len(earlier),
        },
    )
