"""Prometheus metrics and structured logging.

All metric objects live here, once, with the names clients and dashboards rely on:
prometheus-client registers a name per process, so defining them next to each use
would break as soon as two apps (or two tests) import the same module twice.
"""

from __future__ import annotations

import logging
import sys

import structlog
from prometheus_client import Counter, Gauge, Histogram

from opscast.config import LogFormat

HTTP_REQUESTS = Counter(
    "opscast_http_requests",
    "HTTP requests served, by route template and status code.",
    ["method", "path", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "opscast_http_request_duration_seconds",
    "Time from request received to response sent.",
    ["method", "path"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
# Gauges say how they combine across worker processes (see serving.py): requests in
# flight are a sum over the workers alive now; a model's error and the server counts
# are facts about the system, so the value written last wins, whichever worker wrote it.
HTTP_REQUESTS_IN_PROGRESS = Gauge(
    "opscast_http_requests_in_progress",
    "Requests being served now.",
    multiprocess_mode="livesum",
)
PREDICTIONS = Counter("opscast_predictions", "Predictions served.", ["task", "model"])
DRIFT_CHECKS = Counter("opscast_drift_checks", "Drift checks run.", ["task", "result"])
RETRAINS = Counter("opscast_retrains", "Model retrainings.", ["task", "status"])
RETRAIN_DURATION = Histogram(
    "opscast_retrain_duration_seconds",
    "Wall time of one retraining.",
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
)
MODEL_ERROR = Gauge(
    "opscast_model_error",
    "Errors of a task's models: the serving model's backtest errors (mae, rmse, ...) and, "
    "in shadow mode, the live MAE of champion and challenger (shadow_mae_<alias>).",
    ["task", "metric"],
    multiprocess_mode="mostrecent",
)
MODEL_TRAINED = Gauge(
    "opscast_model_trained_timestamp_seconds",
    "Unix time the serving model of a task was trained; set on start and after each retraining.",
    ["task"],
    multiprocess_mode="mostrecent",
)
ANOMALIES = Counter("opscast_anomalies", "Points flagged as anomalous.")
REQUESTS_DENIED = Counter(
    "opscast_requests_denied",
    "Requests refused before any work: no key, an unknown or revoked key, a role too low, "
    "or over the rate limit.",
    ["reason"],
)
ALERTS = Counter(
    "opscast_alerts", "Alert notifications delivered.", ["rule", "severity", "channel"]
)
ALERT_DELIVERIES_FAILED = Counter(
    "opscast_alert_deliveries_failed", "Alert delivery attempts that failed.", ["channel"]
)
ALERTS_FIRING = Gauge(
    "opscast_alerts_firing", "Alerts firing now.", ["severity"], multiprocess_mode="mostrecent"
)
RULE_PRECISION = Gauge(
    "opscast_alert_rule_precision",
    "Share of an alert rule's alerts that engineers confirmed (confirmed / judged).",
    ["rule"],
    multiprocess_mode="mostrecent",
)
TICKETS = Counter("opscast_tickets", "Tickets created.", ["classification", "priority"])
SERVERS = Gauge(
    "opscast_servers", "Servers per lifecycle state.", ["state"], multiprocess_mode="mostrecent"
)
RECOMMENDED_REPLICAS = Gauge(
    "opscast_scaling_recommended_replicas",
    "Replicas last recommended for a service (the larger of reactive and predictive).",
    ["service"],
    multiprocess_mode="mostrecent",
)
INGESTED_POINTS = Counter("opscast_ingested_points", "Time-series points stored.")
JOBS = Counter("opscast_jobs", "Background jobs finished, by kind and outcome.", ["kind", "status"])
JOB_DURATION = Histogram(
    "opscast_job_duration_seconds",
    "Wall time of one background job.",
    ["kind"],
    buckets=(0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600),
)


def _stderr_logger(*_args: object) -> structlog.PrintLogger:
    return structlog.PrintLogger(sys.stderr)


def configure_logging(level: str, log_format: LogFormat) -> None:
    """JSON lines for machines (log shippers), aligned colours for a person at a terminal."""
    renderer: structlog.typing.Processor
    if log_format is LogFormat.json:
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        # sys.stderr looked up per logger, not once: a stream swapped in by a host (a test
        # runner, an embedding CLI) and closed later must not break every later log line
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
