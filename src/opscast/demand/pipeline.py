"""The pipeline stages on files: each reads named inputs and writes named outputs.

This is what makes the stages reproducible under DVC (``examples/store_demand``): a
stage depends only on its input files and the config, and writes only its outputs, so
``dvc repro`` knows what to rerun. The registry and the database are touched by the
CLI around these functions (register, record), never by them.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from opscast.demand import charts
from opscast.demand.config import DemandConfig
from opscast.demand.drift_check import DemandDrift, check_drift
from opscast.demand.prepare import Prepared, prepare_csv
from opscast.demand.training import Evaluation, TrainedDemand, build_features, evaluate, train
from opscast.errors import InvalidInputError

Step = Callable[[str], None]


def _silent(_step: str) -> None:
    return None


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")


def read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        loaded: dict[str, Any] = json.loads(path.read_text())
    except FileNotFoundError:
        raise InvalidInputError(f"no {what} at {path}", field=what) from None
    except json.JSONDecodeError as exc:
        raise InvalidInputError(f"{path} is not JSON: {exc}", field=what) from None
    return loaded


def read_frame(path: Path, what: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise InvalidInputError(
            f"no {what} at {path}; run the stage that writes it", field=what
        ) from None


def prepare(source: Path, output: Path, report: Path, config: DemandConfig) -> Prepared:
    prepared = prepare_csv(source, config.data)
    output.parent.mkdir(parents=True, exist_ok=True)
    prepared.frame.to_parquet(output, index=False)
    write_json(report, {"input": str(source), **prepared.summary()})
    return prepared


def features(data: Path, output: Path, config: DemandConfig) -> pd.DataFrame:
    built = build_features(read_frame(data, "data"), config)
    output.parent.mkdir(parents=True, exist_ok=True)
    built.to_parquet(output, index=False)
    return built


def load_model(path: Path) -> TrainedDemand:
    try:
        model: TrainedDemand = pickle.loads(path.read_bytes())  # written by fit(), below
    except FileNotFoundError:
        raise InvalidInputError(
            f"no model at {path}; run `opscast demand train`", field="model"
        ) from None
    if not isinstance(model, TrainedDemand):
        raise InvalidInputError(f"{path} is not a demand model", field="model")
    return model


def fit(
    features_path: Path,
    output: Path,
    summary_path: Path,
    config: DemandConfig,
    on_round: Callable[[int, int], None] | None = None,
) -> TrainedDemand:
    frame = read_frame(features_path, "features")
    missing = [column for column in config.features.spec().columns if column not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"the features lack {', '.join(missing)}: they were built with another config; "
            "rerun `opscast demand features` with this one",
            field="features",
        )
    trained = train(frame, config, on_round=on_round)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(pickle.dumps(trained, protocol=pickle.HIGHEST_PROTOCOL))
    write_json(
        summary_path,
        {
            "engine": trained.booster.engine,
            "best_iteration": trained.booster.best_iteration,
            "training_rows": trained.rows,
            "split": trained.split.summary(),
            "importance": dict(sorted(trained.booster.importance().items(), key=lambda kv: -kv[1])),
            "params": config.flat_params(),
        },
    )
    return trained


@dataclass(frozen=True, slots=True)
class EvaluationFiles:
    metrics: Path
    predictions: Path
    html: Path
    png: Path | None


def score(
    features_path: Path, model_path: Path, output_dir: Path, on_step: Step = _silent
) -> tuple[Evaluation, EvaluationFiles]:
    trained = load_model(model_path)
    frame = read_frame(features_path, "features")
    on_step("predicting the holdout")
    evaluation = evaluate(trained, frame, trained.split)
    output_dir.mkdir(parents=True, exist_ok=True)
    metrics = output_dir / "metrics.json"
    write_json(
        metrics,
        {
            "holdout": trained.split.summary()["holdout"],
            "rows": len(evaluation.predictions),
            **evaluation.metrics,
        },
    )
    predictions = output_dir / "predictions.parquet"
    evaluation.predictions.to_parquet(predictions, index=False)
    title = f"Actual vs predicted sales, holdout {trained.split.summary()['holdout']}"
    on_step("drawing actual vs predicted (HTML)")
    html = output_dir / "actual_vs_predicted.html"
    charts.write_html(evaluation.predictions, html, title)
    on_step("drawing actual vs predicted (PNG)")
    png: Path | None = output_dir / "actual_vs_predicted.png"
    assert png is not None
    if not charts.write_png(evaluation.predictions, png, title):
        png = None
    return evaluation, EvaluationFiles(metrics, predictions, html, png)


def drift(
    data: Path, model_path: Path, baseline: Path, output_dir: Path, on_step: Step = _silent
) -> DemandDrift:
    """Data and concept drift of the model on ``data``; drift.json says whether to retrain."""
    trained = load_model(model_path)
    metrics = read_json(baseline, "baseline")
    if not isinstance(metrics.get("mape"), int | float):
        raise InvalidInputError(f"{baseline} has no mape to compare with", field="baseline")
    on_step("building features")
    frame = build_features(read_frame(data, "data"), trained.config)
    on_step("testing features and scoring the newest window")
    result = check_drift(trained, frame, float(metrics["mape"]), trained.config)
    output_dir.mkdir(parents=True, exist_ok=True)
    write_json(output_dir / "drift.json", result.summary())
    on_step("rendering the report")
    (output_dir / "drift.html").write_text(result.html())
    return result
