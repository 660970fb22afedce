"""Which optional JSON endpoints this server offers, so a page can say what is missing.

Pages that are thin clients of other parts' endpoints (alerting, scaling, demand) ask
here before rendering: a server without the part shows a clear notice instead of a
page whose every request fails.
"""

from __future__ import annotations

import re

from fastapi import FastAPI

_PARAMETER = re.compile(r"\{[^}]*\}")


def serves(app: FastAPI, method: str, path: str) -> bool:
    """Whether an endpoint with this path template answers ``method`` (parameter names aside).

    Read from the OpenAPI document (built once, then cached by FastAPI) rather than from
    ``app.routes``, which holds included routers as nested, private route objects.
    """
    wanted = _PARAMETER.sub("{}", path)
    return any(
        _PARAMETER.sub("{}", template) == wanted and method.lower() in operations
        for template, operations in app.openapi().get("paths", {}).items()
    )
