"""Contract of the service endpoints: /, /health, /metrics, /docs."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from opscast import __version__

ClientFactory = Callable[..., TestClient]


def test_root_answers_json_with_the_seed_message(client: TestClient) -> None:
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 200
    body = response.json()
    assert body["message"].endswith("is running. Visit /docs for API documentation.")
    assert body["version"] == __version__


def test_root_sends_browsers_to_the_dashboard(client: TestClient) -> None:
    response = client.get(
        "/", headers={"Accept": "text/html,application/xhtml+xml"}, follow_redirects=False
    )
    assert response.status_code == 307
    assert response.headers["location"] == "/ui"


def test_health_reports_each_component(client_factory: ClientFactory) -> None:
    client = client_factory(run_jobs=True, train_on_start=True)
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["components"]) == {"database", "broker", "model_store", "jobs", "models"}
    assert body["components"]["jobs"] == {
        "status": "ok",
        "kind": "in-process",
        "detail": "0 queued, 0 running",
    }
    assert body["components"]["models"]["kind"] == "training"
    assert body["components"]["database"]["status"] == "ok"
    assert body["components"]["broker"] == {
        "status": "embedded",
        "kind": "in-memory",
        "detail": None,
    }


def test_health_is_503_when_a_configured_broker_is_down(client_factory: ClientFactory) -> None:
    response = client_factory(broker_url="redis://127.0.0.1:1").get("/health")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["components"]["broker"]["status"] == "error"
    assert "cannot reach" in body["components"]["broker"]["detail"]


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    client.get("/series/no-such-series/points")
    client.get("/health")
    text = client.get("/metrics").text
    assert "# TYPE opscast_http_requests_total counter" in text
    assert "# TYPE opscast_http_request_duration_seconds histogram" in text
    assert (
        'opscast_http_requests_total{method="GET",path="/series/{unique_id}/points",status="404"}'
        in text
    )
    assert 'path="/series/no-such-series/points"' not in text
    for name in (
        "opscast_predictions_total",
        "opscast_drift_checks_total",
        "opscast_retrains_total",
        "opscast_retrain_duration_seconds",
        "opscast_model_error",
        "opscast_anomalies_total",
        "opscast_alerts_total",
        "opscast_tickets_total",
        "opscast_servers",
        "opscast_ingested_points_total",
    ):
        assert f"# HELP {name}" in text or f"# HELP {name.removesuffix('_total')}" in text, name


def test_api_docs_are_served_from_here_not_a_cdn(client: TestClient) -> None:
    html = client.get("/docs")
    assert html.status_code == 200
    assert "http" not in html.text.replace("http-equiv", "")  # nothing fetched from outside
    for asset in ("swagger-ui-bundle.js", "swagger-ui.css"):
        assert f"/static/api-docs/{asset}" in html.text
        served = client.get(f"/static/api-docs/{asset}")
        assert served.status_code == 200
        assert len(served.content) > 100_000


def test_openapi_lists_the_endpoints(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/",
        "/health",
        "/metrics",
        "/series",
        "/series/points",
        "/series/{unique_id}/points",
    ):
        assert path in paths, path


def test_unknown_paths_are_json_404(client: TestClient) -> None:
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.json()["detail"] == "Not Found"
    assert response.headers["x-request-id"]
