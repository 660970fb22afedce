"""`dvc repro` of examples/store_demand in a fresh git repository, with a local remote."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd

from conftest import require_extra
from opscast.simulate import simulate_demand

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "store_demand"
SRC = Path(__file__).resolve().parents[2] / "src"


def run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"{' '.join(command)}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_dvc_repro_runs_every_stage_and_pushes_data_and_models(tmp_path: Path) -> None:
    require_extra("dvc", "pipeline")
    bin_dir = Path(sys.executable).parent
    dvc = shutil.which("dvc", path=str(bin_dir)) or shutil.which("dvc")
    assert dvc is not None
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(SRC),
        "OPSCAST_VAR_DIR": str(tmp_path / "var"),
        "OPSCAST_LOG_LEVEL": "WARNING",
        "DVC_NO_ANALYTICS": "1",
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.org",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.org",
    }
    repo = tmp_path / "repo"
    shutil.copytree(EXAMPLE, repo)
    (repo / "data").mkdir()
    sales = simulate_demand(stores=2, items=2, start="2022-01-01", days=3 * 365, seed=5)
    sales.rename(columns={"ds": "date", "y": "sales"})[["date", "store", "item", "sales"]].to_csv(
        repo / "data" / "train.csv", index=False
    )
    remote = tmp_path / "remote"
    run(["git", "init", "-q"], repo, env)
    run([dvc, "init", "-q"], repo, env)
    run([dvc, "add", "-q", "data/train.csv"], repo, env)
    run([dvc, "remote", "add", "-d", "local", str(remote)], repo, env)

    run([dvc, "repro"], repo, env)
    metrics = json.loads((repo / "out" / "evaluation" / "metrics.json").read_text())
    assert metrics["mase"] < 1
    assert (repo / "out" / "drift" / "drift.json").is_file()
    assert (repo / "dvc.lock").is_file()

    shown = json.loads(run([dvc, "metrics", "show", "--json"], repo, env))
    assert "out/evaluation/metrics.json" in json.dumps(shown)
    again = run([dvc, "repro"], repo, env)
    assert "didn't change, skipping" in again or "is cached" in again or "up to date" in again

    run([dvc, "push", "-q"], repo, env)
    stored = [path for path in remote.rglob("*") if path.is_file()]
    # the data, prepared data, features, model and charts: content-addressed in the remote
    assert len(stored) >= 6
    assert pd.read_parquet(repo / "out" / "prepared.parquet")["unique_id"].nunique() == 4
