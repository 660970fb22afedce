"""The request limits every route shares: the body-size cap and the per-key rate limit.

The per-route batch limit (``opscast.dependencies.batch_limit``) sits with the other route
dependencies, where domain routers may import it.
"""

from __future__ import annotations

from fastapi import FastAPI

from opscast.api.middleware import BodySizeLimit
from opscast.api.rate_limit import RateLimit
from opscast.config import Settings


def install_request_limits(app: FastAPI, settings: Settings) -> None:
    """The body-size cap, and the rate limit on the endpoints that fit or forecast."""
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(RateLimit, per_minute=settings.rate_limit_per_minute)
