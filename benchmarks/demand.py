"""Store-item demand: opscast's global model against three peers on the real data, one run.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/demand.py [--data PATH] [--skip-ets]``.
Data: ``../shared/data/store_demand/train.csv`` (913,000 rows, 500 series, 2013-2017).
Holdout: 2017-10-01..2017-12-31 (92 days, the end of the data); every model sees only
what came before it, and forecasts the whole holdout at once, as the competition asked.

- opscast: the full pipeline (prepare the CSV, horizon-safe features, one global
  LightGBM, score, forecast table), with the shipped config except the horizon, set to
  92 so that no feature of the last holdout day reaches into the holdout. Its wall time,
  CPU time and peak memory (the process's peak RSS, measured before any peer runs) are
  reported.
- seasonal naive: the same weekday one year (364 days) before.
- AutoETS: statsforecast as its users run it, ``StatsForecast(models=[AutoETS(
  season_length=7)], freq="D", n_jobs=1)``: one model per series, the weekly season of
  daily data, statsforecast's default model search (every error, trend and season
  form that suits the series), one process like opscast's one thread. The search is
  what costs: about 1.3 s of CPU per series of 1,700 days (a single fixed form, ANA,
  takes a twentieth of that), so some 11 minutes of CPU for the 500 series, and on a
  machine loaded tenfold well over an hour of wall time.
- mlforecast LightGBM: one global LGBMRegressor with default parameters over lags 1, 7,
  14 and 28 and day-of-week and month features, forecasting recursively.

sMAPE is the competition's (0 when actual and forecast are both 0), MAE in units.
Times are wall clock with CPU time beside them; the machine is shared, so wall time
varies with its load and CPU time is the steadier figure.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from opscast.demand.config import load_config
from opscast.demand.prepare import prepare_csv
from opscast.demand.training import build_features, evaluate, forecast_table, train
from opscast.timeseries.metrics import mae, smape

HOLDOUT_START = pd.Timestamp("2017-10-01")
HOLDOUT_END = pd.Timestamp("2017-12-31")
HOLDOUT_DAYS = (HOLDOUT_END - HOLDOUT_START).days + 1


def timed(label: str, results: dict[str, dict[str, float]], start: tuple[float, float]) -> None:
    results[label]["wall_s"] = time.perf_counter() - start[0]
    results[label]["cpu_s"] = time.process_time() - start[1]
    print(f"done: {label} {results[label]}", file=sys.stderr, flush=True)


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def run(data: Path, skip_ets: bool) -> None:
    results: dict[str, dict[str, float]] = {}
    base = load_config()
    config = base.model_copy(
        update={
            "features": base.features.model_copy(
                update={"horizon": HOLDOUT_DAYS, "lags": [98, 105, 182, 364, 728]}
            ),
            "split": base.split.model_copy(update={"holdout_days": HOLDOUT_DAYS}),
        }
    )
    start = clock()
    prepared = prepare_csv(data, config.data).frame
    features = build_features(prepared, config)
    trained = train(features, config)
    evaluation = evaluate(trained, features, trained.split)
    forecast_table(trained, prepared, evaluation.metrics)
    results["opscast (global LightGBM)"] = {}
    timed("opscast (global LightGBM)", results, start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert trained.split.holdout_start == HOLDOUT_START, trained.split
    holdout = evaluation.predictions.rename(columns={"predicted": "opscast"})
    results["opscast (global LightGBM)"].update(
        smape=smape(holdout["y"], holdout["opscast"]), mae=mae(holdout["y"], holdout["opscast"])
    )

    history = prepared.loc[prepared["ds"] < HOLDOUT_START, ["unique_id", "ds", "y"]]
    truth = prepared.loc[prepared["ds"] >= HOLDOUT_START, ["unique_id", "ds", "y"]]

    start = clock()
    last_year = prepared[["unique_id", "ds", "y"]].assign(
        ds=lambda f: f["ds"] + pd.Timedelta(days=364)
    )
    naive = truth.merge(last_year.rename(columns={"y": "naive"}), on=["unique_id", "ds"])
    results["seasonal naive (weekday, last year)"] = {
        "smape": smape(naive["y"], naive["naive"]),
        "mae": mae(naive["y"], naive["naive"]),
    }
    timed("seasonal naive (weekday, last year)", results, start)

    if not skip_ets:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS

        start = clock()
        ets = StatsForecast(models=[AutoETS(season_length=7)], freq="D", n_jobs=1).forecast(
            df=history, h=HOLDOUT_DAYS
        )
        scored = truth.merge(ets, on=["unique_id", "ds"])
        results["AutoETS per series (statsforecast)"] = {
            "smape": smape(scored["y"], scored["AutoETS"]),
            "mae": mae(scored["y"], scored["AutoETS"]),
        }
        timed("AutoETS per series (statsforecast)", results, start)

    from lightgbm import LGBMRegressor
    from mlforecast import MLForecast

    start = clock()
    mlf = MLForecast(
        models={"lgbm": LGBMRegressor(n_jobs=1, verbosity=-1, random_state=0)},
        freq="D",
        lags=[1, 7, 14, 28],
        date_features=["dayofweek", "month"],
    )
    mlf.fit(history)
    recursive = mlf.predict(HOLDOUT_DAYS)
    scored = truth.merge(recursive, on=["unique_id", "ds"])
    results["mlforecast LightGBM (lags 1,7,14,28)"] = {
        "smape": smape(scored["y"], scored["lgbm"]),
        "mae": mae(scored["y"], scored["lgbm"]),
    }
    timed("mlforecast LightGBM (lags 1,7,14,28)", results, start)

    ours = results["opscast (global LightGBM)"]["smape"]
    print(
        f"holdout {HOLDOUT_START:%Y-%m-%d}..{HOLDOUT_END:%Y-%m-%d} ({HOLDOUT_DAYS} days), "
        f"{truth['unique_id'].nunique()} series, {len(truth):,} points"
    )
    print("| model | sMAPE | MAE | sMAPE / opscast's | wall s | CPU s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, row in results.items():
        print(
            f"| {name} | {row['smape']:.2f} | {row['mae']:.2f} | {row['smape'] / ours:.2f} | "
            f"{row['wall_s']:.1f} | {row['cpu_s']:.1f} |"
        )
    print(
        f"opscast full pipeline (prepare, features, train, evaluate, forecast table): "
        f"{results['opscast (global LightGBM)']['wall_s']:.1f} s wall, "
        f"{results['opscast (global LightGBM)']['cpu_s']:.1f} s CPU, peak RSS {peak_mb:,.0f} MB; "
        f"best iteration {trained.booster.best_iteration}, {trained.rows:,} training rows"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/store_demand/train.csv"))
    parser.add_argument(
        "--skip-ets", action="store_true", help="leave out AutoETS (about 11 minutes of CPU)"
    )
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"no {args.data}; pass --data with the store-item train.csv")
    np.seterr(all="ignore")
    run(args.data, args.skip_ets)


if __name__ == "__main__":
    main()
