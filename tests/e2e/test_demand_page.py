"""The demand page in Debian's Chromium, with a demand model serving and a drift check done.

Before the server starts, the pipeline runs as an operator runs it (``opscast demand
prepare|features|train|evaluate|drift`` in the server's var directory) on the sales the
service would simulate, with a small model chosen through ``OPSCAST_DEMAND_CONFIG``; the
server then loads the demo (whose demand series are the store-items shown) and serves.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_browser import Browser
from opscast.simulate import simulate_demand
from opscast_process import Server, http_get, running_opscast

pytestmark = pytest.mark.slow

# the sales the service simulates for itself (demand/background.py), which cover the demo's
SALES = {"stores": 3, "items": 10, "start": "2023-01-01", "days": 3 * 365, "seed": 7}


def demand(var_dir: Path, env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "opscast", "demand", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        cwd=var_dir.parent,
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("demand-page")
    var_dir = root / "var"
    var_dir.mkdir()
    sales = simulate_demand(**SALES)  # type: ignore[arg-type]
    csv = root / "sales.csv"
    sales.rename(columns={"ds": "date", "y": "sales"})[["date", "store", "item", "sales"]].to_csv(
        csv, index=False
    )
    small = root / "small.toml"
    small.write_text("[model]\nnum_boost_round = 60\n")
    env = {
        "OPSCAST_VAR_DIR": str(var_dir),
        "OPSCAST_LOG_LEVEL": "WARNING",
        "OPSCAST_DEMAND_CONFIG": str(small),
    }
    for stage in (["prepare", "--input", str(csv)], ["features"], ["train"], ["evaluate"]):
        demand(var_dir, env, *stage)
    demand(var_dir, env, "drift")
    with running_opscast(
        [sys.executable, "-m", "opscast", "serve"],
        var_dir,
        demo=True,
        OPSCAST_TRAIN_ON_START="false",
        OPSCAST_DEMAND_CONFIG=str(small),
    ) as running:
        http_get(f"{running.api}/models", timeout=180)
        yield running


def test_the_demand_page_shows_a_chosen_store_item_with_metrics_and_drift(
    server: Server, browser: Browser
) -> None:
    browser.open(f"{server.api}/ui/demand")
    browser.page.select_option("select[name=series]", "store_2-item_7")
    browser.page.get_by_role("button", name="Show").click()
    browser.page.wait_for_url("**/ui/demand?series=store_2-item_7")
    chart = browser.page.locator("#demand-chart")
    assert (chart.get_attribute("data-store"), chart.get_attribute("data-item")) == ("2", "7")
    status = browser.page.locator("#demand-status")
    browser.page.wait_for_function(
        "document.getElementById('demand-status').textContent.includes('model 1')",
        timeout=60_000,
    )
    traces = browser.page.evaluate(
        "Array.from(document.getElementById('demand-chart').data,"
        " t => ({name: t.name, x: t.x, y: t.y}))"
    )
    named = {trace["name"]: trace for trace in traces}
    assert set(named) == {"actual", "predicted (held out)", "predicted (ahead)"}
    held_out, ahead = named["predicted (held out)"], named["predicted (ahead)"]
    # predictions for the last 28 days shown and the 28 after, all positive sales
    assert held_out["x"] == named["actual"]["x"][-28:]
    assert len(ahead["x"]) == 28
    assert ahead["x"][0] > named["actual"]["x"][-1]
    assert all(value > 0 for value in held_out["y"] + ahead["y"])
    assert "model 1" in status.inner_text()

    model = browser.page.locator("#demand-model")
    assert "store-demand version 1" in model.inner_text()
    headers = browser.page.locator("#demand-metrics th").all_inner_texts()
    assert headers == ["MAE", "RMSE", "MAPE", "sMAPE", "MASE"]
    values = [float(text) for text in browser.page.locator("#demand-metrics td").all_inner_texts()]
    assert all(value >= 0 for value in values)
    verdict = browser.page.locator("#demand-drift")
    assert "Latest drift check" in verdict.inner_text()
    assert "no retrain needed" in verdict.inner_text()  # the data the model was trained on
    verdict.get_by_role("link", name="Report").click()
    browser.page.wait_for_load_state("networkidle")
    assert "Demand drift" in browser.page.title() + browser.page.content()[:20_000]
    assert browser.errors == []
    assert browser.outside == []
