"""Accuracy and latency of the traffic endpoints' models on the NASA 1995 web logs.

Run: ``.venv/bin/python benchmarks/traffic_forecast.py [--quick]`` (needs
``../shared/data/web_traffic``; ``--quick`` runs the 5-minute timeframe on fewer
windows). Each model is trained once, as the service trains it, on the days before a
held-out span of the last ten days of August 1995; it then forecasts 12 steps from
many cutoffs in that span (12 a day; 4 at 1m and with ``--quick``), each time given
only the context before the cutoff, which is what a request does. The named peers get
the same contexts and windows: statsforecast's MSTL (daily season, AutoETS trend),
refitted on each context as a statistical model must be, and statsforecast's seasonal
naive (yesterday's value).
Latency is the wall time of one forecast from a context, fitting included for peers.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any, Self

import pandas as pd

from opscast.config import Settings
from opscast.forecasting.context import fill_seasonal_gaps
from opscast.forecasting.context_models import (
    ContextForecaster,
    available_context_models,
    context_forecaster,
    rolling_origin,
    score,
)
from opscast.traffic.schemas import Timeframe
from opscast.traffic.service import N_ESTIMATORS, NASA_FOLDER, TIMEFRAMES, read_nasa_history

HORIZON = 12
TEST_DAYS = 10


class RefittedStatsforecast:
    """A statsforecast model fitted anew on every context it is asked to forecast from."""

    def __init__(self, name: str, *, freq: str, season_length: int) -> None:
        self.name = name
        self.freq = freq
        self.season_length = season_length

    @property
    def context_length(self) -> int:
        return 3 * self.season_length

    def fit(self, history: pd.Series) -> Self:
        return self

    def _model(self) -> Any:
        from statsforecast import models

        if self.name == "statsforecast MSTL":
            return models.MSTL(
                season_length=self.season_length, trend_forecaster=models.AutoETS(model="ZZN")
            )
        return models.SeasonalNaive(season_length=self.season_length)

    def predict(self, context: pd.Series, h: int) -> pd.Series:
        from statsforecast import StatsForecast

        recent = context.iloc[-self.context_length :]
        frame = pd.DataFrame({"unique_id": "traffic", "ds": recent.index, "y": recent.to_numpy()})
        model = self._model()
        result = StatsForecast(models=[model], freq=self.freq, n_jobs=1).forecast(df=frame, h=h)
        values = result[str(model)].to_numpy().clip(0.0, None)
        return pd.Series(values, index=pd.DatetimeIndex(result["ds"]), name=self.name)


def measure(
    model: ContextForecaster,
    values: pd.Series,
    *,
    test_points: int,
    step: int,
    insample: pd.Series,
    season_length: int,
) -> dict[str, float]:
    windows = (test_points - HORIZON) // step + 1
    started = time.perf_counter()
    points = rolling_origin(model, values, h=HORIZON, step=step, n_windows=windows)
    elapsed = time.perf_counter() - started
    return {
        "windows": windows,
        "ms": 1000 * elapsed / windows,
        **score(points, insample, season_length),
    }


def markdown(table: pd.DataFrame) -> str:
    def cell(value: object) -> str:
        return f"{value:.2f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += [
        "| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False)
    ]
    return "\n".join(lines)


def run(timeframe: Timeframe, data_dir: Path, windows_per_day: int) -> list[dict[str, Any]]:
    spec = TIMEFRAMES[timeframe]
    history = fill_seasonal_gaps(read_nasa_history(data_dir / NASA_FOLDER / spec.nasa_file, spec))
    test_points = TEST_DAYS * spec.season_length
    train_end = len(history) - test_points
    train = history.iloc[train_end - (spec.train_days - 1) * spec.season_length : train_end]
    step = spec.season_length // windows_per_day
    rows = []
    candidates: list[ContextForecaster] = [
        context_forecaster(
            name, freq=spec.freq, season_length=spec.season_length, n_estimators=N_ESTIMATORS
        )
        for name in available_context_models()
    ]
    candidates += [
        RefittedStatsforecast(name, freq=spec.freq, season_length=spec.season_length)
        for name in ("statsforecast MSTL", "statsforecast seasonal naive")
    ]
    for model in candidates:
        started = time.perf_counter()
        model.fit(train)
        fit_seconds = time.perf_counter() - started
        result = measure(
            model,
            history,
            test_points=test_points,
            step=step,
            insample=train,
            season_length=spec.season_length,
        )
        rows.append(
            {"timeframe": timeframe.value, "model": model.name, "fit_s": fit_seconds, **result}
        )
        print(f"  {timeframe.value} {model.name}: mae {result['mae']:.1f}", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5m only, 4 windows a day")
    args = parser.parse_args()
    data_dir = Settings().data_dir
    if not (data_dir / NASA_FOLDER).is_dir():
        raise SystemExit(f"the NASA traffic is absent: {data_dir / NASA_FOLDER}")
    timeframes = [Timeframe.five_minutes] if args.quick else list(TIMEFRAMES)
    rows = []
    for timeframe in timeframes:
        # refitting MSTL on four days of minutes takes seconds: fewer windows there
        per_day = 4 if args.quick or timeframe is Timeframe.one_minute else 12
        rows += run(timeframe, data_dir, per_day)
    table = pd.DataFrame(rows)
    peer = table[table["model"] == "statsforecast MSTL"].set_index("timeframe")
    table["mae / MSTL"] = table["mae"] / table["timeframe"].map(peer["mae"])
    table["latency / MSTL"] = table["ms"] / table["timeframe"].map(peer["ms"])
    columns = ["timeframe", "model", "windows", "mae", "rmse", "smape", "mase", "mae / MSTL"]
    columns += ["ms", "latency / MSTL", "fit_s"]
    print(markdown(table[columns]))


if __name__ == "__main__":
    main()
