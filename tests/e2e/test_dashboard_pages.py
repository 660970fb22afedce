"""Every dashboard page in Debian's Chromium: loads clean, works by keyboard and on a phone,
and its main action does what it says.

opscast runs as ``make run`` runs it (the demo loaded, ``opscast serve`` on a free port).
Requests leaving the machine are refused and recorded. A screenshot of every page at
desktop and phone width is saved under ``OPSCAST_SCREENSHOTS`` (default: the test's
temporary directory); docs/images holds the current ones.

Pages built on endpoints that another part of opscast provides (alerting, scaling,
demand) are checked for their notice when the endpoint is absent, and their actions are
tested once the endpoint is served.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local_browser import Browser
from opscast_process import Server, http_get, http_json, running_opscast

pytestmark = pytest.mark.slow

PAGES = {
    "overview": "/ui",
    "forecasts": "/ui/forecasts",
    "anomalies": "/ui/anomalies",
    "alerts": "/ui/alerts",
    "tickets": "/ui/tickets",
    "ticket": "/ui/tickets/1",
    "drift": "/ui/drift",
    "models": "/ui/models",
    "model": "/ui/models/tickets-classifier",
    "demand": "/ui/demand",
    "scaling": "/ui/scaling",
    "series": "/ui/series",
    "series-detail": "/ui/series/web",
}
VIEWPORTS = {"desktop": (1280, 900), "phone": (390, 844)}
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    var_dir = tmp_path_factory.mktemp("dashboard") / "var"
    var_dir.mkdir()
    command = [sys.executable, "-m", "opscast", "serve"]
    with running_opscast(command, var_dir, demo=True, OPSCAST_TRAIN_ON_START="false") as running:
        # the first read of a new MLflow store migrates it, which takes seconds: not a page's
        http_get(f"{running.api}/models", timeout=180)
        yield running


@pytest.fixture(scope="module")
def api_paths(server: Server) -> dict[str, Any]:
    paths: dict[str, Any] = http_json(f"{server.api}/openapi.json")["paths"]
    return paths


def _template(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def require_endpoint(paths: dict[str, Any], method: str, path: str) -> None:
    """Skip a test of a page whose endpoint this server does not have (yet)."""
    offered = {_template(known): methods for known, methods in paths.items()}
    if method.lower() not in offered.get(_template(path), {}):
        pytest.skip(f"this server has no {method} {path}; the page shows its notice instead")


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    directory = Path(os.environ.get("OPSCAST_SCREENSHOTS") or tmp_path)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="module")
def chromium_browser(chromium: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def new_browser(chromium_browser: Any, viewport: tuple[int, int] = VIEWPORTS["desktop"]) -> Browser:
    width, height = viewport
    context = chromium_browser.new_context(viewport={"width": width, "height": height})
    return Browser(context.new_page())


@pytest.fixture
def browser(chromium_browser: Any) -> Iterator[Browser]:
    opened = new_browser(chromium_browser)
    try:
        yield opened
    finally:
        opened.page.context.close()


@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_every_page_loads_clean_and_fits_the_screen(
    server: Server, chromium_browser: Any, screenshots: Path, viewport: str
) -> None:
    browser = new_browser(chromium_browser, VIEWPORTS[viewport])
    try:
        for name, path in PAGES.items():
            browser.open(f"{server.api}{path}")
            assert browser.page.locator("h1").first.is_visible(), name
            for chart in browser.page.locator("[data-figure]").all():
                chart.locator(".main-svg").first.wait_for(timeout=15_000)
            if name == "overview":
                browser.page.locator("#panels .card").first.wait_for(timeout=60_000)
            width = VIEWPORTS[viewport][0]
            scroll_width = browser.page.evaluate("document.documentElement.scrollWidth")
            assert scroll_width <= width + 1, f"{name} is wider than the {viewport} screen"
            browser.page.screenshot(
                path=str(screenshots / f"{name}-{viewport}.png"), full_page=True
            )
            assert browser.errors == [], name
            assert browser.outside == [], name
    finally:
        browser.page.context.close()


def test_a_browser_landing_on_the_root_sees_a_populated_overview(
    server: Server, browser: Browser
) -> None:
    browser.open(f"{server.api}/")
    assert browser.page.url == f"{server.api}/ui"
    panels = browser.page.locator("#panels")
    panels.locator(".card").first.wait_for()
    assert "open or in progress" in panels.inner_text()
    assert panels.locator("text=No drift checks yet").count() == 0  # the demo's reports
    assert browser.errors == []


def test_the_pages_are_reachable_by_keyboard(server: Server, browser: Browser) -> None:
    browser.open(f"{server.api}/ui/tickets")
    browser.page.keyboard.press("Tab")
    assert browser.page.evaluate("document.activeElement.textContent") == "Skip to content"
    visited = []
    for _ in range(12):
        browser.page.keyboard.press("Tab")
        visited.append(browser.page.evaluate("document.activeElement.textContent.trim()"))
    assert {"Forecasts", "Anomalies", "Scaling"} <= set(visited)
    # the ticket form is reached and submitted without a mouse
    browser.page.locator("input[name=title]").focus()
    browser.page.keyboard.type("Keyboard only")
    browser.page.keyboard.press("Tab")
    assert browser.page.evaluate("document.activeElement.name") == "description"


def test_a_ticket_is_opened_through_the_form(server: Server, browser: Browser) -> None:
    before = http_json(f"{server.api}/analytics/summary")["total"]
    browser.open(f"{server.api}/ui/tickets")
    browser.page.fill("input[name=title]", "Checkout is down")
    browser.page.locator("textarea[name=description]").press_sequentially(
        "Production database server unreachable, all payments failing", delay=5
    )
    analysis = browser.page.locator("#analysis dl")
    analysis.wait_for()
    assert "Classification" in analysis.inner_text()
    predicted = http_json(f"{server.api}/tickets/?sort=-id&limit=1")  # before submitting
    browser.page.get_by_role("button", name="Open ticket").click()
    created = browser.page.locator("#created a")
    created.wait_for()
    ticket_id = int(created.inner_text().lstrip("#"))
    assert ticket_id > predicted[0]["id"]
    stored = http_json(f"{server.api}/tickets/{ticket_id}")
    assert stored["title"] == "Checkout is down"
    assert http_json(f"{server.api}/analytics/summary")["total"] == before + 1
    assert browser.page.locator("input[name=title]").input_value() == ""  # ready for the next
    created.click()
    browser.page.wait_for_url(f"**/ui/tickets/{ticket_id}")
    assert "Checkout is down" in browser.page.locator("h1").inner_text()
    assert browser.errors == []


def test_a_forecast_is_run_and_its_chart_drawn(server: Server, browser: Browser) -> None:
    browser.open(f"{server.api}/ui/forecasts")
    browser.page.select_option("#source", "incidents")
    browser.page.fill("input[name=horizon]", "14")
    browser.page.get_by_role("button", name="Forecast").click()
    chart = browser.page.locator("#forecast-chart[data-drawn=true]")
    chart.wait_for(timeout=120_000)
    names = browser.page.evaluate(
        "Array.from(document.getElementById('forecast-chart').data, t => t.name)"
    )
    assert {"history", "forecast", "backtest", "80% interval", "95% interval"} <= set(names)
    forecast = browser.page.evaluate(
        "document.getElementById('forecast-chart').data.find(t => t.name === 'forecast').y"
    )
    assert len(forecast) == 14
    metrics = browser.page.locator("#forecast-metrics").inner_text()
    assert "MAE" in metrics
    assert "sMAPE" in metrics
    assert browser.errors == []


def test_the_api_demo_sends_the_documented_request(
    server: Server, browser: Browser, api_paths: dict[str, Any]
) -> None:
    require_endpoint(api_paths, "POST", "/forecast/predict")
    browser.open(f"{server.api}/ui/forecasts")
    browser.page.get_by_role("button", name="Send request").click()
    reply = browser.page.locator("#api-demo-reply pre")
    reply.wait_for(timeout=180_000)
    assert '"success": true' in reply.inner_text()
    assert '"predictions"' in reply.inner_text()
    assert browser.errors == []


def test_pages_without_their_endpoint_say_so(
    server: Server, browser: Browser, api_paths: dict[str, Any]
) -> None:
    for path, method, endpoint in (
        ("/ui/alerts", "get", "/alerts"),
        ("/ui/scaling", "post", "/scaling/simulate"),
        ("/ui/demand", "post", "/predict"),
    ):
        browser.open(f"{server.api}{path}")
        notice = browser.page.locator("#unavailable")
        if method in api_paths.get(endpoint, {}):
            assert notice.count() == 0, path
        else:
            assert "not available on this server" in notice.inner_text(), path
    assert browser.errors == []


def test_an_anomaly_is_confirmed(
    server: Server, browser: Browser, api_paths: dict[str, Any]
) -> None:
    require_endpoint(api_paths, "POST", "/anomalies/{anomaly_id}/feedback")
    browser.open(f"{server.api}/ui/anomalies")
    browser.page.locator("#flagged button", has_text="Confirm").first.click()
    browser.page.locator("#flagged .badge.ok", has_text="confirmed").first.wait_for()
    assert browser.errors == []


def test_an_alert_is_acknowledged(
    server: Server, browser: Browser, api_paths: dict[str, Any]
) -> None:
    require_endpoint(api_paths, "GET", "/alerts")
    firing = http_json(f"{server.api}/alerts?state=firing")
    firing = firing if isinstance(firing, list) else firing.get("items", [])
    if not firing:
        pytest.skip("no alert is firing on the demo data")
    browser.open(f"{server.api}/ui/alerts")
    browser.page.locator("#alerts button", has_text="Acknowledge").first.click()
    browser.page.locator("#alerts .badge.acknowledged").first.wait_for()
    assert http_json(f"{server.api}/alerts/{firing[0]['id']}")["acknowledged_at"]
    assert browser.errors == []


def test_a_scaling_simulation_is_run(
    server: Server, browser: Browser, api_paths: dict[str, Any]
) -> None:
    require_endpoint(api_paths, "POST", "/scaling/simulate")
    browser.open(f"{server.api}/ui/scaling")
    browser.page.get_by_role("button", name="Run simulation").click()
    rows = browser.page.locator("#policy-costs tbody tr")
    rows.first.wait_for(timeout=60_000)
    assert rows.count() >= 3  # reactive, predictive, oracle
    browser.page.locator("#replicas-chart .main-svg").first.wait_for()
    assert browser.errors == []
