"""OpenTelemetry traces of requests, SQL statements and outgoing HTTP calls, sent over OTLP.

Only imported when an OTLP endpoint is configured (``OPSCAST_OTLP_ENDPOINT`` or the
standard ``OTEL_EXPORTER_OTLP_ENDPOINT``): the SDK and its instrumentations cost
start-up time and memory that a service without a collector should not pay. They come
with the ``tracing`` extra.
"""

from __future__ import annotations

import importlib.util
import os

from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.instrumentor import BaseInstrumentor  # type: ignore[attr-defined]
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.instrumentation.urllib import URLLibInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from sqlalchemy.engine import Engine

from opscast import __version__

# Scrapes and probes arrive every few seconds and would drown the traces people look at.
UNTRACED_PATHS = "/metrics,/health"


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL under a collector's base address, as the OTel SDK derives it."""
    base = endpoint.rstrip("/")
    return base if base.endswith("/v1/traces") else f"{base}/v1/traces"


class Tracing:
    """One tracer provider, the app and client libraries instrumented with it, and its shutdown."""

    def __init__(self, endpoint: str) -> None:
        resource = Resource.create(
            {
                "service.name": os.environ.get("OTEL_SERVICE_NAME", "opscast"),
                "service.version": __version__,
            }
        )
        self.provider = TracerProvider(resource=resource)
        self.provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=traces_url(endpoint)))
        )
        self._instrumentors: list[BaseInstrumentor] = []
        if not isinstance(trace.get_tracer_provider(), TracerProvider):
            trace.set_tracer_provider(self.provider)

    def instrument_app(self, app: FastAPI) -> None:
        """Server spans per request, named by route template; must run before the app starts."""
        FastAPIInstrumentor.instrument_app(
            app, tracer_provider=self.provider, excluded_urls=UNTRACED_PATHS
        )

    def instrument_clients(self, engine: Engine) -> None:
        """Child spans for SQL on this engine and for outgoing HTTP (httpx, urllib)."""
        sql = SQLAlchemyInstrumentor()
        # Its declared range stops below SQLAlchemy 2.1, whose engine events it uses unchanged.
        sql.instrument(engine=engine, tracer_provider=self.provider, skip_dep_check=True)
        urllib = URLLibInstrumentor()
        urllib.instrument(tracer_provider=self.provider)
        self._instrumentors += [sql, urllib]
        if importlib.util.find_spec("httpx") is not None:
            from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

            client = HTTPXClientInstrumentor()
            client.instrument(tracer_provider=self.provider)
            self._instrumentors.append(client)

    def shutdown(self) -> None:
        """Send the buffered spans and undo the patches: nothing traces into a closed provider."""
        for instrumentor in self._instrumentors:
            instrumentor.uninstrument()
        self._instrumentors.clear()
        self.provider.shutdown()
