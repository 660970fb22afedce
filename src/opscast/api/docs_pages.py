"""The interactive API docs (/docs) served from this process, not from a CDN.

FastAPI's default page loads Swagger UI from cdn.jsdelivr.net, so on the air-gapped or
firewalled hosts operations tools often run on, /docs is a blank page. The
fastapi-offline package ships the same assets; opscast serves them from
``/static/api-docs`` and builds the page with FastAPI's own helper. ReDoc is left out:
even bundled, it fetches its logo from a CDN.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

ASSETS_URL = "/static/api-docs"


def _assets_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def install_docs_pages(app: FastAPI) -> None:
    """Mount the assets and add /docs; the app must be built with docs_url and redoc_url None."""
    app.mount(ASSETS_URL, StaticFiles(directory=_assets_dir()), name="api-docs")
    openapi_url = app.openapi_url or "/openapi.json"
    title = app.title

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{title} - API",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        )
