"""Running the monitoring tools as real processes, for the deployment tests.

The deployment files are checked with the tools that consume them (promtool, amtool,
prometheus, docker compose, hadolint, actionlint); a missing tool skips its tests with
the reason outside CI and fails them under CI=true, like any other real dependency.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

from conftest import require_service
from opscast_process import free_port, stop, wait_for

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
DASHBOARDS = sorted((DEPLOY / "grafana" / "dashboards").glob("*.json"))


def require_tool(name: str, package: str) -> str:
    path = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if path is None:
        require_service(name, f"install {package}")
    assert path is not None
    return path


@contextmanager
def running_prometheus(metrics_port: int, directory: Path, scrape: str = "1s") -> Iterator[str]:
    """The real ``prometheus``: the repository's config and rules, scraping opscast's port.

    Its own storage in ``directory``; scrapes and rule evaluations every ``scrape`` so a
    test sees data within seconds. Yields its URL.
    """
    binary = require_tool("prometheus", "Debian's prometheus package")
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "opscast"]
    job["static_configs"] = [{"targets": [f"127.0.0.1:{metrics_port}"]}]
    config["scrape_configs"] = [job]
    config["global"].update(scrape_interval=scrape, evaluation_interval=scrape)
    config["rule_files"] = [str(PROMETHEUS / rule) for rule in config["rule_files"]]
    del config["alerting"]
    (directory / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = directory / "prometheus.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                binary,
                f"--config.file={directory / 'prometheus.yml'}",
                f"--storage.tsdb.path={directory / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{url}/-/ready", process, log)
        yield url
    finally:
        stop(process)


def load_renderer() -> ModuleType:
    """deploy/render_dashboards.py, a script rather than a package, imported by its path."""
    spec = importlib.util.spec_from_file_location(
        "render_dashboards", DEPLOY / "render_dashboards.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


renderer = load_renderer()


def rules() -> list[dict[str, Any]]:
    return [
        rule
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def dashboard_exprs() -> list[tuple[str, str]]:
    found = []
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            found += [(f"{path.stem}: {panel['title']}", t["expr"]) for t in panel["targets"]]
    return found


def all_promql() -> list[tuple[str, str]]:
    """Every PromQL expression the stack evaluates: recording and alerting rules, panels."""
    named = [(rule.get("record") or rule["alert"], rule["expr"]) for rule in rules()]
    return named + dashboard_exprs()
