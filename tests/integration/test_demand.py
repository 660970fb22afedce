"""Store-item demand end to end: the CLI stages, `POST /predict`, drift and guarded retraining.

Small simulated sales (2 stores x 3 items, three years) with the shipped configuration,
so every stage runs for real in seconds.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from conftest import make_settings
from opscast.api.app import create_app
from opscast.cli import app
from opscast.db import Database
from opscast.registry import ModelStore
from opscast.registry.service import audit_trail
from opscast.simulate import simulate_demand

runner = CliRunner()
FIRST_DAY = "2022-01-01"
DAYS = 3 * 365


def sales_csv(path: Path, *, days: int = DAYS, scale_last: int = 0, factor: float = 1.0) -> Path:
    frame = simulate_demand(stores=2, items=3, start=FIRST_DAY, days=days, seed=3)
    if scale_last:
        late = frame["ds"] > frame["ds"].max() - pd.Timedelta(days=scale_last)
        frame.loc[late, "y"] = (frame.loc[late, "y"] * factor).round()
    out = frame.rename(columns={"ds": "date", "y": "sales"})[["date", "store", "item", "sales"]]
    out.assign(sales=out["sales"].astype(int)).to_csv(path, index=False)
    return path


def opscast(var_dir: Path, *args: str) -> dict[str, Any]:
    result = runner.invoke(
        app, list(args), env={"OPSCAST_VAR_DIR": str(var_dir), "OPSCAST_LOG_LEVEL": "WARNING"}
    )
    assert result.exit_code == 0, result.output
    out = result.stdout
    return dict(json.loads(out[out.index("{") :]))


def pipeline(var_dir: Path, csv: Path) -> dict[str, Any]:
    opscast(var_dir, "demand", "prepare", "--input", str(csv))
    opscast(var_dir, "demand", "features")
    opscast(var_dir, "demand", "train")
    return opscast(var_dir, "demand", "evaluate")


@pytest.fixture(scope="module")
def trained_var(tmp_path_factory: pytest.TempPathFactory, mlflow_template: Path) -> Path:
    var_dir = tmp_path_factory.mktemp("demand") / "var"
    var_dir.mkdir()
    shutil.copyfile(mlflow_template, var_dir / "mlflow.db")
    pipeline(var_dir, sales_csv(var_dir.parent / "sales.csv"))
    return var_dir


@pytest.fixture(scope="module")
def client(trained_var: Path) -> TestClient:
    with TestClient(create_app(make_settings(trained_var))) as started:
        yield started


def test_the_stages_write_their_outputs_and_register_the_model(trained_var: Path) -> None:
    demand = trained_var / "demand"
    for name in ("prepared.parquet", "features.parquet", "model.pkl", "train.json"):
        assert (demand / name).is_file(), name
    evaluation = demand / "evaluation"
    metrics = json.loads((evaluation / "metrics.json").read_text())
    assert {"mae", "rmse", "mape", "smape", "mase"} <= set(metrics)
    assert metrics["holdout"].endswith(
        f"{pd.Timestamp(FIRST_DAY) + pd.Timedelta(days=DAYS - 1):%Y-%m-%d}"
    )
    assert (evaluation / "actual_vs_predicted.png").read_bytes()[:4] == b"\x89PNG"
    assert "plotly" in (evaluation / "actual_vs_predicted.html").read_text()[:5_000_000]
    store = ModelStore(f"sqlite:///{trained_var / 'mlflow.db'}")
    champion = store.champion("store-demand")
    assert champion.info.version == 1
    assert champion.info.metrics["smape"] == pytest.approx(metrics["smape"])
    # the model beats the weekly naive forecast on the holdout
    assert metrics["mase"] < 1


def test_predict_one_row_in_the_seed_shape_with_the_version(client: TestClient) -> None:
    response = client.post("/predict", json={"store": 1, "item": 2, "date": "2025-01-15"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"store", "item", "date", "predicted_sales", "model_version"}
    assert (body["store"], body["item"], body["date"], body["model_version"]) == (
        1,
        2,
        "2025-01-15",
        1,
    )
    assert body["predicted_sales"] > 0


def test_predict_a_list_answers_each_row_as_alone(client: TestClient) -> None:
    rows = [
        {"store": 1, "item": 1, "date": "2024-12-31"},
        {"store": 2, "item": 3, "date": "2025-03-30"},
    ]
    answers = client.post("/predict", json=rows).json()
    assert [a["date"] for a in answers] == ["2024-12-31", "2025-03-30"]
    for row, answer in zip(rows, answers, strict=True):
        assert client.post("/predict", json=row).json() == answer


def test_predictions_are_counted(client: TestClient) -> None:
    def count() -> float:
        for line in client.get("/metrics").text.splitlines():
            if line.startswith(
                'opscast_predictions_total{model="global_lightgbm",task="store-demand"}'
            ):
                return float(line.split()[-1])
        return 0.0

    before = count()
    client.post("/predict", json=[{"store": 1, "item": 1, "date": "2024-06-01"}] * 3)
    assert count() == before + 3


@pytest.mark.parametrize(
    ("row", "status", "words"),
    [
        ({"store": 9, "item": 1, "date": "2024-01-01"}, 404, "store 9 is unknown"),
        ({"store": 1, "item": 99, "date": "2024-01-01"}, 404, "item 99 is unknown"),
        (
            {"store": 1, "item": 1, "date": "2021-12-31"},
            422,
            "outside what the model can forecast: 2022-01-01 to 2025-03-30",
        ),
        ({"store": 1, "item": 1, "date": "2025-03-31"}, 422, "2022-01-01 to 2025-03-30"),
        ({"store": 1, "item": 1}, 422, "date"),
        ({"store": 1, "item": 1, "date": "yesterday"}, 422, "date"),
        ({"store": "one", "item": 1, "date": "2024-01-01"}, 422, "store"),
        ({"store": 1, "item": 1, "date": "2024-01-01", "price": 3}, 422, "price"),
    ],
)
def test_bad_rows_get_a_clear_4xx(
    client: TestClient, row: dict[str, Any], status: int, words: str
) -> None:
    response = client.post("/predict", json=row)
    assert response.status_code == status, response.text
    assert words in json.dumps(response.json())
    # in a list, one bad row fails the whole request, naming it
    listed = client.post("/predict", json=[{"store": 1, "item": 1, "date": "2024-01-01"}, row])
    assert listed.status_code == status
    assert words in json.dumps(listed.json())


def test_an_empty_list_is_refused(client: TestClient) -> None:
    response = client.post("/predict", json=[])
    assert response.status_code == 422
    assert "1 to 10000 rows" in response.text


def test_without_a_model_predict_says_how_to_get_one(var_dir: Path) -> None:
    with TestClient(create_app(make_settings(var_dir))) as fresh:
        response = fresh.post("/predict", json={"store": 1, "item": 1, "date": "2024-01-01"})
    assert response.status_code == 404
    assert "opscast demand train" in response.text


def test_a_bad_input_file_is_one_line_and_writes_nothing(var_dir: Path, tmp_path: Path) -> None:
    csv = tmp_path / "sales.csv"
    csv.write_text("date,store,item,units\n2024-01-01,1,1,3\n")
    result = runner.invoke(
        app, ["demand", "prepare", "--input", str(csv)], env={"OPSCAST_VAR_DIR": str(var_dir)}
    )
    assert result.exit_code == 2
    assert "no column 'sales'" in result.output
    assert not (var_dir / "demand").exists()


def test_drifted_demand_queues_a_retrain_promoted_only_when_not_worse(
    var_dir: Path, model_store_ready: Path, tmp_path: Path
) -> None:
    pipeline(var_dir, sales_csv(tmp_path / "sales.csv"))
    # ninety more days in which sales doubled: a new data set is prepared (and recorded)
    drifted = sales_csv(tmp_path / "drifted.csv", days=DAYS + 90, scale_last=120, factor=2.0)
    opscast(var_dir, "demand", "prepare", "--input", str(drifted))
    verdict = opscast(var_dir, "demand", "drift")
    assert verdict["retrain"] is True
    assert verdict["concept_drift"]["drifted"] is True
    assert "y" in verdict["drifted_features"]

    ran = opscast(var_dir, "retrain", "--if-drift")
    demand_check = next(row for row in ran["drift_checks"] if row["target"] == "demand")
    assert demand_check["drifted"] is True
    assert demand_check["job_id"] is not None
    (job,) = [job for job in ran["jobs"] if job["task"] == "demand"]
    assert job["status"] == "succeeded", job
    (task,) = job["result"]["tasks"]
    store = ModelStore(f"sqlite:///{var_dir / 'mlflow.db'}")
    database = Database(f"sqlite:///{var_dir / 'opscast.db'}")
    with database.session() as session:
        event = audit_trail(session, "store-demand", limit=1)[0]
        assert event.version == task["version"] == 2
        assert task["promoted"] == (event.challenger_value <= event.champion_value)
    assert store.champion_version("store-demand") == (2 if task["promoted"] else 1)

    # a deliberately weak challenger (three boosting rounds) is refused: the champion stays
    weak = tmp_path / "weak.toml"
    weak.write_text("[model]\nnum_boost_round = 3\n")
    champion = store.champion_version("store-demand")
    refused = opscast(var_dir, "demand", "retrain", "--force", "--config", str(weak))
    assert (refused["promoted"], refused["version"]) == (False, 3)
    assert "worse than the champion" in refused["decision"]
    assert store.champion_version("store-demand") == champion
    database.dispose()


def small_model_config(path: Path) -> Path:
    """A config that changes two model settings, recognisable in what gets registered."""
    path.write_text("[model]\nnum_boost_round = 40\n\n[model.params]\nnum_leaves = 7\n")
    return path


def test_the_config_setting_chooses_the_model_of_the_cli_stages(
    var_dir: Path, tmp_path: Path
) -> None:
    env = {
        "OPSCAST_VAR_DIR": str(var_dir),
        "OPSCAST_LOG_LEVEL": "WARNING",
        "OPSCAST_DEMAND_CONFIG": str(small_model_config(tmp_path / "small.toml")),
    }
    for stage in (
        ["prepare", "--input", str(sales_csv(tmp_path / "sales.csv")), "--no-record"],
        ["features"],
        ["train"],
    ):
        result = runner.invoke(app, ["demand", *stage], env=env)
        assert result.exit_code == 0, result.output
    trained = json.loads((var_dir / "demand" / "train.json").read_text())
    assert trained["params"]["model.num_boost_round"] == 40
    assert trained["params"]["model.params.num_leaves"] == "7"
    assert trained["best_iteration"] <= 40
    # --config still wins over the setting
    shipped = tmp_path / "shipped.toml"
    shipped.write_text("[model]\nnum_boost_round = 800\n")
    result = runner.invoke(app, ["demand", "train", "--config", str(shipped)], env=env)
    assert result.exit_code == 0, result.output
    trained = json.loads((var_dir / "demand" / "train.json").read_text())
    assert trained["params"]["model.num_boost_round"] == 800


def test_a_missing_config_file_stops_with_the_variable_named(var_dir: Path) -> None:
    result = runner.invoke(
        app,
        ["demand", "features"],
        env={"OPSCAST_VAR_DIR": str(var_dir), "OPSCAST_DEMAND_CONFIG": str(var_dir / "no.toml")},
    )
    assert result.exit_code == 2
    assert "OPSCAST_DEMAND_CONFIG" in result.output
    assert "is not a file" in result.output
    assert not (var_dir / "demand").exists()


def test_the_service_trains_a_demand_model_on_start_when_it_has_none(
    var_dir: Path, model_store_ready: Path, tmp_path: Path
) -> None:
    no_data = tmp_path / "data"
    no_data.mkdir()
    settings = make_settings(
        var_dir,
        data_dir=no_data,
        train_on_start=True,
        demand_train_on_start=True,
        demand_config=small_model_config(tmp_path / "small.toml"),
    )
    with TestClient(create_app(settings)) as started:
        training = started.app.state.services.demand_training  # type: ignore[attr-defined]
        assert training.wait(timeout=900)
        health = started.get("/health").json()["components"]["demand_model"]
        assert health == {"status": "ok", "kind": "training", "detail": "store-demand version 1"}
        # simulated sales of 3 stores x 10 items from 2023-01-01 for three years
        answer = started.post("/predict", json={"store": 3, "item": 10, "date": "2026-01-15"})
        assert answer.status_code == 200, answer.text
        assert answer.json()["model_version"] == 1
        # the model of OPSCAST_DEMAND_CONFIG, for the start-up training and for retraining
        store = started.app.state.services.model_store  # type: ignore[attr-defined]
        assert store.champion("store-demand").info.params["model.params.num_leaves"] == "7"
        queued = started.post("/retrain", json={"target": "demand"})
        assert queued.status_code == 202, queued.text
        job = queued.json()
        assert started.app.state.services.jobs.run_once()  # type: ignore[attr-defined]
        done = started.get(f"/jobs/{job['job_id']}").json()
        assert done["status"] == "succeeded", done
        (task,) = done["result"]["tasks"]
        (retrained,) = [
            v for v in store.get_task("store-demand").versions if v.version == task["version"]
        ]
        assert retrained.params["model.params.num_leaves"] == "7"
