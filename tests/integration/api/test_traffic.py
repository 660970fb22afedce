"""Contract of the traffic forecasting endpoints (seed 5), good input and bad.

One app per module keeps the suite fast: models train once per (model, timeframe) and
the registry persists them, which is also what the tests of reuse rely on. The data
directory is empty, so these run on simulated traffic; the seed's example against the
real NASA history is at the end and skips when that data is absent.
"""

from __future__ import annotations

import math
import re
import shutil
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import SHARED_DATA, make_settings, require_extra
from opscast.api.app import create_app
from opscast.forecasting.context_models import available_context_models
from opscast.registry import ModelStore

SEED_EXAMPLE: dict[str, Any] = {
    "data": [{"ds": "1995-08-01 00:00:00", "y": 245}],
    "horizon": 12,
    "model_type": "xgboost",
    "timeframe": "5m",
}
NASA_5MIN = SHARED_DATA / "web_traffic" / "nasa_http_requests_per_5min.csv"


def start(tmp: Path, mlflow_template: Path, data_dir: Path, **overrides: object) -> TestClient:
    var_dir = tmp / "var"
    var_dir.mkdir()
    shutil.copyfile(mlflow_template, var_dir / "mlflow.db")
    settings = make_settings(var_dir, data_dir=data_dir, **overrides)
    return TestClient(create_app(settings))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, mlflow_template: Path) -> Iterator[TestClient]:
    tmp = tmp_path_factory.mktemp("traffic")
    empty = tmp / "no-data"
    empty.mkdir()
    with start(tmp, mlflow_template, empty) as client:
        yield client


def store(client: TestClient) -> ModelStore:
    model_store: ModelStore = client.app.state.services.model_store  # type: ignore[attr-defined]
    return model_store


def registered(client: TestClient) -> dict[str, int]:
    """Versions per traffic task: what a request wrote to the registry."""
    return {task.name: len(task.versions) for task in store(client).list_tasks(prefix="traffic-")}


def day_of_points(start: str, steps: int, minutes: int = 5) -> list[dict[str, Any]]:
    """A plausible daily shape: quiet nights, busy afternoons."""
    first = datetime.fromisoformat(start)
    return [
        {
            "ds": (first + timedelta(minutes=i * minutes)).isoformat(),
            "y": 200 + 150 * math.sin(2 * math.pi * (i * minutes / 1440 - 0.25)),
        }
        for i in range(steps)
    ]


def test_seed_example_answers_with_the_seed_shape(client: TestClient) -> None:
    response = client.post("/forecast/predict", json=SEED_EXAMPLE)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["model_type"] == "xgboost"
    assert body["timeframe"] == "5m"
    predictions = body["predictions"]
    assert [p["ds"] for p in predictions[:2]] == ["1995-08-01T00:05:00Z", "1995-08-01T00:10:00Z"]
    assert len(predictions) == 12
    assert all(p["y"] >= 0 for p in predictions)
    assert body["model"] == {"task": "traffic-5m-xgboost", "version": 1}
    context = body["context"]
    assert context["history_source"] == "simulated"
    assert context["posted_points"] == 1
    assert context["history_points"] > 0


def test_the_lstm_hybrid_answers_the_seed_example(client: TestClient) -> None:
    require_extra("torch", "neural")
    response = client.post("/forecast/predict", json={**SEED_EXAMPLE, "model_type": "hybrid_lstm"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model_type"] == "hybrid_lstm"
    assert len(body["predictions"]) == SEED_EXAMPLE["horizon"]
    assert all(math.isfinite(p["y"]) and p["y"] >= 0 for p in body["predictions"])
    assert client.get("/metrics/hybrid_lstm/5m").status_code == 200


def test_the_model_trains_once_and_is_reused(client: TestClient) -> None:
    client.post("/forecast/predict", json=SEED_EXAMPLE)
    before = registered(client)
    again = client.post("/forecast/predict", json={**SEED_EXAMPLE, "horizon": 3})
    assert again.json()["model"]["version"] == 1
    assert registered(client) == before
    assert before["traffic-5m-xgboost"] == 1


def test_the_first_model_is_promoted_by_the_registry_guard(client: TestClient) -> None:
    """Traffic models go through the same guarded path as every target: an audit entry."""
    assert client.post("/forecast/predict", json=SEED_EXAMPLE).status_code == 200
    history = client.get("/models/traffic-5m-xgboost/history").json()
    first = history[-1]
    assert (first["action"], first["version"], first["requested_by"]) == (
        "promoted",
        1,
        "serving",
    )
    assert first["previous_version"] is None


def test_posted_history_is_used_in_full(client: TestClient) -> None:
    points = day_of_points("2024-03-05T00:00:00", 3 * 288)
    body = client.post("/forecast/predict", json={**SEED_EXAMPLE, "data": points}).json()
    assert body["context"]["posted_points"] == 3 * 288
    assert body["predictions"][0]["ds"] == "2024-03-08T00:00:00Z"
    # a quieter posted day gives a quieter forecast: the posted points are the context
    quiet = [{**point, "y": point["y"] / 4} for point in points]
    quiet_body = client.post(
        "/forecast/predict", json={**SEED_EXAMPLE, "model_type": "hybrid", "data": quiet}
    ).json()
    loud_body = client.post(
        "/forecast/predict", json={**SEED_EXAMPLE, "model_type": "hybrid", "data": points}
    ).json()
    quiet_mean = sum(p["y"] for p in quiet_body["predictions"]) / 12
    loud_mean = sum(p["y"] for p in loud_body["predictions"]) / 12
    assert quiet_mean < 0.6 * loud_mean


@pytest.mark.parametrize("timeframe", ["1m", "15m"])
def test_every_timeframe_forecasts_on_its_grid(client: TestClient, timeframe: str) -> None:
    body = client.post(
        "/forecast/predict",
        json={**SEED_EXAMPLE, "timeframe": timeframe, "model_type": "lightgbm", "horizon": 3},
    ).json()
    minutes = {"1m": 1, "15m": 15}[timeframe]
    assert [p["ds"][11:16] for p in body["predictions"]] == [
        f"00:{minutes * i:02d}" for i in range(1, 4)
    ]
    assert body["model"]["task"] == f"traffic-{timeframe}-lightgbm"


def test_backtest_scores_the_posted_points(client: TestClient) -> None:
    points = day_of_points("2024-03-05T00:00:00", 40)
    body = {**SEED_EXAMPLE, "data": points, "horizon": 6, "step": 5}
    response = client.post("/forecast/backtest", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["success"] is True
    assert result["windows"] == (40 - 6) // 5 + 1
    assert {"mae", "rmse", "smape", "mape", "mase"} <= set(result["metrics"])
    assert len(result["points"]) == 6 * result["windows"]
    last = result["points"][-1]
    assert last["ds"] == points[-1]["ds"] + "Z"
    assert last["actual"] == pytest.approx(points[-1]["y"])
    errors = [abs(p["actual"] - p["predicted"]) for p in result["points"]]
    assert result["metrics"]["mae"] == pytest.approx(sum(errors) / len(errors), rel=1e-3)


def test_backtest_with_explicit_windows(client: TestClient) -> None:
    body = {**SEED_EXAMPLE, "horizon": 3, "step": 2, "windows": 4}
    result = client.post("/forecast/backtest", json=body).json()
    assert result["windows"] == 4
    cutoffs = sorted({p["cutoff"] for p in result["points"]})
    assert len(cutoffs) == 4
    assert result["points"][-1]["ds"] == "1995-08-01T00:00:00Z"


def test_metrics_of_a_trained_model(client: TestClient) -> None:
    client.post("/forecast/predict", json=SEED_EXAMPLE)
    response = client.get("/metrics/xgboost/5m")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"]["task"] == "traffic-5m-xgboost"
    assert body["metrics"]["mae"] > 0
    assert body["params"]["history_source"] == "simulated"
    assert body["params"]["timeframe"] == "5m"
    # the Prometheus endpoint next to it still answers, with the model's numbers
    exposition = client.get("/metrics").text
    assert re.search(
        r'opscast_model_error\{metric="mae",task="traffic-5m-xgboost"\} [0-9.e+]+', exposition
    )
    served = re.search(
        r'opscast_predictions_total\{model="xgboost",task="traffic-5m-xgboost"\} ([0-9.e+]+)',
        exposition,
    )
    assert served is not None
    assert float(served.group(1)) >= 12


def test_predict_from_csv(client: TestClient) -> None:
    rows = ["timestamp,requests_count,is_burst,is_event"] + [
        f"2024-03-05 10:{minute:02d}:00,{300 + minute},0,0" for minute in range(0, 60, 5)
    ]
    response = client.post(
        "/forecast/predict/csv",
        files={"file": ("traffic.csv", "\n".join(rows).encode(), "text/csv")},
        data={"horizon": "5", "model_type": "xgboost", "timeframe": "5m"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["context"]["posted_points"] == 12
    assert body["predictions"][0]["ds"] == "2024-03-05T11:00:00Z"
    assert len(body["predictions"]) == 5


# lightgbm at 5m is trained by no other test here, so a request that trained it would show
UNTRAINED = {**SEED_EXAMPLE, "model_type": "lightgbm"}
BAD_BODIES = [
    ({**UNTRAINED, "horizon": 0}, "horizon"),
    ({**UNTRAINED, "horizon": 101}, "horizon"),
    ({**UNTRAINED, "timeframe": "2m"}, "timeframe"),
    ({**UNTRAINED, "data": []}, "data"),
    ({**UNTRAINED, "data": [{"ds": "1995-08-01 00:00:00", "y": -1}]}, "data.0.y"),
    ({**UNTRAINED, "data": [{"ds": "1995-08-01 00:00:00", "y": 1e300}]}, "data.0.y"),
    ({**UNTRAINED, "data": [{"ds": "yesterday", "y": 1}]}, "data.0.ds"),
    ({key: value for key, value in UNTRAINED.items() if key != "data"}, "data"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
@pytest.mark.parametrize("path", ["/forecast/predict", "/forecast/backtest"])
def test_invalid_parameters_get_400_naming_the_field(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    before = registered(client)
    response = client.post(path, json=body)
    assert response.status_code == 400, response.text
    assert field in response.json()["message"]
    assert registered(client) == before
    assert "traffic-5m-lightgbm" not in before


@pytest.mark.parametrize("step", [0, 51])
def test_backtest_step_is_checked(client: TestClient, step: int) -> None:
    response = client.post("/forecast/backtest", json={**SEED_EXAMPLE, "step": step})
    assert response.status_code == 400
    assert "step" in response.json()["message"]


def test_unknown_model_is_404_and_trains_nothing(client: TestClient) -> None:
    before = registered(client)
    response = client.post("/forecast/predict", json={**SEED_EXAMPLE, "model_type": "lstm"})
    assert response.status_code == 404
    assert "lstm" in response.json()["message"]
    assert client.get("/metrics/lstm/5m").status_code == 404
    assert client.get("/metrics/xgboost/2m").status_code == 404
    assert registered(client) == before


def test_the_lstm_hybrid_without_torch_is_404_naming_the_extra(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an installation without the neural extra; torch itself may be present here
    monkeypatch.setattr("opscast.forecasting.context_models.neural_available", lambda: False)
    before = registered(client)
    response = client.post("/forecast/predict", json={**SEED_EXAMPLE, "model_type": "hybrid_lstm"})
    assert response.status_code == 404
    assert "pip install 'opscast[neural]'" in response.json()["message"]
    assert registered(client) == before


def test_two_points_in_one_step_are_422(client: TestClient) -> None:
    before = registered(client)
    data = [{"ds": "2024-03-05 10:00:00", "y": 1}, {"ds": "2024-03-05 10:02:00", "y": 2}]
    response = client.post(
        "/forecast/predict",
        json={**SEED_EXAMPLE, "model_type": "hybrid", "data": data, "timeframe": "15m"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "data.1.ds"]
    assert registered(client) == before


@pytest.mark.parametrize(
    ("content", "field", "needle"),
    [
        (b"time,requests\n2024-01-01 00:00:00,3\n", "file", "timestamp, requests_count"),
        (b"timestamp,requests_count\n2024-01-01 00:00:00,-3\n", "requests_count", "row 2"),
        (b"timestamp,requests_count\n2024-01-01 00:00:00,3\nx,4\n", "timestamp", "row 3"),
        (b"timestamp,requests_count\n2024-01-01 00:00:00,inf\n", "requests_count", "row 2"),
        (b"timestamp,requests_count\nnot a time,3\n", "timestamp", "row 2"),
        (b"timestamp,requests_count\n", "file", "no rows"),
        (b"", "file", "CSV"),
    ],
)
def test_csv_without_usable_columns_gets_400(
    client: TestClient, content: bytes, field: str, needle: str
) -> None:
    before = registered(client)
    response = client.post(
        "/forecast/predict/csv",
        files={"file": ("traffic.csv", content, "text/csv")},
        data={"horizon": "5", "model_type": "hybrid", "timeframe": "1m"},
    )
    assert response.status_code == 400, response.text
    assert needle in response.json()["message"]
    assert field in response.json()["message"]
    assert registered(client) == before


def test_csv_form_fields_are_checked(client: TestClient) -> None:
    response = client.post(
        "/forecast/predict/csv",
        files={"file": ("t.csv", b"timestamp,requests_count\n2024-01-01,3\n", "text/csv")},
        data={"horizon": "500", "model_type": "xgboost", "timeframe": "5m"},
    )
    assert response.status_code == 400
    assert "horizon" in response.json()["message"]


def test_csv_over_the_upload_limit_is_413(tmp_path: Path, mlflow_template: Path) -> None:
    rows = "timestamp,requests_count\n" + "".join(
        f"2024-01-01 {hour:02d}:{minute:02d}:00,5\n" for hour in range(24) for minute in range(60)
    )
    with start(tmp_path, mlflow_template, tmp_path, max_upload_bytes=4_000) as small:
        response = small.post(
            "/forecast/predict/csv",
            files={"file": ("big.csv", rows.encode(), "text/csv")},
            data={"horizon": "5", "model_type": "xgboost", "timeframe": "1m"},
        )
        assert response.status_code == 413
        assert "OPSCAST_MAX_UPLOAD_BYTES" in response.json()["message"]
        assert registered(small) == {}


def test_the_service_readies_the_5m_models_in_the_background(
    tmp_path: Path, mlflow_template: Path
) -> None:
    with start(
        tmp_path, mlflow_template, tmp_path, environment="development", train_on_start=True
    ) as app:
        expected = {f"traffic-5m-{model}": 1 for model in available_context_models()}
        deadline = time.monotonic() + 120
        while len(registered(app)) < len(expected) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert registered(app) == expected


@pytest.mark.skipif(not NASA_5MIN.is_file(), reason=f"the NASA traffic is absent ({NASA_5MIN})")
def test_seed_example_on_the_nasa_history(tmp_path: Path, mlflow_template: Path) -> None:
    with start(tmp_path, mlflow_template, SHARED_DATA) as nasa:
        body = nasa.post("/forecast/predict", json=SEED_EXAMPLE).json()
        assert body["context"]["history_source"] == "nasa-1995"
        assert body["context"]["history_shift_weeks"] == 0  # 1995-08-01 is inside the logs
        # the real counts of 1995-08-01 00:05-01:00 were 70-220 requests per 5 minutes
        assert all(40 <= p["y"] <= 400 for p in body["predictions"])
        metrics = nasa.get("/metrics/xgboost/5m").json()
        assert metrics["params"]["history_source"] == "nasa-1995"
        assert metrics["params"]["train_end"] == "1995-08-30 23:55:00"
