"""OpenTelemetry: spans reach a real OTLP/HTTP endpoint, and nothing is loaded without one."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from fastapi.testclient import TestClient
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from opscast.api.app import create_app
from opscast.config import Settings


@contextmanager
def otlp_collector() -> Iterator[tuple[str, list[tuple[dict[str, Any], Span]]]]:
    """A minimal OTLP/HTTP receiver: decodes every exported span with its resource attributes."""
    spans: list[tuple[dict[str, Any], Span]] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path == "/v1/traces":
                request = ExportTraceServiceRequest.FromString(body)
                for resource_spans in request.resource_spans:
                    resource = {
                        a.key: a.value.string_value for a in resource_spans.resource.attributes
                    }
                    for scope in resource_spans.scope_spans:
                        spans.extend((resource, span) for span in scope.spans)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self) -> None:
            self.do_POST()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", spans
    finally:
        server.shutdown()
        server.server_close()


def attributes(span: Span) -> dict[str, Any]:
    values = {}
    for attribute in span.attributes:
        value = attribute.value
        values[attribute.key] = getattr(value, value.WhichOneof("value"))
    return values


def test_requests_sql_and_outgoing_http_are_traced(settings: Settings) -> None:
    with otlp_collector() as (endpoint, spans):
        traced = settings.model_copy(update={"otlp_endpoint": endpoint})
        with TestClient(create_app(traced)) as client:
            assert client.get("/series/traced/points").status_code == 404
            assert client.get("/health").status_code == 200
            with urllib.request.urlopen(f"{endpoint}/outgoing", timeout=5) as reply:
                assert reply.status == 200
        # leaving the client ran the lifespan's shutdown, which flushes the exporter

    assert {resource["service.name"] for resource, _ in spans} == {"opscast"}
    servers = [span for _, span in spans if span.kind == Span.SPAN_KIND_SERVER]
    routes = {attributes(span).get("http.route") for span in servers}
    assert routes == {"/series/{unique_id}/points"}, "health probes are not traced"
    (request,) = servers
    sql = [
        span
        for _, span in spans
        if span.kind == Span.SPAN_KIND_CLIENT and attributes(span).get("db.system") == "sqlite"
    ]
    assert any(span.trace_id == request.trace_id for span in sql), "SQL of the request"
    outgoing = [
        span
        for _, span in spans
        if span.kind == Span.SPAN_KIND_CLIENT and "/outgoing" in str(attributes(span))
    ]
    assert len(outgoing) == 1


def test_without_an_endpoint_the_tracing_stack_is_not_even_imported(settings: Settings) -> None:
    """No SDK, exporter or instrumentation (FastAPI imports the no-op OTel API if installed)."""
    code = (
        "import sys\n"
        "from opscast.api.app import create_app\n"
        "from opscast.config import Settings\n"
        f"create_app(Settings(var_dir={str(settings.var_dir)!r}))\n"
        "heavy = ('opscast.tracing', 'opentelemetry.sdk', 'opentelemetry.exporter',"
        " 'opentelemetry.instrumentation')\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(heavy))\n"
        "print(loaded)\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_standard_otel_variable_turns_tracing_on(settings: Settings, monkeypatch: Any) -> None:
    assert settings.tracing_endpoint is None
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318")
    assert settings.tracing_endpoint == "http://collector:4318"
    ours = settings.model_copy(update={"otlp_endpoint": "http://ours:4318"})
    assert ours.tracing_endpoint == "http://ours:4318"
