"""Contract of POST /detect_drift and the stored drift reports, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from opscast.registry import ModelStore
from opscast.simulate import simulate_incidents

RATE = 20.0
HISTORY_DAYS = 364  # 52 whole weeks starting on a Monday
START = "2024-01-01"


def store_incidents(client: TestClient, category: str = "Software", seed: int = 1) -> None:
    """A year of daily counts at a steady rate, stored as an incident category."""
    rng = np.random.default_rng(seed)
    days = pd.date_range(START, periods=HISTORY_DAYS, freq="D")
    points = [
        {"unique_id": category, "ds": day.isoformat(), "y": float(count)}
        for day, count in zip(days, rng.poisson(RATE, HISTORY_DAYS), strict=True)
    ]
    response = client.post("/series/points", json={"kind": "incidents", "points": points})
    assert response.status_code == 201, response.text


def weekly_sample(weeks: int, rate: float, seed: int) -> list[dict[str, Any]]:
    """Weekly totals for the weeks right after the stored history."""
    rng = np.random.default_rng(seed)
    first = pd.Timestamp(START) + pd.Timedelta(days=HISTORY_DAYS)
    return [
        {"ds": (first + pd.Timedelta(weeks=week)).date().isoformat(), "y": float(total)}
        for week, total in enumerate(rng.poisson(rate * 7, weeks))
    ]


def reports(client: TestClient) -> int:
    total: int = client.get("/drift/reports").json()["total"]
    return total


def test_a_shift_drifts_and_a_steady_sample_does_not(client: TestClient) -> None:
    store_incidents(client)
    shifted = client.post(
        "/detect_drift",
        json={
            "category": "Software",
            "granularity": "weekly",
            "new_data": weekly_sample(8, RATE * 1.5, 2),
        },
    )
    assert shifted.status_code == 200, shifted.text
    body = shifted.json()
    assert body["drift_detected"] is True
    assert body["message"] == "Data drift detected. Consider retraining models."
    assert body["reference_periods"] == 52
    assert body["new_periods"] == 8
    assert body["mean_change"]["relative_change"] > 0.1
    assert body["statistical_test"]["test"] == "ks"
    assert body["statistical_test"]["drifted"] is True

    steady = client.post(
        "/detect_drift",
        json={
            "category": "Software",
            "granularity": "weekly",
            "new_data": weekly_sample(8, RATE, 3),
        },
    )
    assert steady.status_code == 200
    assert steady.json()["drift_detected"] is False
    assert steady.json()["message"] == "No significant data drift detected."
    assert reports(client) == 2


def test_threshold_factor_decides_the_mean_rule(client: TestClient) -> None:
    store_incidents(client)
    sample = weekly_sample(8, RATE * 1.15, 4)
    loose = {
        "category": "Software",
        "granularity": "weekly",
        "new_data": sample,
        "threshold_factor": 0.5,
    }
    assert client.post("/detect_drift", json=loose).json()["drift_detected"] is False
    tight = {**loose, "threshold_factor": 0.01}
    assert client.post("/detect_drift", json=tight).json()["drift_detected"] is True


def test_seed_example_shape_on_the_demo_categories(client: TestClient) -> None:
    """The documented quarterly request against simulated incident history."""
    history = simulate_incidents(start="2021-01-01", days=3 * 365, seed=7)
    hardware = history[history["unique_id"] == "Hardware"]
    points = [
        {"unique_id": "Hardware", "ds": ds.isoformat(), "y": float(y)}
        for ds, y in zip(hardware["ds"], hardware["y"], strict=True)
    ]
    client.post("/series/points", json={"kind": "incidents", "points": points})
    quarterly = hardware.set_index("ds")["y"].resample("QS").sum()
    usual = float(quarterly.iloc[-4:].mean())
    request = {
        "category": "Hardware",
        "granularity": "quarterly",
        "new_data": [{"ds": "2024-01-01", "y": usual * 3}, {"ds": "2024-04-01", "y": usual * 3}],
        "threshold_factor": 0.1,
    }
    body = client.post("/detect_drift", json=request).json()
    assert body["drift_detected"] is True
    assert body["reference_periods"] == 12
    assert set(body) >= {"drift_detected", "message", "report_id", "report_url"}


def test_methods_choose_what_decides(client: TestClient) -> None:
    store_incidents(client)
    # Same mean, far wider spread: the mean rule sees nothing, the KS test does.
    rng = np.random.default_rng(5)
    first = pd.Timestamp(START) + pd.Timedelta(days=HISTORY_DAYS)
    wide = [
        {"ds": (first + pd.Timedelta(weeks=w)).date().isoformat(), "y": RATE * 7 + spread}
        for w, spread in enumerate(np.tile([-60.0, 60.0], 10) + rng.normal(0, 1, 20))
    ]
    base = {"category": "Software", "granularity": "weekly", "new_data": wide}
    mean_only = client.post("/detect_drift", json=base).json()
    assert mean_only["drift_detected"] is False
    assert mean_only["method"] == "mean_change"
    assert mean_only["statistical_test"]["drifted"] is True
    page = client.get(mean_only["report_url"]).text
    assert "No significant drift (see the rule below)" in page
    assert client.post("/detect_drift", json={**base, "method": "statistical"}).json()[
        "drift_detected"
    ]
    assert client.post("/detect_drift", json={**base, "method": "any"}).json()["drift_detected"]


def test_counts_checks_in_prometheus(client: TestClient) -> None:
    store_incidents(client)

    def drift_count() -> float:
        for line in client.get("/metrics").text.splitlines():
            if line.startswith('opscast_drift_checks_total{result="drift",task="incidents"}'):
                return float(line.split()[-1])
        return 0.0

    before = drift_count()
    client.post(
        "/detect_drift",
        json={
            "category": "Software",
            "granularity": "weekly",
            "new_data": weekly_sample(4, RATE * 2, 6),
        },
    )
    assert drift_count() == before + 1


def test_unknown_category_is_404_and_writes_nothing(client: TestClient) -> None:
    store_incidents(client)
    response = client.post(
        "/detect_drift",
        json={"category": "Ghost", "granularity": "weekly", "new_data": weekly_sample(2, RATE, 1)},
    )
    assert response.status_code == 404
    assert "Ghost" in response.json()["message"]
    assert reports(client) == 0


def test_a_series_of_another_kind_is_not_an_incident_category(client: TestClient) -> None:
    client.post(
        "/series/points",
        json={
            "kind": "traffic",
            "points": [{"unique_id": "web", "ds": "2024-01-01T00:00:00", "y": 1}],
        },
    )
    response = client.post(
        "/detect_drift",
        json={
            "category": "web",
            "granularity": "daily",
            "new_data": [{"ds": "2024-02-01", "y": 1}],
        },
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"granularity": "hourly"}, "granularity"),
        ({"new_data": []}, "new_data"),
        ({"new_data": [{"ds": "soon", "y": 1}]}, "new_data.0.ds"),
        ({"new_data": [{"ds": "2025-01-06", "y": "many"}]}, "new_data.0.y"),
        ({"threshold_factor": -0.1}, "threshold_factor"),
        ({"method": "vibes"}, "method"),
        ({"category": "no/slash"}, "category"),
        ({"extra": 1}, "extra"),
        (
            {"new_data": [{"ds": "2025-01-06", "y": 1}, {"ds": "2025-01-06", "y": 2}]},
            "new_data.1.ds",
        ),
        ({"new_data": [{"ds": "2024-01-08", "y": 1}]}, "new_data"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_writes_nothing(
    client: TestClient, change: dict[str, Any], field: str
) -> None:
    store_incidents(client)
    body = {"category": "Software", "granularity": "weekly", "new_data": weekly_sample(2, RATE, 1)}
    response = client.post("/detect_drift", json={**body, **change})
    assert response.status_code == 422, response.text
    named = {
        ".".join(str(part) for part in error["loc"][1:]) for error in response.json()["detail"]
    }
    assert field in named
    assert reports(client) == 0


def test_reports_are_listed_newest_first_and_paginated(client: TestClient) -> None:
    store_incidents(client)
    ids = []
    for seed in range(3):
        response = client.post(
            "/detect_drift",
            json={
                "category": "Software",
                "granularity": "weekly",
                "new_data": weekly_sample(3, RATE, seed),
            },
        )
        ids.append(response.json()["report_id"])
    page = client.get("/drift/reports", params={"limit": 2}).json()
    assert page["total"] == 3
    assert [item["id"] for item in page["items"]] == ids[::-1][:2]
    rest = client.get("/drift/reports", params={"limit": 2, "offset": 2}).json()
    assert [item["id"] for item in rest["items"]] == ids[:1]
    assert client.get("/drift/reports", params={"kind": "data"}).json()["total"] == 0

    detail = client.get(f"/drift/reports/{ids[0]}").json()
    assert detail["kind"] == "series"
    assert detail["summary"]["columns"]["y"]["test"] == "ks"
    assert detail["summary"]["mean_change"]["threshold"] == 0.1

    page_html = client.get(detail["html_url"])
    assert page_html.status_code == 200
    assert page_html.headers["content-type"].startswith("text/html")
    assert "/drift/assets/plotly.min.js" in page_html.text
    script = client.get("/drift/assets/plotly.min.js")
    assert script.status_code == 200
    assert "plotly" in script.text[:200].lower()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/drift/reports/999", 404),
        ("/drift/reports/999/html", 404),
        ("/drift/reports/abc", 422),
        ("/drift/reports?limit=0", 422),
        ("/drift/reports?offset=-1", 422),
        ("/drift/reports?kind=weekly", 422),
    ],
)
def test_bad_report_reads(client: TestClient, path: str, status: int) -> None:
    response = client.get(path)
    assert response.status_code == status
    assert response.json()["message"]


def concept_body(**change: Any) -> dict[str, Any]:
    rng = np.random.default_rng(9)
    actual = rng.uniform(90, 110, 300)
    predicted = np.r_[actual[:150] * 1.05, actual[150:] * 1.4]
    return {
        "task": "demand",
        "actual": actual.tolist(),
        "predicted": predicted.tolist(),
        "baseline": 5.0,
        **change,
    }


def test_concept_drift_flags_a_model_that_got_worse(client: TestClient) -> None:
    response = client.post("/drift/concept", json=concept_body())
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["concept_drift"] is True
    assert body["performance"]["metric"] == "mape"
    assert body["performance"]["current"] > 5.0 * 1.2
    assert body["change_points"]
    assert 150 <= body["change_points"][0] < 250
    page = client.get(body["report_url"])
    assert "Concept drift detected" in page.text
    listed = client.get("/drift/reports", params={"kind": "concept"}).json()
    assert [item["subject"] for item in listed["items"]] == ["demand"]

    tolerant = client.post("/drift/concept", json=concept_body(tolerance=10.0)).json()
    assert tolerant["concept_drift"] is False
    assert tolerant["message"] == "No significant concept drift detected."


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"predicted": [1.0, 2.0]}, "predicted"),
        ({"baseline": -1}, "baseline"),
        ({"metric": "r2"}, "metric"),
        ({"detector": "cusum"}, "detector"),
        ({"actual": []}, "actual"),
        ({"actual": [0.0] * 300, "predicted": [1.0] * 300}, "metric"),
    ],
)
def test_bad_concept_input_writes_nothing(
    client: TestClient, change: dict[str, Any], field: str
) -> None:
    response = client.post("/drift/concept", json=concept_body(**change))
    assert response.status_code == 422, response.text
    named = {
        ".".join(str(part) for part in error["loc"][1:]) for error in response.json()["detail"]
    }
    assert field in named
    assert reports(client) == 0


def test_partly_covered_first_and_last_periods_are_left_out(client: TestClient) -> None:
    """History from a Wednesday to a Wednesday: the two broken weeks would drag the mean down."""
    days = pd.date_range("2024-01-03", "2024-03-27", freq="D")
    points = [{"unique_id": "Network", "ds": day.isoformat(), "y": 10.0} for day in days]
    client.post("/series/points", json={"kind": "incidents", "points": points})
    steady = [{"ds": "2024-04-01", "y": 70.0}, {"ds": "2024-04-08", "y": 70.0}]
    body = client.post(
        "/detect_drift", json={"category": "Network", "granularity": "weekly", "new_data": steady}
    ).json()
    assert body["reference_periods"] == 11  # 2024-01-08 to 2024-03-18
    assert body["mean_change"]["reference_mean"] == 70.0
    assert body["drift_detected"] is False


def test_concept_drift_reads_the_baseline_the_registry_stored(
    model_store_ready: Path, client: TestClient
) -> None:
    body = concept_body()
    del body["baseline"]
    missing = client.post("/drift/concept", json=body)
    assert missing.status_code == 404
    assert "send its baseline" in missing.json()["message"]
    store: ModelStore = client.app.state.services.model_store  # type: ignore[attr-defined]
    frame = pd.DataFrame({"unique_id": ["a"], "ds": [pd.Timestamp("2025-01-01")], "y": [1.0]})
    scores = {"mae": 4.0, "rmse": 5.0, "mape": 8.0, "smape": 8.0, "mase": 0.9}
    store.register("demand", {"k": 1}, data=frame, params={"model": "ets"}, metrics=scores)
    unserved = client.post("/drift/concept", json=body)
    assert unserved.status_code == 422
    store.set_alias("demand", "champion", 1)
    served = client.post("/drift/concept", json=body)
    assert served.status_code == 200, served.text
    assert served.json()["performance"]["baseline"] == 8.0
    assert served.json()["concept_drift"] is True
