"""The browser side of the dashboard tests: a page that records what the browser complained
about and refuses (and records) every request that would leave the machine."""

from __future__ import annotations

import urllib.parse
from typing import Any


class Browser:
    """One page, with what the browser complained about and what it tried to fetch outside."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url} {r.failure}"))
        page.on(
            "response",
            lambda r: r.status >= 400 and self.errors.append(f"{r.status}: {r.url}"),
        )
        page.route("**/*", self._local_only)

    def _console(self, message: Any) -> None:
        if message.type in {"error", "warning"}:
            self.errors.append(f"console {message.type}: {message.text}")

    def _local_only(self, route: Any) -> None:
        host = urllib.parse.urlsplit(route.request.url).hostname
        if host in {"127.0.0.1", "localhost"}:
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def open(self, url: str) -> None:
        self.page.goto(url)
        self.page.wait_for_load_state("networkidle")
