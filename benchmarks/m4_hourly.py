"""M4 Hourly accuracy: sMAPE, MASE and OWA of opscast's models, scored as M4 scored them.

Run: ``nice .venv/bin/python benchmarks/m4_hourly.py [--quick] [--data-dir ../shared/data]``.
The 414 hourly series (``m4/Hourly-train.csv``, wide, no timestamps) become a long
frame with integer ``ds``; every model forecasts 48 steps with season 24, and ``auto``
runs through the command line (``opscast forecast ... --model auto``) exactly as a user
would, with the daily and weekly cycles (24 and 168) that hourly timestamps get by
default and a 95 % interval. OWA is relative to Naive2 computed here; the published rows
come from the M4 paper (Makridakis et al., 2020) for comparison. The 95 % intervals
(conformal, from each model's backtest) are scored with M4's MSIS and their coverage;
``--no-intervals`` skips them for the single models, whose backtest triples their cost.
CPU seconds include worker processes. ``--quick`` takes 40 series and the cheap models;
``--only hybrid hybrid_lstm`` runs just those models (and Naive2, which OWA needs),
without ``auto``. ``hybrid_lstm`` runs when the neural extra is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from opscast.forecasting import forecast
from opscast.forecasting.lstm_residuals import neural_available
from opscast.forecasting.m4_scoring import interval_scores, m4_scores, naive2

H = 48
SEASON = 24
LEVEL = 95
PUBLISHED = [
    ("Naive2 (M4 benchmark)", 1.000),
    ("sNaive (M4 benchmark)", 0.627),
    ("Theta (M4 benchmark)", 1.006),
    ("Smyl ES-RNN (M4 winner)", 0.440),
    ("best hourly entry", 0.410),
]
# (row label, model, extra seasons). arima is left out of the per-model rows: about 3 s
# per series here, 20 minutes for the set; auto still tries it within its budget.
MODELS = [
    ("lightgbm_window (24, 168)", "lightgbm_window", (24, 168)),
    ("seasonal_naive", "seasonal_naive", ()),
    ("naive", "naive", ()),
    ("theta", "theta", ()),
    ("lightgbm", "lightgbm", ()),
    ("xgboost", "xgboost", ()),
    ("ets", "ets", ()),
    ("mstl (24, 168)", "mstl", (24, 168)),
    ("hybrid (mstl + lightgbm)", "hybrid", (24, 168)),
    ("hybrid_lstm (mstl + lstm)", "hybrid_lstm", (24, 168)),
    ("ensemble", "ensemble", ()),
]
QUICK_MODELS = {"seasonal_naive", "naive", "theta", "lightgbm", "lightgbm_window"}


def cpu_now() -> float:
    """CPU seconds of this process and of every child it has waited for."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def wide_to_long(path: Path, first: int = 0) -> pd.DataFrame:
    wide = pd.read_csv(path)
    if first:
        wide = wide.head(first)
    long = wide.melt(id_vars="V1", var_name="column", value_name="y").dropna()
    long["ds"] = long["column"].str[1:].astype(int) - 2
    return (
        long.rename(columns={"V1": "unique_id"})[["unique_id", "ds", "y"]]
        .sort_values(["unique_id", "ds"])
        .reset_index(drop=True)
    )


def held_out_frame(path: Path, train: pd.DataFrame, first: int = 0) -> pd.DataFrame:
    held = wide_to_long(path, first)
    last = train.groupby("unique_id")["ds"].max()
    held["ds"] = held["ds"] + held["unique_id"].map(last) + 1
    return held


def auto_through_cli(train: pd.DataFrame) -> tuple[pd.DataFrame, float, float]:
    """``auto`` as a user runs it: ``opscast forecast`` on a CSV; forecasts, wall and CPU s."""
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "hourly.csv"
        out = Path(tmp) / "auto.csv"
        train.to_csv(csv, index=False)
        started, cpu = time.perf_counter(), cpu_now()
        command = [
            str(Path(sys.executable).parent / "opscast"),
            "forecast",
            "--input", str(csv),
            "--horizon", str(H),
            "--season-length", str(SEASON),
            "--season-length", "168",
            "--level", str(LEVEL),
            "--model", "auto",
            "--output", str(out),
        ]  # fmt: skip
        subprocess.run(command, check=True, env=os.environ.copy())
        seconds, cpu_seconds = time.perf_counter() - started, cpu_now() - cpu
        result = pd.read_csv(out)
        return (
            result.rename(columns=lambda c: c.replace("auto", "auto (CLI)")),
            seconds,
            cpu_seconds,
        )


def naive2_frame(train: pd.DataFrame, test: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for uid, group in train.groupby("unique_id", sort=False):
        future = test.loc[test["unique_id"] == uid, "ds"].to_numpy()
        rows.append(
            pd.DataFrame(
                {"unique_id": uid, "ds": future, "naive2": naive2(group["y"].to_numpy(), H, 24)}
            )
        )
    return pd.concat(rows)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="+", metavar="MODEL", help="run only these models")
    parser.add_argument("--skip", nargs="+", default=[], metavar="MODEL", help="leave out")
    parser.add_argument("--no-intervals", action="store_true", help="no MSIS for single models")
    parser.add_argument("--data-dir", type=Path, default=Path("../shared/data"))
    parser.add_argument("--output", type=Path, default=Path("var/benchmarks/m4_hourly.json"))
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    folder = args.data_dir / "m4"
    if not (folder / "Hourly-train.csv").is_file():
        sys.exit(f"M4 Hourly not found under {folder}; pass --data-dir")
    first = 40 if args.quick else 0
    train = wide_to_long(folder / "Hourly-train.csv", first)
    test = held_out_frame(folder / "Hourly-test.csv", train, first)
    print(f"{train['unique_id'].nunique()} series, {len(train):,} training points", flush=True)

    predictions = test.copy()
    timings: dict[str, float] = {}
    cpu: dict[str, float] = {}
    with_intervals: list[str] = []
    predictions = predictions.merge(naive2_frame(train, test), on=["unique_id", "ds"])
    labels = ["naive2"]

    if not args.only:
        auto, timings["auto (CLI)"], cpu["auto (CLI)"] = auto_through_cli(train)
        predictions = predictions.merge(auto, on=["unique_id", "ds"])
        labels.append("auto (CLI)")
        with_intervals.append("auto (CLI)")
        print(f"auto (CLI): {timings['auto (CLI)']:.0f} s", flush=True)

    for label, model, seasons in MODELS:
        if (
            (args.quick and model not in QUICK_MODELS)
            or (args.only and model not in args.only)
            or model in args.skip
        ):
            continue
        if model == "hybrid_lstm" and not neural_available():
            print("hybrid_lstm skipped: the neural extra is not installed", flush=True)
            continue
        started, cpu_before = time.perf_counter(), cpu_now()
        levels = [] if args.no_intervals else [LEVEL]
        result = forecast(
            train, model, H, season_length=SEASON, seasons=seasons, levels=levels
        ).forecasts
        timings[label], cpu[label] = time.perf_counter() - started, cpu_now() - cpu_before
        predictions = predictions.merge(
            result.rename(columns={c: c.replace(model, label, 1) for c in result.columns}),
            on=["unique_id", "ds"],
        )
        labels.append(label)
        if levels:
            with_intervals.append(label)
        print(f"{label}: {timings[label]:.0f} s", flush=True)
        scores = m4_scores(predictions, train, labels, SEASON)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(
            json.dumps(
                {"scores": scores.to_dict("records"), "seconds": timings, "cpu": cpu}, indent=2
            )
        )

    scores = m4_scores(predictions, train, labels, SEASON)
    if with_intervals:
        intervals = interval_scores(predictions, train, with_intervals, SEASON, LEVEL)
        scores = scores.merge(intervals, on="model", how="left")
    else:
        scores = scores.assign(msis=np.nan, coverage=np.nan)
    scores = scores.sort_values("owa")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps({"scores": scores.to_dict("records"), "seconds": timings, "cpu": cpu}, indent=2)
    )
    print_table(scores, timings, cpu, int(train["unique_id"].nunique()))


def print_table(
    scores: pd.DataFrame, timings: dict[str, float], cpu: dict[str, float], series: int
) -> None:
    print(f"\n{series} series, h={H}, season {SEASON}\n")
    print(f"| model | sMAPE | MASE | OWA | MSIS ({LEVEL} %) | coverage | wall s / CPU s |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in scores.itertuples():
        seconds = timings.get(str(row.model), np.nan)
        shown = "" if np.isnan(seconds) else f"{seconds:.0f} / {cpu[str(row.model)]:.0f}"
        msis = "" if np.isnan(row.msis) else f"{row.msis:.2f}"
        coverage = "" if np.isnan(row.coverage) else f"{100 * row.coverage:.1f} %"
        print(
            f"| opscast {row.model} | {row.smape:.2f} | {row.mase:.3f} | {row.owa:.3f} "
            f"| {msis} | {coverage} | {shown} |"
        )
    for name, owa in PUBLISHED:
        print(f"| {name} (published) | | | {owa:.3f} | | | |")


if __name__ == "__main__":
    main()
