"""Stream messages and stored rows as observations a rule can judge."""

from __future__ import annotations

import math
from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st

from opscast.alerting.observations import (
    BREACH_HISTORY,
    Settled,
    from_drift_report,
    from_forecast_breach,
    from_predictions,
    from_retrain_job,
    interval_half_width,
)


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
    # a series check decided by the mean's change: its verdict counts, not the test's share
    series = from_drift_report(9, "series", "Software (quarterly)", True, 0.0, at)
    assert (series.value, series.cleared) == (1.0, False)
    assert "series check: drift detected" in series.summary
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


@given(
    st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=1, max_size=200),
    st.floats(0.5, 0.99),
)
def test_the_interval_covers_a_level_share_of_the_errors_it_was_calibrated_on(
    errors: list[float], level: float
) -> None:
    half = interval_half_width(errors, level)
    assert half in errors
    covered = sum(error <= half for error in errors)
    # split conformal: at least ceil((n + 1) * level) of n past errors, capped at n
    assert covered >= min(len(errors), math.ceil((len(errors) + 1) * level))
    assert interval_half_width(errors, min(0.999, level + 0.05)) >= half


def test_a_forecast_breach_needs_history_and_measures_the_error_in_half_widths() -> None:
    at = datetime(2024, 3, 2)
    newest = Settled(datetime(2024, 3, 1), predicted=40.0, actual=52.0, abs_error=12.0)
    assert from_forecast_breach("t", "s", newest, [4.0] * (BREACH_HISTORY - 1), at) is None
    breach = from_forecast_breach("t", "s", newest, [1.0, 2.0, 4.0] * BREACH_HISTORY, at)
    assert breach is not None
    assert breach.value == 3.0
    assert breach.labels == {"task": "t", "series": "s"}
    assert "outside the forecast's 95% interval [36, 44]" in breach.summary
    inside = Settled(datetime(2024, 3, 1), predicted=40.0, actual=42.0, abs_error=2.0)
    calm = from_forecast_breach("t", "s", inside, [1.0, 2.0, 4.0] * BREACH_HISTORY, at)
    assert calm is not None
    assert calm.value == 0.5
    assert "inside" in calm.summary
