"""Demand drift on the real data: quiet on a normal quarter, firing on a shifted one.

Run: ``PYTHONPATH=src .venv/bin/python benchmarks/demand_drift.py [--data PATH]``.
Data: ``../shared/data/store_demand/train.csv`` (913,000 rows, 500 series, 2013-2017).

The shipped pipeline (horizon 90, holdout 90) is trained on the data through
2017-09-30, so its registered baseline MAPE is that of its own holdout (July to
September). ``opscast demand drift``'s check (``demand.drift_check.check_drift``) then
runs on three data sets whose newest 90 days (2017-10-03..12-31) the model never saw:

- the real data: nothing happened, so no retrain should be asked for;
- the real data with those 90 days' sales multiplied by 1.5 (demand jumped);
- the real data with those 90 days' sales multiplied by 0.6 (demand fell).

The check asks for a retrain when the model's MAPE on the newest window is more than
20 % above the registered one; the features that moved are its explanation.

Beside the seasonal comparison the check makes (the newest window against the same
weeks a year earlier), the table shows what a naive per-feature test says: the newest
window against the 90 days before it, which a yearly cycle makes "drift" every quarter.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from opscast.demand.config import load_config
from opscast.demand.drift_check import check_drift, drift_columns
from opscast.demand.prepare import prepare_csv
from opscast.demand.training import build_features, evaluate, train
from opscast.drift import DataDriftResult, detect_data_drift

TRAINED_THROUGH = pd.Timestamp("2017-09-30")
SHIFTS = {"real data (no change)": 1.0, "sales x 1.5": 1.5, "sales x 0.6": 0.6}


def naive_drift(features: pd.DataFrame, columns: list[str], days: int) -> DataDriftResult:
    """Per-feature drift of the newest window against the window just before it."""
    known = features.dropna(subset=["y"])
    end = known["ds"].max()
    start = end - pd.Timedelta(days=days - 1)
    before = start - pd.Timedelta(days=days)
    current = known.loc[known["ds"] >= start, columns]
    previous = known.loc[(known["ds"] >= before) & (known["ds"] < start), columns]
    return detect_data_drift(previous, current, columns=columns)


def _moved(result: DataDriftResult, total: int) -> str:
    names = result.drifted_columns
    return f"{len(names)} of {total}" + (f": {', '.join(names)}" if names else "")


def run(data: Path) -> None:
    config = load_config()
    started = time.perf_counter()
    prepared = prepare_csv(data, config.data).frame
    past = prepared.loc[prepared["ds"] <= TRAINED_THROUGH]
    past_features = build_features(past, config)
    trained = train(past_features, config)
    baseline = evaluate(trained, past_features, trained.split).metrics["mape"]
    print(
        f"model trained through {TRAINED_THROUGH:%Y-%m-%d}, holdout "
        f"{trained.split.summary()['holdout']}, baseline MAPE {baseline:.2f} "
        f"({time.perf_counter() - started:.0f} s)",
        file=sys.stderr,
        flush=True,
    )
    columns = drift_columns(config)
    print(
        f"model trained through {TRAINED_THROUGH:%Y-%m-%d}, registered MAPE {baseline:.2f} "
        f"(holdout {trained.split.summary()['holdout']})"
    )
    print(
        "| newest 90 days | retrain | MAPE | features that moved against the same weeks a "
        "year before | against the 90 days before (naive) | naive dataset drift |"
    )
    print("| --- | --- | ---: | --- | --- | --- |")
    newest_start = prepared["ds"].max() - pd.Timedelta(days=config.split.holdout_days - 1)
    for name, factor in SHIFTS.items():
        shifted = prepared.copy()
        late = shifted["ds"] >= newest_start
        shifted.loc[late, "y"] = (shifted.loc[late, "y"] * factor).round()
        features = build_features(shifted, config)
        result = check_drift(trained, features, baseline, config)
        naive = naive_drift(features, columns, config.split.holdout_days)
        print(
            f"| {name} | {'yes' if result.retrain else 'no'} | {result.concept.current:.2f} | "
            f"{_moved(result.data, len(columns))} | {_moved(naive, len(columns))} | "
            f"{'yes' if naive.dataset_drift else 'no'} |",
            flush=True,
        )
    print(f"windows: {result.current_window} against {result.reference_window}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/store_demand/train.csv"))
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"no {args.data}; pass --data with the store-item train.csv")
    run(args.data)


if __name__ == "__main__":
    main()
