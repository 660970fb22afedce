"""Contract of the alerting endpoints on SQLite and PostgreSQL, bad input included.

Alerts are made by judging observations through the service, as the stream and the
polled sources do; drift reports and retraining jobs are stored rows the runtime reads.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import ClientFactory
from opscast.alerting import service
from opscast.alerting.observations import Observation
from opscast.alerting.rules import load_rules
from opscast.db import Database, utc_now
from opscast.drift_checks.tables import DriftReport
from opscast.jobs.tables import Job
from opscast.streaming.anomaly_service import record_predictions

T0 = datetime(2024, 3, 1, 8, 0)
RULE = {
    "name": "queue-backlog",
    "kind": "anomaly_score",
    "match": {"metric": "queue_depth"},
    "threshold": 0.95,
    "threshold_min": 0.9,
    "threshold_max": 0.999,
    "for": "0m",
    "cooldown": "1h",
    "channels": ["webhook"],
    "group_by": ["host"],
    "action": "Add consumers.",
}


def database(client: TestClient) -> Database:
    db: Database = client.app.state.services.database  # type: ignore[attr-defined]
    return db


def judge(client: TestClient, *observations: Observation) -> None:
    with database(client).session() as session:
        service.evaluate(session, list(observations), service.Dispatch({}))


def anomaly(host: str, score: float, minute: int = 0, metric: str = "cpu_pct") -> Observation:
    return Observation(
        kind="anomaly_score",
        labels={"host": host, "metric": metric},
        at=T0 + timedelta(minutes=minute),
        value=score,
        summary=f"{host} {metric} is anomalous",
        evidence={"score": score},
    )


def counts(client: TestClient) -> tuple[int, int, int]:
    rules = len(client.get("/alerts/rules").json())
    alerts = int(client.get("/alerts").headers["X-Total-Count"])
    first = client.get("/alerts").json()
    feedback = sum(
        len(client.get(f"/alerts/{a['id']}").json()["details"].get("feedback", [])) for a in first
    )
    return rules, alerts, feedback


def field_of(response: Any) -> list[str]:
    return [".".join(str(p) for p in error["loc"][1:]) for error in response.json()["detail"]]


def test_rules_crud(client: TestClient) -> None:
    shipped = client.get("/alerts/rules").json()
    assert {"capacity-exhaustion", "anomalous-metric", "data-drift", "retrain-failed"} <= {
        r["name"] for r in shipped
    }
    assert all(r["origin"] == "file" and r["precision"] is None for r in shipped)

    created = client.post("/alerts/rules", json=RULE)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert (rule["for_seconds"], rule["cooldown_seconds"], rule["origin"]) == (0.0, 3600.0, "api")
    assert client.get(f"/alerts/rules/{rule['id']}").json() == rule
    assert client.post("/alerts/rules", json=RULE).status_code == 409

    replaced = client.put(f"/alerts/rules/{rule['id']}", json={**RULE, "threshold": 0.97})
    assert replaced.status_code == 200
    assert replaced.json()["threshold"] == 0.97

    deleted = client.delete(f"/alerts/rules/{rule['id']}")
    assert deleted.json() == {"message": f"Alert rule {rule['id']} deleted successfully"}
    assert client.get(f"/alerts/rules/{rule['id']}").status_code == 404
    assert client.put(f"/alerts/rules/{rule['id']}", json=RULE).status_code == 404
    assert client.delete(f"/alerts/rules/{rule['id']}").status_code == 404


def test_the_rules_file_refreshes_untouched_file_rules_and_leaves_api_changes(
    client: TestClient,
) -> None:
    shipped = load_rules()
    by_name = {rule["name"]: rule for rule in client.get("/alerts/rules").json()}
    drift, anomalous = by_name["data-drift"], by_name["anomalous-metric"]
    with database(client).session() as session:
        assert service.sync_rules(session, shipped) == []  # nothing differs: nothing written

    # an upgrade retunes two shipped rules; one of them an engineer has tuned by hand
    edited = {**RULE, "name": "data-drift", "kind": drift["kind"], "threshold": 0.5}
    edited["threshold_min"] = edited["threshold_max"] = 0.5
    assert client.put(f"/alerts/rules/{drift['id']}", json=edited).json()["origin"] == "api"
    newer = [
        rule.model_copy(update={"threshold": 0.8, "threshold_min": 0.8, "threshold_max": 0.8})
        if rule.name in {"data-drift", "anomalous-metric"}
        else rule
        for rule in shipped
    ]
    with database(client).session() as session:
        assert service.sync_rules(session, newer) == ["anomalous-metric"]
    refreshed = client.get(f"/alerts/rules/{anomalous['id']}").json()
    assert (refreshed["threshold"], refreshed["origin"]) == (0.8, "file")
    assert client.get(f"/alerts/rules/{drift['id']}").json()["threshold"] == 0.5


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"threshold": None}, "threshold"),
        ({"for": "soon"}, "for"),
        ({"cooldown": -5}, "cooldown"),
        ({"threshold_max": 0.5}, "threshold_max"),
        ({"kind": "weather"}, "kind"),
        ({"channels": ["carrier-pigeon"]}, "channels.0"),
        ({"name": "Has Spaces"}, "name"),
        ({"op": ">"}, "op"),
        ({"severity": [{"severity": "doom"}]}, "severity.0.severity"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_a_bad_rule_is_a_422_naming_the_field_and_writes_nothing(
    client: TestClient, change: dict[str, Any], field: str
) -> None:
    before = counts(client)
    body = {k: v for k, v in {**RULE, **change}.items() if v is not None}
    response = client.post("/alerts/rules", json=body)
    assert response.status_code == 422, response.text
    assert field in field_of(response)
    assert counts(client) == before
    first = client.get("/alerts/rules").json()[0]
    assert client.put(f"/alerts/rules/{first['id']}", json=body).status_code == 422
    assert client.get(f"/alerts/rules/{first['id']}").json() == first


def test_history_filters_ack_resolve_and_404s(client: TestClient) -> None:
    rule = client.post("/alerts/rules", json={**RULE, "match": {}}).json()
    judge(client, anomaly("web-01", 0.99), anomaly("db-01", 0.5), anomaly("api-01", 0.96, 1))
    alerts = client.get("/alerts").json()
    assert sorted(a["host"] for a in alerts if a["rule"] == rule["name"]) == ["api-01", "web-01"]
    [web] = client.get("/alerts", params={"host": "web-01", "rule": rule["name"]}).json()
    assert web["state"] == "firing"
    assert client.get("/alerts", params={"state": "resolved"}).json() == []
    assert client.get("/alerts", params={"severity": "critical"}).json() == []

    for bad, field in [
        ({"state": "burning"}, "state"),
        ({"severity": "doom"}, "severity"),
        ({"host": "a:b"}, "host"),
        ({"limit": 0}, "limit"),
    ]:
        response = client.get("/alerts", params=bad)
        assert response.status_code == 422
        assert field in field_of(response)

    acked = client.post(f"/alerts/{web['id']}/ack", json={"by": "ana"})
    assert acked.status_code == 200
    assert acked.json()["acknowledged_by"] == "ana"
    done = client.post(f"/alerts/{web['id']}/resolve", json={"by": "ana", "reason": "restarted"})
    assert done.json()["state"] == "resolved"
    assert client.post(f"/alerts/{web['id']}/resolve").status_code == 409
    assert client.post(f"/alerts/{web['id']}/ack").status_code == 409
    assert (
        client.get(f"/alerts/{web['id']}").json()["details"]["resolved_by"]["reason"] == "restarted"
    )

    for path in ("/alerts/999999", "/alerts/999999/ack", "/alerts/999999/resolve"):
        response = client.get(path) if path.count("/") == 2 else client.post(path)
        assert response.status_code == 404
    assert client.post("/alerts/999999/feedback", json={"verdict": "confirm"}).status_code == 404
    assert client.get("/alerts/rules/999999").status_code == 404


def test_feedback_moves_the_threshold_within_bounds_and_bad_verdicts_write_nothing(
    client: TestClient,
) -> None:
    rule = client.post("/alerts/rules", json={**RULE, "match": {}}).json()
    judge(client, anomaly("web-01", 0.99))
    [alert] = client.get("/alerts", params={"rule": rule["name"]}).json()

    before = counts(client)
    for body, field in [
        ({"verdict": "maybe"}, "verdict"),
        ({}, "verdict"),
        ({"verdict": "dismiss", "reason": "x" * 3000}, "reason"),
    ]:
        response = client.post(f"/alerts/{alert['id']}/feedback", json=body)
        assert response.status_code == 422
        assert field in field_of(response)
    assert counts(client) == before
    assert client.get(f"/alerts/rules/{rule['id']}").json()["threshold"] == rule["threshold"]

    thresholds = [rule["threshold"]]
    for _ in range(15):
        answer = client.post(
            f"/alerts/{alert['id']}/feedback", json={"verdict": "dismiss", "reason": "noise"}
        )
        assert answer.status_code == 201
        thresholds.append(answer.json()["threshold_after"])
    assert thresholds[1] > thresholds[0]  # a >= rule is raised by a dismissal
    assert thresholds == sorted(thresholds)
    assert thresholds[-1] == rule["threshold_max"]
    confirmed = client.post(f"/alerts/{alert['id']}/feedback", json={"verdict": "confirm"}).json()
    assert confirmed["threshold_after"] < thresholds[-1]
    tuned = client.get(f"/alerts/rules/{rule['id']}").json()
    assert (tuned["confirmed"], tuned["dismissed"]) == (1, 15)
    assert tuned["precision"] == pytest.approx(1 / 16)
    metrics = client.get("/metrics").text
    assert f'opscast_alert_rule_precision{{rule="{rule["name"]}"}} 0.0625' in metrics


def test_anomaly_feedback_labels_the_point_and_tunes_the_anomaly_rule(client: TestClient) -> None:
    with database(client).session() as session:
        record_predictions(
            session,
            [
                {
                    "host": "web-01",
                    "metric": "cpu_pct",
                    "ds": T0,
                    "value": 97.0,
                    "score": 0.999,
                    "detector": "robust",
                    "explanation": {},
                    "detected_at": utc_now(),
                }
            ],
            {},
        )
    [point] = client.get("/anomalies").json()
    [rule] = [r for r in client.get("/alerts/rules").json() if r["name"] == "anomalous-metric"]
    assert client.post("/anomalies/999999/feedback", json={"verdict": "dismiss"}).status_code == 404
    bad = client.post(f"/anomalies/{point['id']}/feedback", json={"verdict": "no"})
    assert bad.status_code == 422

    answer = client.post(
        f"/anomalies/{point['id']}/feedback", json={"verdict": "dismiss", "reason": "deploy"}
    )
    assert answer.status_code == 201
    assert answer.json()["rule"]["threshold"] > rule["threshold"]
    assert (rule["origin"], answer.json()["rule"]["origin"]) == ("file", "api")
    with database(client).session() as session:
        assert service.sync_rules(session, load_rules()) == []  # the tuning survives a restart
        labels = service.labelled_points(session)
    assert labels[["unique_id", "label", "reason"]].to_dict("records") == [
        {"unique_id": "web-01:cpu_pct", "label": 0, "reason": "deploy"}
    ]
    assert labels["ds"].iloc[0] == T0


def test_a_silence_keeps_matching_alerts_quiet(client: TestClient) -> None:
    for body, field in [
        ({"matchers": {}, "duration": "1h"}, "matchers"),
        ({"matchers": {"host": "web-01"}, "duration": "0m"}, "duration"),
        ({"matchers": {"host": "web-01"}, "duration": "forever"}, "duration"),
        ({"matchers": {"host": "web-01"}}, "duration"),
    ]:
        response = client.post("/alerts/silences", json=body)
        assert response.status_code == 422
        assert field in field_of(response)
    silence = client.post(
        "/alerts/silences",
        json={"matchers": {"host": "web-01"}, "duration": "2h", "comment": "maintenance"},
    )
    assert silence.status_code == 201
    ends = datetime.fromisoformat(silence.json()["ends_at"]) - datetime.fromisoformat(
        silence.json()["starts_at"]
    )
    assert ends == timedelta(hours=2)

    rule = client.post("/alerts/rules", json={**RULE, "match": {}, "channels": ["all"]}).json()
    with database(client).session() as session:
        service.evaluate(
            session,
            [anomaly("web-01", 0.99), anomaly("db-01", 0.99)],
            service.Dispatch(client.app.state.services.alerting.channels),  # type: ignore[attr-defined]
        )
    alerts = {a["host"]: a for a in client.get("/alerts", params={"rule": rule["name"]}).json()}
    assert alerts["web-01"]["silenced"] is True
    assert alerts["db-01"]["silenced"] is False
    assert client.get(f"/alerts/{alerts['web-01']['id']}").json()["deliveries"] == []
    assert [
        d["channel"] for d in client.get(f"/alerts/{alerts['db-01']['id']}").json()["deliveries"]
    ] == ["console"]


def test_drift_reports_and_retrain_jobs_alert_once_each(client: TestClient) -> None:
    now = utc_now()
    with database(client).session() as session:
        session.add(
            DriftReport(
                kind="data",
                subject="incidents/daily",
                source="api",
                drift_detected=True,
                share_drifted=0.75,
                summary={},
                html="",
                created_at=now,
            )
        )
        session.add(
            Job(
                kind="retrain",
                task="traffic",
                status="failed",
                params={},
                error="boom",
                requested_by="test",
                created_at=now,
                finished_at=now,
            )
        )
    client.app.state.services.alerting.tick()  # type: ignore[attr-defined]
    client.app.state.services.alerting.tick()  # type: ignore[attr-defined]  (read once, not twice)
    alerts = {a["rule"]: a for a in client.get("/alerts").json()}
    assert set(alerts) == {"data-drift", "retrain-failed"}
    assert alerts["data-drift"]["labels"]["subject"] == "incidents/daily"
    assert "boom" in alerts["retrain-failed"]["summary"]
    with database(client).session() as session:
        session.add(
            Job(
                kind="retrain",
                task="traffic",
                status="succeeded",
                params={},
                result={
                    "tasks": [{"task": "traffic", "promoted": True, "model": "m", "version": 2}]
                },
                requested_by="test",
                created_at=now,
                finished_at=now,
            )
        )
    client.app.state.services.alerting.tick()  # type: ignore[attr-defined]
    states = {a["rule"]: a["state"] for a in client.get("/alerts").json()}
    assert states["retrain-failed"] == "resolved"
    assert states["model-promoted"] == "firing"


def test_reads_and_writes_need_a_key_once_keys_are_set(client_factory: ClientFactory) -> None:
    client = client_factory(api_keys="k" * 32)
    assert client.post("/alerts/rules", json=RULE).status_code == 401
    assert (
        client.post("/alerts/silences", json={"matchers": {"a": "b"}, "duration": "1h"}).status_code
        == 401
    )
    assert (
        client.post("/alerts/rules", json=RULE, headers={"X-API-Key": "k" * 32}).status_code == 201
    )
    assert client.get("/alerts").status_code == 401
    assert client.get("/alerts", headers={"X-API-Key": "k" * 32}).status_code == 200


def test_a_serving_model_worse_than_its_challenger_in_shadow_alerts(client: TestClient) -> None:
    from opscast.registry.tables import ShadowScore

    now = utc_now()

    def settle(errors: dict[str, float], day: int) -> None:
        with database(client).session() as session:
            for alias, error in errors.items():
                session.add(
                    ShadowScore(
                        task="incidents/network/daily",
                        alias=alias,
                        version=1 if alias == "champion" else 2,
                        unique_id="network",
                        period_start=T0 + timedelta(days=day),
                        period_end=T0 + timedelta(days=day + 1),
                        predicted=10.0,
                        actual=10.0 + error,
                        abs_error=error,
                        predicted_at=now,
                        settled_at=now + timedelta(seconds=day + 1),
                    )
                )

    settle({"champion": 6.0, "challenger": 2.0}, 0)
    client.app.state.services.alerting.tick()  # type: ignore[attr-defined]
    [alert] = client.get("/alerts", params={"rule": "serving-model-worse"}).json()
    assert alert["state"] == "firing"
    assert alert["value"] == 3.0
    assert alert["labels"]["task"] == "incidents/network/daily"
    for day in range(1, 6):  # the champion catches up: the gap closes and the alert resolves
        settle({"champion": 1.0, "challenger": 2.0}, day)
    client.app.state.services.alerting.tick()  # type: ignore[attr-defined]
    assert client.get(f"/alerts/{alert['id']}").json()["state"] == "resolved"


def test_an_actual_outside_the_forecast_interval_alerts_until_one_is_back_inside(
    client: TestClient,
) -> None:
    from opscast.registry.tables import ShadowScore

    now = utc_now()

    def settle(day: int, error: float) -> None:
        with database(client).session() as session:
            session.add(
                ShadowScore(
                    task="incidents/network/daily",
                    alias="champion",
                    version=1,
                    unique_id="network",
                    period_start=T0 + timedelta(days=day),
                    period_end=T0 + timedelta(days=day + 1),
                    predicted=40.0,
                    actual=40.0 + error,
                    abs_error=abs(error),
                    predicted_at=now,
                    settled_at=now + timedelta(seconds=day + 1),
                )
            )

    for day in range(26):  # a month of errors within +-4: the interval is 40 +- 4
        settle(day, [-4.0, -2.0, 0.0, 1.0, 3.0, 4.0][day % 6])
    client.app.state.services.alerting.tick()  # type: ignore[attr-defined]
    assert client.get("/alerts", params={"rule": "forecast-breach"}).json() == []
    settle(26, 13.0)  # 53 incidents: far above the interval
    client.app.state.services.alerting.tick()  # type: ignore[attr-defined]
    [alert] = client.get("/alerts", params={"rule": "forecast-breach"}).json()
    assert alert["state"] == "firing"
    assert alert["severity"] == "warning"  # 13 is more than twice the half-width of 4
    assert alert["value"] == pytest.approx(13.0 / 4.0)
    assert alert["labels"] == {
        "alertname": "forecast-breach",
        "task": "incidents/network/daily",
        "series": "network",
    }
    assert "outside the forecast's 95% interval [36, 44]" in alert["summary"]
    settle(27, 2.0)  # the next period is back inside: the alert resolves
    client.app.state.services.alerting.tick()  # type: ignore[attr-defined]
    assert client.get(f"/alerts/{alert['id']}").json()["state"] == "resolved"
