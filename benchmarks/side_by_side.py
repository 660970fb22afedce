"""Speed, accuracy and memory of opscast next to statsforecast, mlforecast and Prophet.

Run: ``nice .venv/bin/python benchmarks/side_by_side.py [--quick]``. Daily demand series
from ``opscast.simulate.simulate_demand`` (one year of history, horizon 28, season 7):
1,000 series for every model and 10,000 for the models that scale (baselines and global
models). Each (tool, model, size) runs in a fresh process so that its peak resident
memory is its own; the time is fit + forecast inside that process, imports excluded.
The peers get the same models and settings (the LightGBM/XGBoost peers get the very
features and per-series scaling opscast uses), so the ratio opscast / peer is opscast's
overhead. AutoARIMA and Prophet run on a subsample of the 1,000 (``--arima-series``,
``--prophet-series``), the same for both sides. Prophet is measured only where the
``prophet`` package is installed, ``hybrid_lstm`` where torch is. ``--quick``: 100 and
1,000 series, small subsamples.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

H = 28
SEASON = 7
HISTORY_DAYS = 365
STATISTICAL = ["naive", "seasonal_naive", "historic_average", "theta", "ets", "mstl", "arima"]
GLOBAL = ["lightgbm", "xgboost"]
SCALABLE = ["naive", "seasonal_naive", "historic_average", "lightgbm", "xgboost"]
OPSCAST_ONLY = ["lightgbm_window", "hybrid", "auto", "ensemble"]


def simulate(series: int, seed: int) -> pd.DataFrame:
    from opscast.simulate import simulate_demand

    stores = 10
    frame = simulate_demand(stores=stores, items=series // stores, days=HISTORY_DAYS + H, seed=seed)
    return frame[["unique_id", "ds", "y"]]


def statsforecast_model(name: str) -> Any:
    from statsforecast import models

    return {
        "naive": models.Naive(),
        "seasonal_naive": models.SeasonalNaive(season_length=SEASON),
        "historic_average": models.HistoricAverage(),
        "theta": models.AutoTheta(season_length=SEASON),
        "ets": models.AutoETS(season_length=SEASON),
        "mstl": models.MSTL(season_length=[SEASON], trend_forecaster=models.AutoETS(model="ZZN")),
        "arima": models.AutoARIMA(season_length=SEASON, approximation=True, max_P=1, max_Q=1),
    }[name]


def run_peer(tool: str, model: str, train: pd.DataFrame) -> pd.DataFrame:
    if tool == "statsforecast":
        from statsforecast import StatsForecast

        fitted = StatsForecast(models=[statsforecast_model(model)], freq="D", n_jobs=1)
        result = fitted.forecast(df=train, h=H)
        return result.rename(columns={result.columns[-1]: "forecast"})
    if tool == "mlforecast":
        from mlforecast import MLForecast
        from mlforecast.target_transforms import LocalStandardScaler

        from opscast.forecasting.global_models import feature_plan, make_regressor

        shortest = int(train.groupby("unique_id").size().min())
        lags, transforms, dates = feature_plan("D", SEASON, shortest)
        forecaster = MLForecast(
            models={"forecast": make_regressor(model)},
            freq="D",
            lags=lags,
            lag_transforms=transforms,
            date_features=dates,
            target_transforms=[LocalStandardScaler()],
        )
        forecaster.fit(train, static_features=[])
        return forecaster.predict(h=H)
    if tool == "prophet":
        from prophet import Prophet

        parts = []
        for uid, group in train.groupby("unique_id"):
            fitted = Prophet().fit(group[["ds", "y"]])
            future = fitted.make_future_dataframe(periods=H, include_history=False)
            predicted = fitted.predict(future)
            parts.append(
                pd.DataFrame({"unique_id": uid, "ds": future["ds"], "forecast": predicted["yhat"]})
            )
        return pd.concat(parts, ignore_index=True)
    raise ValueError(tool)


def measure(tool: str, model: str, data_path: str, out: Any) -> None:
    """In a fresh process: import, then time fit + forecast, then report peak memory."""
    import logging
    import warnings

    warnings.filterwarnings("ignore", message="possible convergence problem")

    import mlforecast  # noqa: F401
    import statsforecast.models  # noqa: F401 - pulls in statsmodels, seconds on either side

    import opscast.forecasting  # noqa: F401 - imported before the clock starts

    for noisy in ("cmdstanpy", "prophet"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    train = pd.read_pickle(data_path)
    cpu_before = time.process_time()
    started = time.perf_counter()
    if tool == "opscast":
        from opscast.forecasting import forecast

        result = forecast(train, model, H).forecasts.rename(columns={model: "forecast"})
    else:
        result = run_peer(tool, model, train)
    seconds = time.perf_counter() - started
    # worker processes (opscast's per-series pool, statsforecast's n_jobs) count too; they
    # have ended by now, so their CPU time is in RUSAGE_CHILDREN
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_seconds = time.process_time() - cpu_before + children.ru_utime + children.ru_stime
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out.put((seconds, cpu_seconds, peak_mb, result[["unique_id", "ds", "forecast"]]))


def scores(result: pd.DataFrame, test: pd.DataFrame, train: pd.DataFrame) -> tuple[float, float]:
    from opscast.timeseries import evaluate

    joined = test.merge(result, on=["unique_id", "ds"], how="left")
    table = evaluate(
        joined, ["forecast"], insample=train, season_length=SEASON, metrics=["smape", "mase"]
    )
    means = table.groupby("metric")["forecast"].mean()
    return float(means["smape"]), float(means["mase"])


def run(
    tool: str, model: str, train: pd.DataFrame, test: pd.DataFrame, tmp: Path
) -> dict[str, Any]:
    path = tmp / f"train-{train['unique_id'].nunique()}.pkl"
    if not path.exists():
        train.to_pickle(path)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=measure, args=(tool, model, str(path), queue))
    process.start()
    seconds, cpu_seconds, peak_mb, result = queue.get()
    process.join()
    smape, mase = scores(result, test[test["unique_id"].isin(train["unique_id"])], train)
    row = {
        "series": int(train["unique_id"].nunique()),
        "model": model,
        "tool": tool,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_mb": peak_mb,
        "smape": smape,
        "mase": mase,
    }
    print(json.dumps(row), flush=True)
    return row


def neural_installed() -> bool:
    from opscast.forecasting.lstm_residuals import neural_available

    return neural_available()


def prophet_installed() -> bool:
    try:
        import prophet  # noqa: F401
    except ImportError:
        return False
    return True


def plan(args: argparse.Namespace) -> list[tuple[int, str, list[str], int | None]]:
    """(series, model, tools, subsample) in the order they run."""
    small, large = (100, 1000) if args.quick else (1000, 10000)
    steps: list[tuple[int, str, list[str], int | None]] = []
    for model in STATISTICAL:
        subsample = args.arima_series if model == "arima" else None
        steps.append((small, model, ["opscast", "statsforecast"], subsample))
    steps += [(small, model, ["opscast", "mlforecast"], None) for model in GLOBAL]
    steps += [(small, model, ["opscast"], None) for model in OPSCAST_ONLY]
    if neural_installed():
        steps.append((small, "hybrid_lstm", ["opscast"], None))
    if prophet_installed():
        steps.append((small, "prophet", ["opscast", "prophet"], args.prophet_series))
    for model in SCALABLE:
        peer = "mlforecast" if model in GLOBAL else "statsforecast"
        steps.append((large, model, ["opscast", peer], None))
    if args.models:
        steps = [step for step in steps if step[1] in args.models]
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--arima-series", type=int, default=200)
    parser.add_argument("--prophet-series", type=int, default=100)
    parser.add_argument("--models", nargs="*", help="run only these models")
    parser.add_argument("--table", type=Path, nargs="*", help="print the table of saved runs")
    parser.add_argument("--output", type=Path, default=Path("var/benchmarks/side_by_side.json"))
    args = parser.parse_args()
    if args.table:
        print_table([row for path in args.table for row in json.loads(path.read_text())])
        return
    if args.quick:
        args.arima_series = min(args.arima_series, 20)
        args.prophet_series = min(args.prophet_series, 10)
    if not prophet_installed():
        print("prophet is not installed: its rows are skipped", file=sys.stderr)
    frames: dict[int, tuple[pd.DataFrame, pd.DataFrame]] = {}
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for series, model, tools, subsample in plan(args):
            if series not in frames:
                data = simulate(series, seed=series)
                cut = data["ds"].max() - pd.Timedelta(days=H)
                frames[series] = (data[data["ds"] <= cut], data[data["ds"] > cut])
            train, test = frames[series]
            if subsample is not None:
                keep = train["unique_id"].drop_duplicates().head(subsample)
                train = train[train["unique_id"].isin(keep)]
            for tool in tools:
                rows.append(run(tool, model, train, test, tmp))
            args.output.parent.mkdir(parents=True, exist_ok=True)
            args.output.write_text(json.dumps(rows, indent=2))
    print_table(rows)


def print_table(rows: list[dict[str, Any]]) -> None:
    """Wall and CPU seconds; the ratio is of CPU seconds where measured, which a busy
    machine disturbs far less than wall time (runs before CPU time was kept show wall)."""
    table = pd.DataFrame(rows)
    if "cpu_seconds" not in table:
        table["cpu_seconds"] = np.nan
    print(
        "\n| series | model | opscast s wall / cpu | peer | peer s wall / cpu | ratio "
        "| opscast sMAPE / MASE | peer sMAPE / MASE | opscast / peer peak MB |"
    )
    print("| ---: | --- | ---: | --- | ---: | ---: | --- | --- | --- |")

    def cost(row: Any) -> float:
        return float(row.seconds if np.isnan(row.cpu_seconds) else row.cpu_seconds)

    def times(row: Any) -> str:
        cpu = "" if np.isnan(row.cpu_seconds) else f" / {row.cpu_seconds:.1f}"
        return f"{row.seconds:.1f}{cpu}"

    for (series, model), group in table.groupby(["series", "model"], sort=False):
        ours = group[group["tool"] == "opscast"].iloc[0]
        peers = group[group["tool"] != "opscast"]
        if peers.empty:
            print(
                f"| {series:,} | {model} | {times(ours)} | (opscast only) | | | "
                f"{ours.smape:.2f} / {ours.mase:.3f} | | {ours.peak_mb:.0f} |"
            )
            continue
        peer = peers.iloc[0]
        print(
            f"| {series:,} | {model} | {times(ours)} | {peer.tool} | {times(peer)} | "
            f"{cost(ours) / cost(peer):.2f} | {ours.smape:.2f} / {ours.mase:.3f} | "
            f"{peer.smape:.2f} / {peer.mase:.3f} | {ours.peak_mb:.0f} / {peer.peak_mb:.0f} |"
        )


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
