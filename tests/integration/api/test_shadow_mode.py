"""Shadow mode end to end: the challenger forecasts beside the champion, errors once observed."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from opscast.forecasting.zoo import ModelSpec, single_model
from opscast.incidents.service import CategoryForecast
from opscast.incidents.shadow import ShadowScorer
from opscast.incidents.training import LevelModel, complete_periods
from opscast.registry import ModelStore
from opscast.simulate import simulate_incidents
from opscast.timeseries import Granularity

ClientFactory = Callable[..., TestClient]
CATEGORY = "Calls"
TASK = "incidents-calls-daily"
HISTORY_DAYS = 70
LATER_DAYS = 7


@pytest.fixture(scope="module")
def counts() -> pd.DataFrame:
    return simulate_incidents(
        start="2024-01-01", days=HISTORY_DAYS + LATER_DAYS, categories=[CATEGORY], seed=8
    )


def post_counts(client: TestClient, frame: pd.DataFrame) -> None:
    points = [
        {"unique_id": CATEGORY, "ds": ds.isoformat(), "y": float(y)}
        for ds, y in zip(frame["ds"], frame["y"], strict=True)
    ]
    response = client.post("/series/points", json={"kind": "incidents", "points": points})
    assert response.status_code == 201, response.text


def forecast(client: TestClient) -> dict[str, Any]:
    scorer: ShadowScorer | None = client.app.state.services.shadow  # type: ignore[attr-defined]
    if scorer is not None:
        scorer.repeat_seconds = 0.0  # shadow every request, repeats included
    response = client.post(
        "/forecast", json={"category": CATEGORY, "granularity": "daily", "future_periods": 7}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class Broken:
    """A challenger whose every forecast fails."""

    def predict_through(self, end: pd.Timestamp) -> pd.Series:
        raise RuntimeError("this challenger cannot forecast")


def add_challenger(client: TestClient, history: pd.DataFrame, model: Any = None) -> int:
    """Register a version beside the champion and give it the challenger alias."""
    store: ModelStore = client.app.state.services.model_store  # type: ignore[attr-defined]
    days = complete_periods(history[["unique_id", "ds", "y"]], Granularity.daily)
    if model is None:
        fitted = single_model("naive", ModelSpec(freq="D"))().fit(days)
        model = LevelModel(fitted, "naive", Granularity.daily, days["ds"].max())
    version = store.register(
        TASK,
        model,
        data=days,
        params={"model": "naive", "category": CATEGORY},
        metrics={"mae": 1.0, "rmse": 1.0, "mape": 1.0, "smape": 1.0, "mase": 1.0},
    ).version
    store.set_alias(TASK, "challenger", version)
    return version


def shadow_of(client: TestClient) -> dict[str, Any]:
    scorer: ShadowScorer | None = client.app.state.services.shadow  # type: ignore[attr-defined]
    if scorer is not None:
        scorer.wait()
    response = client.get(f"/models/{TASK}/shadow", params={"limit": 100})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def gauge(client: TestClient, metric: str) -> float | None:
    for line in client.get("/metrics").text.splitlines():
        labels = (f'metric="{metric}"', f'task="{TASK}"')
        if line.startswith("opscast_model_error{") and all(label in line for label in labels):
            return float(line.split()[-1])
    return None


def test_the_challenger_is_scored_beside_the_champion_and_settled_on_actuals(
    model_store_ready: Path, client_factory: ClientFactory, counts: pd.DataFrame
) -> None:
    client = client_factory(shadow=True)
    history = counts.iloc[:HISTORY_DAYS]
    post_counts(client, history)
    first = forecast(client)  # trains the champion; no challenger yet: nothing to shadow
    assert (first["task"], first["version"]) == (TASK, 1)
    assert shadow_of(client)["versions"] == []

    challenger = add_challenger(client, history)
    served = forecast(client)
    assert served["version"] == 1  # the champion still answers
    report = shadow_of(client)
    assert (report["shadow_enabled"], report["champion"], report["challenger"]) == (
        True,
        1,
        challenger,
    )
    by_version = {row["version"]: row for row in report["versions"]}
    assert by_version[1]["aliases"] == ["champion"]
    assert by_version[challenger]["aliases"] == ["challenger"]
    assert {row["scored_periods"] for row in by_version.values()} == {7}
    assert {row["settled_periods"] for row in by_version.values()} == {0}
    assert report["comparison"] == {
        "periods": 0,
        "champion_mae": None,
        "challenger_mae": None,
        "leader": None,
    }
    asked = [pd.Timestamp(point["date"]) for point in served["forecast"]]
    naive = {
        pd.Timestamp(row["period_start"]).tz_convert(None): row["predicted"]
        for row in report["recent"]
        if row["version"] == challenger
    }
    assert sorted(naive) == asked
    assert set(naive.values()) == {float(history["y"].iloc[-1])}  # naive repeats the last day

    later = counts.iloc[HISTORY_DAYS:]
    post_counts(client, later)
    assert forecast(client)["version"] == 1
    report = shadow_of(client)
    actual = dict(zip(later["ds"], later["y"].astype(float), strict=True))
    settled = [row for row in report["recent"] if row["actual"] is not None]
    assert len(settled) == 2 * LATER_DAYS
    for row in settled:
        assert row["actual"] == actual[pd.Timestamp(row["period_start"]).tz_convert(None)]
        assert row["abs_error"] == pytest.approx(abs(row["predicted"] - row["actual"]))
    by_version = {row["version"]: row for row in report["versions"]}
    for version in (1, challenger):
        errors = [row["abs_error"] for row in settled if row["version"] == version]
        assert by_version[version]["settled_periods"] == LATER_DAYS
        assert by_version[version]["scored_periods"] == 2 * LATER_DAYS  # the new week too
        assert by_version[version]["mae"] == pytest.approx(sum(errors) / LATER_DAYS)
    comparison = report["comparison"]
    assert comparison["periods"] == LATER_DAYS
    assert comparison["champion_mae"] == pytest.approx(by_version[1]["mae"])
    assert comparison["challenger_mae"] == pytest.approx(by_version[challenger]["mae"])
    better = (
        "champion" if comparison["champion_mae"] < comparison["challenger_mae"] else "challenger"
    )
    assert comparison["leader"] == better
    assert gauge(client, "shadow_mae_challenger") == pytest.approx(by_version[challenger]["mae"])
    assert gauge(client, "shadow_mae_champion") == pytest.approx(by_version[1]["mae"])


def test_a_failing_challenger_never_reaches_the_response(
    model_store_ready: Path, client_factory: ClientFactory, counts: pd.DataFrame
) -> None:
    client = client_factory(shadow=True)
    history = counts.iloc[:HISTORY_DAYS]
    post_counts(client, history)
    forecast(client)
    add_challenger(client, history, Broken())
    assert forecast(client)["version"] == 1
    assert shadow_of(client)["versions"] == []


def test_without_the_setting_nothing_is_shadowed(
    model_store_ready: Path, client_factory: ClientFactory, counts: pd.DataFrame
) -> None:
    client = client_factory()
    history = counts.iloc[:HISTORY_DAYS]
    post_counts(client, history)
    forecast(client)
    add_challenger(client, history)
    forecast(client)
    assert client.app.state.services.shadow is None  # type: ignore[attr-defined]
    report = shadow_of(client)
    assert (report["shadow_enabled"], report["versions"], report["recent"]) == (False, [], [])


def test_a_repeated_request_is_shadowed_once(
    model_store_ready: Path, client_factory: ClientFactory, counts: pd.DataFrame
) -> None:
    client = client_factory(shadow=True)
    post_counts(client, counts.iloc[:HISTORY_DAYS])
    served = forecast(client)
    scorer: ShadowScorer = client.app.state.services.shadow  # type: ignore[attr-defined]
    scorer.repeat_seconds = 60.0
    result = CategoryForecast(
        category=CATEGORY,
        granularity=Granularity.daily,
        task=TASK,
        model=served["model"],
        version=served["version"],
        dates=[date.fromisoformat(point["date"]) for point in served["forecast"]],
        values=[point["predicted_value"] for point in served["forecast"]],
    )
    # the request just served was queued; the same answer again has nothing new to score
    assert scorer.observe(result) is False
    later = dataclasses.replace(result, dates=result.dates[1:], values=result.values[1:])
    assert scorer.observe(later) is True
    assert scorer.observe(later) is False
    scorer.wait()


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/models/no-such-task/shadow", 404),
        ("/models/bad%20name/shadow", 422),
        (f"/models/{TASK}/shadow?limit=5000", 422),
    ],
)
def test_bad_shadow_requests(
    model_store_ready: Path, client: TestClient, path: str, status: int
) -> None:
    response = client.get(path)
    assert response.status_code == status, response.text
    assert response.json()["message"]
