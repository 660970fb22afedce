"""Which optional JSON endpoints this server offers, so a page can say what is missing.

Pages that are thin clients of other parts' endpoints (alerting, scaling, demand) ask
here before rendering: a server without the part shows a clear notice instead of a
page whose every request fails.
"""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.routing import APIRoute

_PARAMETER = re.compile(r"\{[^}]*\}")


def serves(app: FastAPI, method: str, path: str) -> bool:
    """Whether a route with this path template answers ``method`` (parameter names aside)."""
    wanted = _PARAMETER.sub("{}", path)
    return any(
        isinstance(route, APIRoute)
        and _PARAMETER.sub("{}", route.path) == wanted
        and method in (route.methods or ())
        for route in app.routes
    )
