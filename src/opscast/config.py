"""Settings, read once from the environment (prefix ``OPSCAST_``).

Every setting has an embedded default so that a fresh checkout runs with no
configuration at all; the validators refuse combinations that would run but be
unsafe (an exposed service with no API key, a short key), because a service that
starts in a dangerous state is worse than one that refuses to start and says why.
"""

from __future__ import annotations

import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIN_API_KEY_LENGTH = 16
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# connections beyond the request threads: the job runner, background training, the stream
# consumer, alert evaluation and delivery each hold at most one or two at a time
BACKGROUND_CONNECTIONS = 8
# threads beyond the admitted requests, for work started outside a request's turn
SPARE_THREADS = 8


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class LogFormat(StrEnum):
    json = "json"
    console = "console"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="OPSCAST_", env_file=".env", extra="ignore", frozen=True
    )

    environment: Environment = Environment.development
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)

    database_url: str | None = None
    # SQLite in WAL: NORMAL survives a process crash but may lose the last commits to a
    # power cut; FULL survives that too, at an fsync per commit
    sqlite_synchronous: Literal["NORMAL", "FULL"] = "NORMAL"
    # requests served at once per worker process; more clients wait their turn (in the
    # event loop, holding nothing) instead of piling onto the database. The thread pool
    # has SPARE_THREADS more, so a request always finds a thread to finish with
    request_threads: int = Field(default=40, ge=1, le=1024)
    # how long an idle client connection stays open. Longer than the idle timeout of the
    # proxies and load balancers in front (60 s is common): a connection the server
    # closes while its client sends the next request fails that request (a 502 behind
    # a proxy, a read error without one); uvicorn's own default is 5 s
    keep_alive_seconds: int = Field(default=75, ge=1, le=3600)
    # database connections per process; unset, one per request thread and BACKGROUND_
    # CONNECTIONS more for jobs, training and the stream, so no request fails for want of one
    # (on PostgreSQL keep workers x this under the server's max_connections)
    db_pool_size: int | None = Field(default=None, ge=1, le=4096)
    # how long a request waits for a free connection, and on SQLite for the write lock,
    # before it gives up with a 503
    db_wait_seconds: float = Field(default=30.0, gt=0, le=600)
    broker_url: str | None = None
    mlflow_uri: str | None = None
    dask_scheduler: str | None = None
    # worker processes for per-series forecasting without Dask: 0 every core, -1 all but one
    forecast_jobs: int = Field(default=0, ge=-64, le=256)

    data_dir: Path = Path("../shared/data")
    var_dir: Path = Path("var")

    api_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    auth_required: bool = False

    log_level: str = "INFO"
    log_format: LogFormat = LogFormat.console

    workers: int = Field(default=1, ge=1, le=64)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    otlp_endpoint: str | None = None
    # train missing incident models in the background when the service starts
    train_on_start: bool = True
    # and the store-item demand model (on the 913k-row shared data set when present)
    demand_train_on_start: bool = True
    # the demand pipeline's TOML (columns, features, split, model), laid over the shipped
    # default by the CLI stages, the start-up training and the `demand` retraining target
    demand_config: Path | None = None

    max_upload_bytes: int = Field(default=20 * 1024 * 1024, gt=0)
    # requests per minute one key (or, without auth, one client address) may make to the
    # endpoints that fit or forecast; 0 switches the limit off
    rate_limit_per_minute: int = Field(default=1200, ge=0)
    max_points_per_request: int = Field(default=1_000_000, gt=0)
    # points posted to /forecast/predict, /forecast/backtest and /detect_drift, and rows of
    # an uploaded traffic CSV
    max_posted_points: int = Field(default=100_000, gt=0, le=10_000_000)
    # steps of a /forecast/predict horizon (schemas allow at most MAX_FORECAST_HORIZON)
    forecast_max_horizon: int = Field(default=100, gt=0, le=10_000)
    # characters of a ticket description (the title is a 200-character column)
    ticket_description_max_chars: int = Field(default=10_000, gt=0, le=1_000_000)

    stream_namespace: str = Field(default="", pattern=r"^[A-Za-z0-9_\-]{0,40}$")
    stream_redelivery_seconds: float = Field(default=30.0, gt=0)
    stream_detector: str = "novelty"
    collect_max_items: int = Field(default=50_000, gt=0)
    # alerting: rules (an extra YAML file beside the shipped defaults) and delivery channels;
    # a channel whose settings are unset is off, so nothing is needed to run
    alert_rules_file: Path | None = None
    alert_base_url: str = ""
    alert_console: bool = True
    alert_webhook_url: str | None = None
    alert_slack_webhook_url: SecretStr | None = None
    alert_smtp_host: str | None = None
    alert_smtp_port: int = Field(default=25, ge=1, le=65535)
    alert_smtp_username: str | None = None
    alert_smtp_password: SecretStr | None = None
    alert_smtp_starttls: bool = False
    alert_email_from: str = "opscast@localhost"
    alert_email_to: Annotated[list[str], NoDecode] = Field(default_factory=list)
    alert_pagerduty_routing_key: SecretStr | None = None
    alert_pagerduty_url: str = "https://events.pagerduty.com/v2/enqueue"
    alert_alertmanager_url: str | None = None
    alert_delivery_poll_seconds: float = Field(default=5.0, gt=0)
    alert_delivery_backoff_seconds: float = Field(default=5.0, gt=0)
    alert_delivery_max_attempts: int = Field(default=8, ge=1)
    alert_resend_seconds: float = Field(default=60.0, gt=0)
    alert_stale_seconds: float = Field(default=900.0, gt=0)

    run_jobs: bool = True
    job_poll_seconds: float = Field(default=1.0, gt=0)
    job_stale_seconds: float = Field(default=60.0, gt=0)
    # score a task's challenger beside its champion on served requests (off the request path)
    shadow: bool = False
    # tickets: below this confidence the learned classifier defers to the keyword rules
    ticket_confidence_threshold: float = Field(default=0.5, ge=0.0, le=1.0)

    @field_validator("api_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        """Keys come as one comma-separated variable, the form operators paste into .env."""
        if isinstance(value, str):
            return [key.strip() for key in value.split(",") if key.strip()]
        return value

    @field_validator("alert_email_to", mode="before")
    @classmethod
    def _split_recipients(cls, value: object) -> object:
        if isinstance(value, str):
            return [address.strip() for address in value.split(",") if address.strip()]
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError(
                f"OPSCAST_LOG_LEVEL={value!r} is not a log level; use DEBUG, INFO, WARNING or ERROR"
            )
        return level

    @model_validator(mode="after")
    def _refuse_unsafe(self) -> Self:
        for key in self.api_keys:
            if len(key.get_secret_value()) < MIN_API_KEY_LENGTH:
                raise ValueError(
                    f"an API key in OPSCAST_API_KEYS is shorter than {MIN_API_KEY_LENGTH} "
                    "characters; generate one with `python -c 'import secrets; "
                    "print(secrets.token_urlsafe(32))'`"
                )
        if self.environment is Environment.production and not self.auth_configured:
            raise ValueError(
                "OPSCAST_ENVIRONMENT=production refuses to start without OPSCAST_API_KEYS or "
                "OPSCAST_AUTH_REQUIRED=true (with keys from `opscast keys create`): anyone "
                "who can reach the port could retrain models or delete data"
            )
        if self.host not in LOOPBACK_HOSTS and not self.auth_configured:
            raise ValueError(
                f"OPSCAST_HOST={self.host} exposes the service beyond this machine; "
                "set OPSCAST_API_KEYS, or OPSCAST_AUTH_REQUIRED=true with keys from "
                "`opscast keys create`, or keep the default 127.0.0.1"
            )
        if self.metrics_port == self.port:
            raise ValueError(
                f"OPSCAST_METRICS_PORT={self.metrics_port} is the API port; pick another one "
                "or leave it unset to serve /metrics on the API port only"
            )
        if self.demand_config is not None and not self.demand_config.is_file():
            raise ValueError(
                f"OPSCAST_DEMAND_CONFIG={self.demand_config} is not a file; point it at a "
                "TOML with the demand config keys to change, or unset it for the default"
            )
        if self.var_dir.resolve() == self.data_dir.resolve():
            raise ValueError(
                "OPSCAST_VAR_DIR and OPSCAST_DATA_DIR must differ: opscast writes to the "
                "first and only reads the second"
            )
        return self

    @property
    def auth_configured(self) -> bool:
        """Keys are in the environment, or the operator asked for the stored ones."""
        return bool(self.api_keys) or self.auth_required

    @property
    def auth_enabled(self) -> bool:
        """Auth is on with keys configured, and always when bound beyond loopback."""
        return self.auth_configured or self.host not in LOOPBACK_HOSTS

    @property
    def thread_pool_size(self) -> int:
        return self.request_threads + SPARE_THREADS

    @property
    def database_pool_size(self) -> int:
        return self.db_pool_size or self.thread_pool_size + BACKGROUND_CONNECTIONS

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.var_dir / 'opscast.db').resolve()}"

    @property
    def tracing_endpoint(self) -> str | None:
        """Where to send traces: ours, else the variable every OpenTelemetry SDK reads."""
        return self.otlp_endpoint or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None

    @property
    def resolved_mlflow_uri(self) -> str:
        if self.mlflow_uri:
            return self.mlflow_uri
        return f"sqlite:///{(self.var_dir / 'mlflow.db').resolve()}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """One Settings per process; tests build their own and pass them to the app factory."""
    return Settings()
