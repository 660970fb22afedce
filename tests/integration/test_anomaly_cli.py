"""``opscast anomaly score`` as users run it, on a real NAB file and on long format."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from opscast.cli import app
from opscast.forecasting.lstm_residuals import neural_available

runner = CliRunner()
NAB_FILE = (
    Path(__file__).resolve().parents[3]
    / "shared"
    / "data"
    / "nab"
    / "data"
    / "realAWSCloudwatch"
    / "iio_us-east-1_i-a2eb1cd9_NetworkIn.csv"
)


def test_help_names_the_input_layouts() -> None:
    result = runner.invoke(app, ["anomaly", "score", "--help"])
    assert result.exit_code == 0
    assert "timestamp,value" in result.output


def test_scores_a_nab_file(tmp_path: Path) -> None:
    if not NAB_FILE.is_file():
        pytest.skip(f"NAB data absent ({NAB_FILE.name}); see ../shared/data/nab/PROVENANCE.md")
    output = tmp_path / "scored.csv"
    result = runner.invoke(app, ["anomaly", "score", "-i", str(NAB_FILE), "-o", str(output)])
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(output)
    original = pd.read_csv(NAB_FILE)
    assert list(scored.columns[:2]) == ["timestamp", "value"]
    pd.testing.assert_frame_equal(scored[["timestamp", "value"]], original)
    assert scored["anomaly_score"].between(0, 1).all()
    assert (scored["is_anomaly"] == (scored["anomaly_score"] >= 0.5)).all()


@pytest.mark.parametrize("detector", ["robust", "isolation_forest", "half_space_trees"])
def test_long_format_series_are_scored_apart_and_in_time_order(
    tmp_path: Path, detector: str
) -> None:
    rng = np.random.default_rng(0)
    ds = pd.date_range("2024-01-01", periods=900, freq="min")
    web = rng.normal(50, 1, 900)
    web[850] += 30
    frame = pd.concat(
        [
            pd.DataFrame({"unique_id": "web", "ds": ds, "y": web}),
            pd.DataFrame({"unique_id": "db", "ds": ds, "y": rng.normal(10, 1, 900)}),
        ]
    )
    shuffled = frame.sample(frac=1.0, random_state=1)
    source, output = tmp_path / "in.csv", tmp_path / "out.csv"
    shuffled.to_csv(source, index=False)
    result = runner.invoke(
        app, ["anomaly", "score", "-i", str(source), "-o", str(output), "--detector", detector]
    )
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(output, parse_dates=["ds"])
    pd.testing.assert_frame_equal(scored[["unique_id", "ds", "y"]], shuffled.reset_index(drop=True))
    web_scores = scored[scored["unique_id"] == "web"].sort_values("ds")["anomaly_score"]
    assert int(np.argmax(web_scores.to_numpy()[800:])) + 800 in range(850, 881)


@pytest.mark.parametrize(
    ("content", "arguments", "message"),
    [
        ("a,b\n1,2\n", [], "expected columns timestamp,value"),
        ("timestamp,value\n2024-01-01,high\n", [], "value must be numeric"),
        ("timestamp,value\nyesterday,1\n", [], "timestamp must be timestamps"),
        ("timestamp,value\n2024-01-01,1\n", ["--detector", "lstm"], "unknown detector"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    tmp_path: Path, content: str, arguments: list[str], message: str
) -> None:
    source, output = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text(content)
    result = runner.invoke(
        app, ["anomaly", "score", "-i", str(source), "-o", str(output), *arguments]
    )
    assert result.exit_code == 2
    assert message in result.output
    assert not output.exists()


def test_the_lstm_autoencoder_without_torch_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules is how Python marks a module as not importable: torch is absent
    monkeypatch.setitem(sys.modules, "torch", None)
    neural_available.cache_clear()  # the answer is cached per process
    source, output = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("timestamp,value\n2024-01-01,1\n2024-01-02,2\n")
    arguments = ["-i", str(source), "-o", str(output), "--detector", "lstm_autoencoder"]
    try:
        result = runner.invoke(app, ["anomaly", "score", *arguments])
    finally:
        monkeypatch.undo()
        neural_available.cache_clear()
    assert result.exit_code == 2
    assert "pip install 'opscast[neural]'" in result.output
    assert not output.exists()
