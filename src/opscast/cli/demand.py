"""``opscast demand``: the store-item demand pipeline, one command per stage.

Each stage names its inputs and outputs (defaults under ``var/demand/``), so the same
commands run by hand, from cron or as DVC stages. Heavy imports stay inside the
commands so ``opscast --help`` answers at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from opscast.cli.common import load_settings, open_database, steps, user_errors

if TYPE_CHECKING:
    from opscast.cli.common import Step
    from opscast.config import Settings
    from opscast.demand.config import DemandConfig

app = typer.Typer(
    help="Store-item demand: prepare, features, train, evaluate, drift, retrain.",
    no_args_is_help=True,
)

ConfigOption = Annotated[
    Path | None,
    typer.Option(help="TOML laid over the default config (columns, features, model, split)."),
]


def _config(path: Path | None, settings: Settings) -> DemandConfig:
    """``--config`` when given, else ``OPSCAST_DEMAND_CONFIG``, over the shipped default."""
    from opscast.demand.config import load_config

    with user_errors():
        return load_config(path or settings.demand_config)


def _paths(settings: Settings, *given: tuple[Path | None, str]) -> list[Path]:
    """Each path as given, or its default name under ``var/demand/``."""
    from opscast.demand.service import demand_dir

    return [path or demand_dir(settings.var_dir) / name for path, name in given]


def _print(payload: dict[str, Any]) -> None:
    typer.echo(json.dumps(payload, indent=2, default=str))


@app.command()
def prepare(
    input: Annotated[Path, typer.Option("--input", help="Sales CSV: date, store, item, sales.")],
    output: Annotated[
        Path | None, typer.Option(help="Prepared Parquet [var/demand/prepared.parquet]")
    ] = None,
    report: Annotated[
        Path | None, typer.Option(help="JSON report with the bad rows [var/demand/prepare.json]")
    ] = None,
    config: ConfigOption = None,
    record: Annotated[
        bool,
        typer.Option(help="Make it the current data set (drift checks and retraining use it)."),
    ] = True,
) -> None:
    """Validate, clean and sort a sales CSV; bad rows are left out and listed with line numbers."""
    from opscast.demand import pipeline

    settings = load_settings()
    output, report = _paths(settings, (output, "prepared.parquet"), (report, "prepare.json"))
    cfg = _config(config, settings)
    with user_errors(), steps("prepare") as step:
        step(f"reading {input.name}", 0.1)
        prepared = pipeline.prepare(input, output, report, cfg)
        step("recording the data set", 0.9)
        if record:
            from opscast.demand.service import record_dataset

            with open_database(settings) as database, database.session() as session:
                record_dataset(session, prepared, output, str(input))
    for bad in prepared.bad[:20]:
        typer.secho(
            f"line {bad.line}: {bad.column} {bad.value!r}: {bad.reason}",
            fg=typer.colors.YELLOW,
            err=True,
        )
    if prepared.bad_count > 20:
        typer.secho(
            f"... {prepared.bad_count - 20} more in {report}", fg=typer.colors.YELLOW, err=True
        )
    summary = prepared.summary()
    summary.pop("bad_rows_shown")
    _print({"output": str(output), "report": str(report), **summary})


@app.command()
def features(
    data: Annotated[
        Path | None, typer.Option(help="Prepared Parquet [var/demand/prepared.parquet]")
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="Features Parquet [var/demand/features.parquet]")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Calendar, lags and rolling means that a forecast `horizon` days ahead could know."""
    from opscast.demand import pipeline

    settings = load_settings()
    data, output = _paths(settings, (data, "prepared.parquet"), (output, "features.parquet"))
    cfg = _config(config, settings)
    with user_errors(), steps("features") as step:
        step(f"lags {cfg.features.lags}, windows {cfg.features.windows}", 0.1)
        built = pipeline.features(data, output, cfg)
    _print(
        {
            "output": str(output),
            "rows": len(built),
            "horizon": cfg.features.horizon,
            "columns": cfg.features.spec().columns,
        }
    )


@app.command()
def train(
    features: Annotated[
        Path | None, typer.Option(help="Features Parquet [var/demand/features.parquet]")
    ] = None,
    output: Annotated[Path | None, typer.Option(help="Model file [var/demand/model.pkl]")] = None,
    summary: Annotated[
        Path | None, typer.Option(help="Training summary JSON [var/demand/train.json]")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Fit one global model over every store-item series, stopping early before the holdout."""
    from opscast.demand import pipeline

    settings = load_settings()
    features, output, summary = _paths(
        settings, (features, "features.parquet"), (output, "model.pkl"), (summary, "train.json")
    )
    cfg = _config(config, settings)
    with user_errors(), steps(f"train {cfg.model.engine}") as step:
        step("loading features", 0.0)
        trained = pipeline.fit(
            features,
            output,
            summary,
            cfg,
            on_round=lambda done, total: step(f"round {done} of at most {total}", done / total),
        )
    _print(
        {
            "output": str(output),
            "engine": trained.booster.engine,
            "best_iteration": trained.booster.best_iteration,
            "training_rows": trained.rows,
            "split": trained.split.summary(),
        }
    )


@app.command()
def evaluate(
    features: Annotated[
        Path | None, typer.Option(help="Features Parquet [var/demand/features.parquet]")
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Model file [var/demand/model.pkl]")] = None,
    output_dir: Annotated[
        Path | None, typer.Option(help="Metrics and charts [var/demand/evaluation]")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(help="Prepared Parquet, to register [var/demand/prepared.parquet]"),
    ] = None,
    register: Annotated[
        bool,
        typer.Option(
            help="Register in the model registry as store-demand (promoted only if not worse)."
        ),
    ] = True,
) -> None:
    """Score the chronological holdout (MAE, RMSE, MAPE, sMAPE, MASE), draw actual vs predicted."""
    from opscast.demand import pipeline

    settings = load_settings()
    features, model, output_dir, data = _paths(
        settings,
        (features, "features.parquet"),
        (model, "model.pkl"),
        (output_dir, "evaluation"),
        (data, "prepared.parquet"),
    )
    payload: dict[str, Any] = {}
    with user_errors(), steps("evaluate") as step:
        evaluation, files = pipeline.score(
            features, model, output_dir, on_step=lambda text: step(text, 0.3)
        )
        payload = {
            "metrics": evaluation.metrics,
            "files": {
                key: str(value) for key, value in _paths_of(files).items() if value is not None
            },
        }
        if files.png is None:
            payload["png"] = "skipped: install the pipeline extra (matplotlib) for PNG charts"
        if register:
            payload["registry"] = _register(model, evaluation, data, settings, step)
    _print(payload)


def _paths_of(files: Any) -> dict[str, Any]:
    return {name: getattr(files, name) for name in files.__slots__}


def _register(
    model_path: Path, evaluation: Any, data: Path, settings: Settings, step: Step
) -> dict[str, Any]:
    from opscast.demand import pipeline
    from opscast.demand.service import register_model
    from opscast.registry import ModelStore

    trained = pipeline.load_model(model_path)
    prepared = pipeline.read_frame(data, "data")
    store = ModelStore.from_settings(settings)
    with open_database(settings) as database, database.session() as session:
        outcome = register_model(
            store,
            session,
            trained,
            evaluation,
            prepared,
            requested_by="cli",
            progress=lambda fraction, text: step(text, 0.5 + 0.5 * fraction),
        )
    return {
        "task": outcome.version.task,
        "version": outcome.version.version,
        "promoted": outcome.promoted,
        "reason": outcome.decision.reason,
    }


@app.command()
def drift(
    data: Annotated[
        Path | None, typer.Option(help="Prepared Parquet [var/demand/prepared.parquet]")
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Model file [var/demand/model.pkl]")] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(help="Metrics with the baseline MAPE [var/demand/evaluation/metrics.json]"),
    ] = None,
    output_dir: Annotated[
        Path | None, typer.Option(help="drift.json and drift.html [var/demand/drift]")
    ] = None,
    record: Annotated[
        bool,
        typer.Option(
            help="Store the report in the database (GET /drift/reports?kind=demand, "
            "the dashboard's demand page)."
        ),
    ] = True,
) -> None:
    """Data drift per feature and concept drift (MAPE above the baseline by more than 20 %)."""
    from opscast.demand import pipeline

    settings = load_settings()
    data, model, baseline, output_dir = _paths(
        settings,
        (data, "prepared.parquet"),
        (model, "model.pkl"),
        (baseline, "evaluation/metrics.json"),
        (output_dir, "drift"),
    )
    report_id: int | None = None
    with user_errors(), steps("drift") as step:
        result = pipeline.drift(
            data, model, baseline, output_dir, on_step=lambda text: step(text, 0.3)
        )
        if record:
            from opscast.demand.service import record_drift

            step("recording the report", 0.9)
            with open_database(settings) as database, database.session() as session:
                report_id = record_drift(session, result, version=None, source="cli").id
    summary = result.summary()
    _print(
        {
            "retrain": summary["retrain"],
            "reason": summary["reason"],
            "drifted_features": result.data.drifted_columns,
            "concept_drift": summary["concept_drift"],
            "files": {
                "json": str(output_dir / "drift.json"),
                "html": str(output_dir / "drift.html"),
            },
            **({"report": f"/drift/reports/{report_id}/html"} if report_id is not None else {}),
        }
    )


@app.command()
def retrain(
    drift_result: Annotated[
        Path | None,
        typer.Option(
            "--drift", help="drift.json of `opscast demand drift` [var/demand/drift/drift.json]"
        ),
    ] = None,
    data: Annotated[
        Path | None, typer.Option(help="Prepared Parquet [var/demand/prepared.parquet]")
    ] = None,
    output: Annotated[
        Path | None, typer.Option(help="Outcome JSON [var/demand/retrain.json]")
    ] = None,
    config: ConfigOption = None,
    force: Annotated[
        bool, typer.Option(help="Retrain even when the drift check did not ask for it.")
    ] = False,
) -> None:
    """When drift says so, retrain on the data and promote only if not worse on the same holdout."""
    from opscast.demand import pipeline

    settings = load_settings()
    drift_result, data, output = _paths(
        settings,
        (drift_result, "drift/drift.json"),
        (data, "prepared.parquet"),
        (output, "retrain.json"),
    )
    with user_errors():
        verdict = (
            pipeline.read_json(drift_result, "drift")
            if not force
            else {"retrain": True, "reason": "forced"}
        )
    if not verdict.get("retrain"):
        payload = {
            "retrained": False,
            "reason": f"no retrain asked for ({drift_result}): {verdict.get('reason', '')}",
        }
        pipeline.write_json(output, payload)
        _print(payload)
        return
    from opscast.demand.service import train_and_register
    from opscast.registry import ModelStore
    from opscast.retraining.service import policy_or_default

    cfg = _config(config, settings)
    store = ModelStore.from_settings(settings)
    with (
        open_database(settings) as database,
        user_errors(),
        steps("retrain") as step,
        database.session() as session,
    ):
        prepared = pipeline.read_frame(data, "data")
        tolerance = policy_or_default(session, "demand").tolerance
        result = train_and_register(
            store,
            session,
            prepared,
            cfg,
            requested_by="cli",
            tolerance=tolerance,
            progress=lambda fraction, text: step(text, fraction),
        )
    outcome = result.outcome
    payload = {
        "retrained": True,
        "reason": verdict.get("reason"),
        "version": outcome.version.version,
        "promoted": outcome.promoted,
        "decision": outcome.decision.reason,
        "metrics": result.evaluation.metrics,
    }
    pipeline.write_json(output, payload)
    _print(payload)
