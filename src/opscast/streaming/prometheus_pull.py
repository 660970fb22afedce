"""Pull series from a Prometheus server's ``/api/v1/query_range`` into the stream.

Teams already have their metrics in Prometheus; this job reads a PromQL query over the
last ``range`` on a schedule and feeds the result through the same path as
``POST /collect``: stored first (idempotent, so overlapping windows are harmless),
then published on ``system_metrics`` for scoring. A series' host is its ``instance``
(or ``host``) label, and its metric the ``metric`` parameter or ``__name__``.

Job parameters: ``url`` (the server, e.g. ``http://prometheus:9090``), ``query``,
``step`` (seconds, or a duration such as ``30s``/``1m``), ``range`` (how far back, same
form, default ``1h``), optional ``metric`` and ``limit`` (a capacity limit label).
"""

from __future__ import annotations

import json
import math
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime
from hashlib import sha256
from typing import TYPE_CHECKING, Any

from opscast.config import Settings
from opscast.errors import InvalidInputError
from opscast.jobs.runner import Handler, JobContext
from opscast.streaming.schemas import MetricBatch, MetricPoint

if TYPE_CHECKING:
    from opscast.streaming.pipeline import StreamPipeline

KIND = "prometheus-pull"
TIMEOUT_SECONDS = 30.0
MAX_POINTS = 11_000  # Prometheus refuses more than 11,000 points per series per query
DURATION = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)?$")
UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: object, field: str) -> float:
    """Seconds from ``30``, ``30s``, ``5m``, ``1h``: Prometheus' own duration syntax."""
    match = DURATION.match(str(value).strip())
    seconds = float(match.group(1)) * UNITS[match.group(2) or "s"] if match else 0.0
    if seconds <= 0:
        raise InvalidInputError(
            f"{field}={value!r} is not a positive duration such as 30s, 5m or 1h", field=field
        )
    return seconds


def _name(value: str) -> str:
    """Prometheus labels allow ``:`` and ``/``; stored names do not."""
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", value)[:99] or "unknown"


def fetch_range(
    url: str, query: str, start: float, end: float, step: float
) -> list[dict[str, Any]]:
    """The ``result`` list of a matrix query; InvalidInputError says what the server said."""
    if not url.startswith(("http://", "https://")):
        raise InvalidInputError("url must start with http:// or https://", field="url")
    if (end - start) / step > MAX_POINTS:
        raise InvalidInputError(
            f"range/step asks for more than {MAX_POINTS} points per series; raise step",
            field="step",
        )
    params = urllib.parse.urlencode({"query": query, "start": start, "end": end, "step": step})
    request = urllib.request.Request(f"{url.rstrip('/')}/api/v1/query_range?{params}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            body = json.load(response)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:300]
        raise InvalidInputError(f"Prometheus answered {exc.code}: {detail}", field="query") from exc
    except (urllib.error.URLError, TimeoutError, json.JSONDecodeError) as exc:
        raise InvalidInputError(f"cannot read {url}: {exc}", field="url") from exc
    if body.get("status") != "success" or body.get("data", {}).get("resultType") != "matrix":
        raise InvalidInputError(
            f"Prometheus did not return a matrix: {str(body)[:300]}", field="query"
        )
    result: list[dict[str, Any]] = body["data"]["result"]
    return result


def to_points(
    result: list[dict[str, Any]], *, metric: str | None = None, limit: str | None = None
) -> list[MetricPoint]:
    """One point per sample; NaN and infinite samples (stale markers, divisions) are skipped."""
    points = []
    for series in result:
        labels: Mapping[str, str] = series.get("metric", {})
        host = _name(labels.get("instance") or labels.get("host") or labels.get("job") or "all")
        name = _name(metric or labels.get("__name__") or "value")
        extra = {key: value for key, value in labels.items() if key != "__name__"}
        if limit is not None:
            extra["limit"] = limit
        for stamp, raw in series.get("values", []):
            value = float(raw)
            if math.isfinite(value):
                points.append(
                    MetricPoint(
                        host=host,
                        metric=name,
                        timestamp=datetime.fromtimestamp(float(stamp), UTC),
                        value=value,
                        labels=dict(list(extra.items())[:20]),
                    )
                )
    return points


def pull(settings: Settings, params: Mapping[str, Any], *, now: float | None = None) -> MetricBatch:
    """Read the window ending now into one batch whose id names the window."""
    for required in ("url", "query"):
        if not params.get(required):
            raise InvalidInputError(f"the {KIND} job needs '{required}'", field=required)
    step = parse_duration(params.get("step", "60s"), "step")
    span = parse_duration(params.get("range", "1h"), "range")
    end = math.floor((now if now is not None else time.time()) / step) * step
    result = fetch_range(str(params["url"]), str(params["query"]), end - span, end, step)
    points = to_points(
        result,
        metric=params.get("metric"),
        limit=None if params.get("limit") is None else str(params["limit"]),
    )
    key = f"{params['url']}|{params['query']}|{end - span}|{end}|{step}"
    return MetricBatch(
        source="prometheus",
        points=points,
        batch_id=f"prom-{sha256(key.encode()).hexdigest()[:40]}",
        sent_at=time.time(),
    )


def prometheus_pull_job(settings: Settings, stream: StreamPipeline | None = None) -> Handler:
    """The job handler: store the window, then publish it for scoring (through ``stream``,
    the server's own pipeline, when the job runs in the server)."""
    from opscast.streaming.pipeline import publish_from_worker, store_batch

    def handler(context: JobContext) -> dict[str, Any]:
        context.progress(0.1, f"querying {context.params.get('url')}")
        batch = pull(settings, context.params)
        if not batch.points:
            return {"points": 0, "series": 0, "published": False}
        context.progress(0.5, f"storing {len(batch.points)} points")
        stored = store_batch(context.database, batch)
        published = publish_from_worker(settings, batch, stream)
        return {
            "points": stored.points_written,
            "series": len({(p.host, p.metric) for p in batch.points}),
            "duplicate": stored.duplicate,
            "published": published,
        }

    return handler
