"""``opscast scale simulate`` as users run it: a seed-5 CSV in, JSON and charts out."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from opscast.cli import app
from opscast.simulate import simulate_traffic

runner = CliRunner()


def write_seed_csv(path: Path, days: int = 1) -> pd.DataFrame:
    frame = simulate_traffic(days=days, freq="5min", seed=5).drop(columns="unique_id")
    frame = frame.rename(columns={"ds": "timestamp", "y": "requests_count"})
    frame.to_csv(path, index=False)
    return frame


def test_simulate_writes_the_comparison_and_charts(tmp_path: Path) -> None:
    csv = tmp_path / "traffic.csv"
    frame = write_seed_csv(csv)
    output, html, png = tmp_path / "out.json", tmp_path / "chart.html", tmp_path / "chart.png"
    result = runner.invoke(
        app,
        [
            "scale", "simulate", "--input", str(csv), "--output", str(output),
            "--chart", str(html), "--png", str(png), "--capacity", "5", "--max-replicas", "30",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    body = json.loads(output.read_text())
    assert body["timeframe"] == "5m"  # inferred from the rows
    assert body["points"] == len(frame)
    assert set(body["policies"]) == {"reactive", "predictive", "oracle"}
    assert body["policies"]["oracle"]["requests"] == frame["requests_count"].sum()
    assert max(body["timeline"]["replicas"]["reactive"]) <= 30
    assert "reactive" in result.output
    assert "oracle" in result.output
    assert "plotly" in html.read_text()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    csv = tmp_path / "traffic.csv"
    write_seed_csv(csv)
    output = tmp_path / "out.json"
    missing = runner.invoke(
        app, ["scale", "simulate", "-i", str(tmp_path / "none.csv"), "-o", str(output)]
    )
    assert missing.exit_code == 2
    assert "no file" in missing.output
    bounds = runner.invoke(
        app,
        ["scale", "simulate", "-i", str(csv), "-o", str(output), "--min-replicas", "9",
         "--max-replicas", "3"],
    )  # fmt: skip
    assert bounds.exit_code == 2
    assert "min_replicas" in bounds.output
    timeframe = runner.invoke(
        app, ["scale", "simulate", "-i", str(csv), "-o", str(output), "--timeframe", "2m"]
    )
    assert timeframe.exit_code == 2
    assert "unknown timeframe" in timeframe.output
    assert not output.exists()
    broken = tmp_path / "broken.csv"
    broken.write_text("when,count\n2024-01-01,3\n2024-01-02,4\n")
    columns = runner.invoke(app, ["scale", "simulate", "-i", str(broken), "-o", str(output)])
    assert columns.exit_code == 2
    assert "requests_count" in columns.output
