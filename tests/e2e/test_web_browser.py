"""The series pages and the API docs in a real browser: Debian's Chromium, driven by Playwright.

opscast runs as ``make run`` runs it, the demo data loaded and ``opscast serve`` on a free
port (models are not trained on start: the pages do not need them). The pages are checked
as a person sees them: the series are listed with drawn sparklines, the links lead where
they say, and the browser reports no error. Requests leaving the machine are refused and
recorded, so a page that depended on the internet would fail here.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from local_browser import Browser
from opscast_process import Server, http_json, running_opscast

pytestmark = pytest.mark.slow

SPARKLINE_POINTS = 240  # the series page draws at most this many recent values
PAGE_SIZE = 25  # series listed per page


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    var_dir = tmp_path_factory.mktemp("web") / "var"
    var_dir.mkdir()
    command = [sys.executable, "-m", "opscast", "serve"]
    with running_opscast(command, var_dir, demo=True, OPSCAST_TRAIN_ON_START="false") as running:
        yield running


def test_the_series_page_lists_a_kind_at_a_time_with_drawn_sparklines(
    server: Server, browser: Browser, tmp_path: Path
) -> None:
    stored = [series for series in http_json(f"{server.api}/series") if series["kind"] == "demand"]
    assert len(stored) > PAGE_SIZE  # the demo's 30 store-items: more than one page

    browser.page.goto(f"{server.api}/ui/series?kind=demand")

    assert browser.page.title() == "Series · opscast"
    assert browser.page.locator("h1").inner_text() == "Stored series"
    listed = []
    while True:
        rows = browser.page.locator("tbody tr")
        assert rows.count() <= PAGE_SIZE
        names = rows.locator("td:first-child a").all_inner_texts()
        listed += names
        shapes = browser.page.eval_on_selector_all(
            "svg.spark path",
            """paths => paths.map(p => {
                 const box = p.getBBox();
                 return {d: p.getAttribute("d"), width: box.width, height: box.height,
                         stroke: getComputedStyle(p).stroke, fill: getComputedStyle(p).fill};
               })""",
        )
        points = {series["unique_id"]: series["points"] for series in stored}
        assert len(shapes) == len(names)
        for name, shape in zip(names, shapes, strict=True):
            vertices = shape["d"].count(",")
            assert vertices == max(2, min(points[name], SPARKLINE_POINTS)), name
            assert shape["width"] == pytest.approx(160, abs=0.5), name
            assert shape["height"] > 1, name  # not a flat line
        # opscast.css is applied: lines stroked in the theme's blue, not filled black
        assert {shape["stroke"] for shape in shapes} == {"rgb(47, 111, 222)"}
        assert {shape["fill"] for shape in shapes} == {"none"}
        following = browser.page.get_by_role("link", name="Next")
        if following.count() == 0:
            break
        following.click()
        browser.page.wait_for_load_state()
    assert sorted(listed) == sorted(series["unique_id"] for series in stored)
    browser.page.screenshot(path=str(tmp_path / "series.png"), full_page=True)
    assert browser.errors == []
    assert browser.outside == []


def test_links_lead_where_they_say(server: Server, browser: Browser) -> None:
    browser.page.goto(f"{server.api}/ui/series")
    first = browser.page.locator("tbody tr td:first-child a").first
    name = first.inner_text()

    first.click()
    browser.page.wait_for_url(f"**/ui/series/{name}")
    browser.page.locator(".chart .main-svg").first.wait_for()
    browser.page.get_by_role("link", name="JSON").click()
    browser.page.wait_for_url(f"**/series/{name}/points")
    body = json.loads(browser.page.locator("body").inner_text())
    assert body, f"/series/{name}/points returned no points"

    browser.page.go_back()
    browser.page.get_by_role("link", name="Series", exact=True).click()
    browser.page.wait_for_url("**/ui/series")
    assert browser.page.locator("tbody tr").count() > 0
    # every link on the page answers, the API docs included
    hrefs = browser.page.eval_on_selector_all("a[href]", "links => links.map(a => a.href)")
    assert f"{server.api}/docs" in hrefs
    for href in sorted(set(hrefs)):
        assert browser.page.request.get(href).status == 200, href
    assert browser.errors == []
    assert browser.outside == []


def test_the_api_docs_render_offline(server: Server, browser: Browser) -> None:
    browser.page.goto(f"{server.api}/docs")
    operations = browser.page.locator(".opblock-summary")
    operations.first.wait_for(timeout=30_000)
    paths = http_json(f"{server.api}/openapi.json")["paths"]
    count = sum(len(methods) for methods in paths.values())
    assert operations.count() == count
    assert "/forecast/predict" in browser.page.locator(".opblock-summary-path").all_inner_texts()

    assert browser.errors == []
    assert browser.outside == []
