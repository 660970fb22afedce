"""``opscast forecast`` and ``opscast backtest`` on CSV files, as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from opscast.cli import app


def write_series(path: Path, hours: int = 24 * 20) -> Path:
    rng = np.random.default_rng(5)
    ds = pd.date_range("2024-03-01", periods=hours, freq="h")
    daily = 100 + 40 * np.sin(2 * np.pi * ds.hour / 24)
    weekly = 1 + 0.2 * (ds.dayofweek < 5)
    frames = [
        pd.DataFrame(
            {"unique_id": uid, "ds": ds, "y": daily * weekly * k + rng.normal(0, 3, hours)}
        )
        for k, uid in ((1, "api"), (2, "web"))
    ]
    pd.concat(frames).to_csv(path, index=False)
    return path


def test_forecast_with_two_seasons_and_intervals(tmp_path: Path) -> None:
    source = write_series(tmp_path / "traffic.csv")
    output = tmp_path / "out" / "forecast.csv"
    result = CliRunner().invoke(
        app,
        [
            "forecast", "--input", str(source), "--horizon", "24", "--output", str(output),
            "--model", "mstl", "--season-length", "24", "--season-length", "168",
            "--level", "80",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(output)
    assert frame.columns.tolist() == ["unique_id", "ds", "mstl", "mstl-lo-80", "mstl-hi-80"]
    assert frame.groupby("unique_id").size().to_dict() == {"api": 24, "web": 24}
    assert (frame["mstl-lo-80"] <= frame["mstl"]).all()


def test_auto_reports_what_it_tried(tmp_path: Path) -> None:
    source = write_series(tmp_path / "traffic.csv")
    output = tmp_path / "forecast.csv"
    result = CliRunner().invoke(
        app,
        [
            "forecast", "--input", str(source), "--horizon", "12", "--output", str(output),
            "--season-length", "24", "--time-budget", "0",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "models used:" in result.output
    assert "backtested: seasonal_naive on 2/2" in result.output
    assert "ets" not in result.output.split("backtested:")[1]
    assert len(pd.read_csv(output)) == 24


def test_backtest_writes_per_model_and_per_series_scores(tmp_path: Path) -> None:
    source = write_series(tmp_path / "traffic.csv")
    output = tmp_path / "scores.json"
    result = CliRunner().invoke(
        app,
        [
            "backtest", "--input", str(source), "--horizon", "24", "--windows", "2",
            "--output", str(output), "--model", "seasonal_naive", "--model", "naive",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(output.read_text())
    assert summary["season_length"] == 24
    assert set(summary["models"]) == {"seasonal_naive", "naive"}
    assert set(summary["per_series"]) == {"api", "web"}
    scores = summary["models"]["seasonal_naive"]
    assert set(scores) == {"mae", "rmse", "mape", "smape", "mase"}
    assert scores["mae"] < summary["models"]["naive"]["mae"]


def test_an_unknown_model_is_one_line_and_exit_2(tmp_path: Path) -> None:
    source = write_series(tmp_path / "traffic.csv")
    result = CliRunner().invoke(
        app,
        [
            "forecast",
            "-i",
            str(source),
            "-h",
            "3",
            "-o",
            str(tmp_path / "x.csv"),
            "--model",
            "lstm",
        ],
    )
    assert result.exit_code == 2
    assert "unknown model(s) lstm" in result.output
    assert not (tmp_path / "x.csv").exists()
