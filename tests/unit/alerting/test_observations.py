"""Stream messages and stored rows as observations a rule can judge."""

from __future__ import annotations

from datetime import datetime

from opscast.alerting.observations import from_drift_report, from_predictions, from_retrain_job


def estimate(earliest: float, latest: float | None, rate: float) -> dict[str, object]:
    return {
        "host": "db-01",
        "metric": "connections",
        "as_of": "2024-03-01T10:00:00",
        "level": 150.0,
        "limit": 200.0,
        "rate_per_hour": rate,
        "failure_at": "2024-03-01T12:00:00",
        "eta_hours": earliest * 1.2,
        "earliest_hours": earliest,
        "latest_hours": latest,
        "sentence": "db-01 connection pool likely exhausted in about 2 h (2 h to 3 h)",
        "action": "Look for leaked connections.",
    }


def test_a_predictions_message_gives_scores_estimates_and_clearings() -> None:
    message = {
        "predictions": [
            {
                "host": "web-01",
                "metric": "cpu_pct",
                "timestamp": "2024-03-01T10:00:00+00:00",
                "value": 91.0,
                "anomaly_score": 0.7,
                "explanation": None,
            },
            {
                "host": "web-01",
                "metric": "cpu_pct",
                "timestamp": "2024-03-01T10:01:00+01:00",
                "value": 50.0,
                "anomaly_score": 0.1,
                "explanation": None,
            },
        ],
        "time_to_failure": [estimate(2.0, 3.0, 40.0), estimate(2.0, None, 40.0)],
        "time_to_failure_cleared": [
            {"host": "db-02", "metric": "disk_pct", "as_of": "2024-03-01T10:00:00"}
        ],
    }
    score, sure, open_ended, cleared = from_predictions(message)
    assert score.value == 0.7  # the worst point of the batch
    assert score.at == datetime(2024, 3, 1, 10, 0)  # the newest, in naive UTC (09:01 UTC is older)
    assert score.details["value"] == 91.0
    assert (sure.eligible, open_ended.eligible) == (True, False)
    assert sure.evidence["confidence"] == 2.0 / 3.0
    assert sure.summary.startswith("db-01 connection pool likely exhausted")
    assert cleared.cleared
    assert cleared.labels == {"host": "db-02", "metric": "disk_pct"}


def test_drift_and_retraining_observations() -> None:
    at = datetime(2024, 3, 1)
    drift = from_drift_report(7, "data", "traffic/1m", True, 0.6, at)
    assert (drift.value, drift.cleared, drift.labels["subject"]) == (0.6, False, "traffic/1m")
    assert from_drift_report(8, "data", "traffic/1m", False, 0.0, at).cleared
    [failed] = from_retrain_job(3, "traffic", "failed", None, "out of memory", at)
    assert failed.kind == "retrain_failed"
    assert "out of memory" in failed.summary
    cleared, promoted, refused = from_retrain_job(
        4,
        "traffic",
        "succeeded",
        {
            "tasks": [
                {"task": "traffic/1m", "promoted": True},
                {"task": "traffic/5m", "promoted": False},
            ]
        },
        None,
        at,
    )
    assert (cleared.kind, cleared.cleared) == ("retrain_failed", True)
    assert (promoted.kind, promoted.cleared, refused.cleared) == ("model_promoted", False, True)
