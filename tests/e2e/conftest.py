"""The browser of the e2e tests: one desktop-sized Chromium page per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from local_browser import Browser


@pytest.fixture
def browser(chromium: str) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium)
        try:
            yield Browser(launched.new_page(viewport={"width": 1280, "height": 900}))
        finally:
            launched.close()
