"""Contract of POST /forecast (seed 1): shape, reconciled granularities, bad input, training.

The module shares one model store so that the champions of the main data set are
trained once (by the first request that needs them) rather than once per test.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from opscast.forecasting.zoo import ModelSpec, single_model
from opscast.incidents.training import LevelModel, complete_periods
from opscast.registry import ModelStore
from opscast.simulate import simulate_incidents
from opscast.timeseries import Granularity

ClientFactory = Callable[..., TestClient]
FIRST_DAY = "2023-01-01"
DAYS = 800  # through 2025-03-10: eight whole quarters, then a quarter under way
LAST_DAY = pd.Timestamp(FIRST_DAY) + pd.Timedelta(days=DAYS - 1)


def load(client: TestClient, category: str, days: int, seed: int = 5) -> pd.DataFrame:
    frame = simulate_incidents(start=FIRST_DAY, days=days, categories=[category], seed=seed)
    points = [
        {"unique_id": category, "ds": ds.isoformat(), "y": float(y)}
        for ds, y in zip(frame["ds"], frame["y"], strict=True)
    ]
    response = client.post("/series/points", json={"kind": "incidents", "points": points})
    assert response.status_code == 201, response.text
    return frame


def ask(client: TestClient, **body: Any) -> Any:
    return client.post("/forecast", json=body)


def as_series(response: Any) -> pd.Series:
    assert response.status_code == 200, response.text
    points = response.json()["forecast"]
    return pd.Series(
        [p["predicted_value"] for p in points], index=pd.to_datetime([p["date"] for p in points])
    )


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory, mlflow_template: Path) -> str:
    path = tmp_path_factory.mktemp("forecast-models") / "mlflow.db"
    shutil.copyfile(mlflow_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def software(client_factory: ClientFactory, shared_store: str) -> tuple[TestClient, pd.DataFrame]:
    client = client_factory(mlflow_uri=shared_store, train_on_start=False)
    return client, load(client, "Software", DAYS)


def test_the_seed_example_answers_in_the_seed_shape(
    software: tuple[TestClient, pd.DataFrame],
) -> None:
    client, frame = software
    response = ask(client, category="Software", granularity="quarterly", future_periods=4)
    body = response.json()
    assert response.status_code == 200, body
    assert body["category"] == "Software"
    assert body["granularity"] == "quarterly"
    assert [set(point) for point in body["forecast"]] == [{"date", "predicted_value"}] * 4
    assert [point["date"] for point in body["forecast"]] == [
        "2025-01-01",
        "2025-04-01",
        "2025-07-01",
        "2025-10-01",
    ]
    assert body["task"] == "incidents-software-quarterly"
    assert isinstance(body["version"], int)
    # the quarter under way holds what was observed so far plus the forecast of the rest
    observed = frame.loc[frame["ds"] >= "2025-01-01", "y"].sum()
    first = body["forecast"][0]["predicted_value"]
    assert first > observed
    quarter_level = frame.groupby(frame["ds"].dt.to_period("Q"))["y"].sum().iloc[-5:-1].mean()
    for point in body["forecast"][1:]:
        assert 0.5 * quarter_level < point["predicted_value"] < 1.5 * quarter_level


def test_granularities_add_up(software: tuple[TestClient, pd.DataFrame]) -> None:
    client, frame = software
    got = {
        granularity: as_series(
            ask(client, category="Software", granularity=granularity, future_periods=periods)
        )
        for granularity, periods in [
            ("daily", 366),
            ("weekly", 104),
            ("monthly", 24),
            ("quarterly", 8),
        ]
    }
    days, weeks, months, quarters = got["daily"], got["weekly"], got["monthly"], got["quarterly"]
    assert [len(days), len(weeks), len(months), len(quarters)] == [366, 104, 24, 8]
    assert days.index[0] == LAST_DAY + pd.Timedelta(days=1)
    assert (weeks.index.dayofweek == 0).all()
    assert (months.index.day == 1).all()
    assert set(quarters.index.month) <= {1, 4, 7, 10}
    assert (days >= 0).all()

    future = days.index[0]
    checked = 0
    for week in weeks.index[weeks.index >= future]:
        inside = days[(days.index >= week) & (days.index < week + pd.Timedelta(days=7))]
        if len(inside) == 7:
            assert weeks[week] == pytest.approx(inside.sum(), rel=1e-9)
            checked += 1
    for month in months.index[months.index >= future]:
        inside = days[(days.index >= month) & (days.index < month + pd.DateOffset(months=1))]
        if len(inside) == month.days_in_month:
            assert months[month] == pytest.approx(inside.sum(), rel=1e-9)
            checked += 1
    for quarter in quarters.index[quarters.index >= future]:
        inside = months[
            (months.index >= quarter) & (months.index < quarter + pd.DateOffset(months=3))
        ]
        if len(inside) == 3:
            assert quarters[quarter] == pytest.approx(inside.sum(), rel=1e-9)
            checked += 1
    assert checked > 60
    # periods under way: what was observed plus the reconciled days still to come
    rest_of_march = days[days.index < "2025-04-01"].sum()
    observed = frame.set_index("ds")["y"]
    assert months.index[0] == pd.Timestamp("2025-03-01")
    assert months.iloc[0] == pytest.approx(observed["2025-03-01":].sum() + rest_of_march)
    assert quarters.iloc[0] == pytest.approx(observed["2025-01-01":].sum() + rest_of_march)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"category": "Software", "granularity": "yearly", "future_periods": 4}, "granularity"),
        (
            {"category": "Software", "granularity": "quarterly", "future_periods": 0},
            "future_periods",
        ),
        (
            {"category": "Software", "granularity": "quarterly", "future_periods": 9},
            "future_periods",
        ),
        ({"category": "Software", "granularity": "daily", "future_periods": 367}, "future_periods"),
        (
            {"category": "Software", "granularity": "weekly", "future_periods": "x"},
            "future_periods",
        ),
        ({"category": "Software", "granularity": "weekly"}, "future_periods"),
        ({"category": "", "granularity": "weekly", "future_periods": 2}, "category"),
        ({"granularity": "weekly", "future_periods": 2}, "category"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_trains_nothing(
    client_factory: ClientFactory, shared_store: str, body: dict[str, Any], field: str
) -> None:
    client = client_factory(mlflow_uri=shared_store, train_on_start=False)
    before = client.get("/models").json()["count"]
    response = client.post("/forecast", json=body)
    assert response.status_code == 422, response.text
    assert field in response.json()["message"]
    assert client.get("/models").json()["count"] == before


def test_an_unknown_category_is_a_404_listing_the_known_ones(
    software: tuple[TestClient, pd.DataFrame],
) -> None:
    client, _ = software
    load(client, "Hardware", 60, seed=6)
    before = client.get("/models").json()["count"]
    response = ask(client, category="Sofware", granularity="monthly", future_periods=3)
    assert response.status_code == 404
    assert "known categories: Hardware, Software" in response.json()["message"]
    # a series of another kind is not an incident category
    client.post(
        "/series/points",
        json={
            "kind": "traffic",
            "points": [{"unique_id": "web", "ds": "2024-01-01T00:00:00", "y": 1.0}],
        },
    )
    assert ask(client, category="web", granularity="daily", future_periods=3).status_code == 404
    assert client.get("/models").json()["count"] == before


def test_forecasts_are_counted_and_model_errors_exported(
    software: tuple[TestClient, pd.DataFrame],
) -> None:
    client, _ = software
    body = ask(client, category="Software", granularity="monthly", future_periods=2).json()
    text = client.get("/metrics").text
    task, model = body["task"], body["model"]
    assert f'opscast_predictions_total{{model="{model}",task="{task}"}}' in text
    assert f'opscast_model_error{{metric="mase",task="{task}"}}' in text
    listed = client.get("/models", params={"prefix": "incidents-software-"}).json()
    assert {m["task"] for m in listed["models"]} == {
        f"incidents-software-{g}" for g in ("daily", "weekly", "monthly", "quarterly")
    }
    for entry in listed["models"]:
        assert entry["tags"]["category"] == "Software"
        assert set(entry["champion"]["metrics"]) == {"mae", "rmse", "mape", "smape", "mase"}
        assert entry["champion"]["data_fingerprint"].startswith("sha256:")


def test_a_missing_champion_is_trained_on_request_and_short_history_refused(
    model_store_ready: Path, client_factory: ClientFactory
) -> None:
    client = client_factory(train_on_start=False)
    load(client, "Short", 70, seed=8)
    assert client.get("/models").json()["count"] == 0
    response = ask(client, category="Short", granularity="daily", future_periods=5)
    assert response.status_code == 200, response.text
    assert len(response.json()["forecast"]) == 5
    listed = client.get("/models").json()["models"]
    assert [m["task"] for m in listed] == ["incidents-short-daily"]
    assert listed[0]["aliases"] == {"champion": 1}

    refused = ask(client, category="Short", granularity="quarterly", future_periods=1)
    assert refused.status_code == 422
    message = refused.json()["message"]
    assert "granularity" in refused.json()["detail"][0]["loc"]
    assert "0 complete quarters" in message
    assert "at least 8" in message
    assert [m["task"] for m in client.get("/models").json()["models"]] == ["incidents-short-daily"]


def test_background_training_shows_progress_on_health(
    model_store_ready: Path, client_factory: ClientFactory
) -> None:
    loader = client_factory(train_on_start=False)
    load(loader, "Short", 70, seed=8)
    client = client_factory(train_on_start=True)
    deadline = time.monotonic() + 180
    models = client.get("/health").json()["components"]["models"]
    while models["status"] == "training" and time.monotonic() < deadline:
        time.sleep(0.5)
        models = client.get("/health").json()["components"]["models"]
    assert models["status"] == "ok", models
    assert models["detail"] == "1/4 trained; 3 without enough history"
    response = ask(client, category="Short", granularity="daily", future_periods=3)
    assert response.json()["version"] == 1  # served, not trained again


def test_a_promoted_version_serves_without_a_restart(
    software: tuple[TestClient, pd.DataFrame],
) -> None:
    client, frame = software
    store: ModelStore = client.app.state.services.model_store  # type: ignore[attr-defined]
    store.refresh_seconds = 0.0  # check the alias on every request
    before = ask(client, category="Software", granularity="quarterly", future_periods=4).json()

    quarters = complete_periods(frame[["unique_id", "ds", "y"]], Granularity.quarterly)
    # a model unlike the serving one (earlier runs of this test may have promoted one)
    name = "naive" if before["model"] == "historic_average" else "historic_average"
    fitted = single_model(name, ModelSpec(freq="QS"))().fit(quarters)
    store.register(
        before["task"],
        LevelModel(fitted, name, Granularity.quarterly, quarters["ds"].max()),
        data=quarters,
        params={"model": name},
        metrics={"mae": 1.0, "rmse": 1.0, "mape": 1.0, "smape": 1.0, "mase": 1.0},
        promote=True,
    )
    after = ask(client, category="Software", granularity="quarterly", future_periods=4).json()
    assert after["model"] == name
    assert after["version"] == before["version"] + 1
    assert after["forecast"] != before["forecast"]
    months = as_series(ask(client, category="Software", granularity="monthly", future_periods=24))
    assert after["forecast"][1]["predicted_value"] == pytest.approx(
        months["2025-04":"2025-06"].sum()
    )


def test_categories_that_share_a_task_name_are_not_mixed_up(
    model_store_ready: Path, client_factory: ClientFactory
) -> None:
    client = client_factory(train_on_start=False)
    load(client, "Disk.IO", 70, seed=8)
    load(client, "disk-io", 70, seed=9)
    first = ask(client, category="Disk.IO", granularity="daily", future_periods=2)
    assert first.json()["task"] == "incidents-disk-io-daily"
    clash = ask(client, category="disk-io", granularity="daily", future_periods=2)
    assert clash.status_code == 422
    assert "share the model name 'incidents-disk-io-daily'" in clash.json()["message"]
