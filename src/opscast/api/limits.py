"""The request limits every route shares: body size, per-key rate and concurrency.

The per-route batch limit (``opscast.dependencies.batch_limit``) sits with the other route
dependencies, where domain routers may import it.
"""

from __future__ import annotations

from fastapi import FastAPI

from opscast.api.middleware import BodySizeLimit, ConcurrencyLimit
from opscast.api.rate_limit import RateLimit
from opscast.config import Settings


def install_request_limits(app: FastAPI, settings: Settings) -> None:
    """The body-size cap, the rate limit on the endpoints that fit or forecast, and the
    number of requests served at once (the outermost: a waiting request holds nothing)."""
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(RateLimit, per_minute=settings.rate_limit_per_minute)
    app.add_middleware(ConcurrencyLimit, limit=settings.request_threads)
