"""Every Grafana panel shows data from a live opscast, drawn by deploy/render_dashboards.py.

opscast serves the demo data (as ``make run`` does) while requests, forecasts, tickets,
fleet ticks, streamed metrics with spikes, drift checks and a classifier retraining go
through its API; a real Prometheus with the repository's config and rules scrapes it.
Then every panel's query, run as Grafana runs it, must return data, and each dashboard
is screenshotted by Chromium.

``make dashboard-images`` runs this module with OPSCAST_DASHBOARD_IMAGES=docs/images, a
longer activity (OPSCAST_DASHBOARD_MINUTES) and slower scrapes
(OPSCAST_DASHBOARD_SCRAPE_SECONDS) to regenerate the images in docs/deploy.md.
"""

from __future__ import annotations

import json
import math
import os
import random
import struct
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from deploy_stack import DASHBOARDS, renderer, running_prometheus

from opscast_process import Server, running_opscast

pytestmark = pytest.mark.slow

# A scrape a second shows data within seconds; the images scrape less often (smoother rates).
SCRAPE_SECONDS = float(os.environ.get("OPSCAST_DASHBOARD_SCRAPE_SECONDS", "1"))
SETTLE_SECONDS = 120
# The demand model trains in the background after start; until it serves, /predict answers
# 404 (its rate and latency panels move) and no prediction is counted. Either state is right.
WHILE_TRAINING = {"Demand predictions served"}
# Zero is the healthy reading of these; every other panel must show the activity move it.
ZERO_IS_HEALTHY = {"5xx ratio", "Firing alerts", "Requests in flight"}
TICKET_TEXTS = (
    ("Server down", "All servers unreachable since the last deploy"),
    ("Password reset", "User cannot log in to the VPN, asks for a password reset"),
    ("Slow reports", "The monthly report takes minutes to open"),
    ("Printer jam", "Printer on floor 2 jams on every page"),
    ("Database errors", "Checkout fails with database connection errors for all customers"),
)


def call(api: str, method: str, path: str, body: Any = None) -> int:
    """One request; its status code, whatever it is."""
    request = urllib.request.Request(
        f"{api}{path}",
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as reply:
            reply.read()
            status: int = reply.status
            return status
    except urllib.error.HTTPError as error:
        return error.code


def metric_points(round_: int, rng: random.Random) -> list[dict[str, Any]]:
    """A minute of two hosts' CPU per round, with a spike now and then for the detector."""
    start = datetime(2026, 3, 1, tzinfo=UTC) + timedelta(minutes=60 * round_)
    points = []
    for host in ("web-01", "db-01"):
        for minute in range(60):
            value = 40 + 8 * math.sin(minute / 9) + rng.gauss(0, 1)
            if round_ and minute in {20, 45} and host == "web-01":
                value = 400.0
            points.append(
                {
                    "host": host,
                    "metric": "cpu_pct",
                    "timestamp": (start + timedelta(minutes=minute)).isoformat(),
                    "value": value,
                }
            )
    return points


def activity_round(api: str, round_: int, rng: random.Random) -> list[tuple[str, int]]:
    """What a busy day sends opscast, once; returns (request, status) pairs."""
    title, description = TICKET_TEXTS[round_ % len(TICKET_TEXTS)]
    requests: list[tuple[str, str, Any]] = [
        ("GET", "/ui", None),
        ("GET", "/series", None),
        ("GET", "/anomalies?limit=20", None),
        ("GET", f"/series/no-such-series-{round_}/points", None),
        (
            "POST",
            "/forecast",
            {"category": "Software", "granularity": "weekly", "future_periods": 4},
        ),
        (
            "POST",
            "/forecast",
            {"category": "Network", "granularity": "monthly", "future_periods": 3},
        ),
        (
            "POST",
            "/forecast/predict",
            {
                "horizon": 6,
                "model_type": "hybrid",
                "timeframe": "5m",
                "data": [{"ds": "2026-03-01 00:00:00", "y": 1200 + 50 * round_}],
            },
        ),
        ("POST", "/tickets/", {"title": title, "description": description}),
        ("POST", "/tickets/analyze", {"description": description}),
        ("POST", "/predict", {"store": 1, "item": 1 + round_ % 10, "date": "2025-11-01"}),
        ("POST", "/simulation/tick", {"steps": 24}),
        ("POST", "/collect", {"points": metric_points(round_, rng)}),
        (
            "POST",
            "/detect_drift",
            {
                "category": "Software",
                "granularity": "quarterly",
                "new_data": [{"ds": "2026-01-01", "y": 2900 + 400 * (round_ % 3)}],
                "threshold_factor": 0.1,
            },
        ),
        (
            "POST",
            "/drift/concept",
            {
                "task": "traffic-5m-hybrid",
                "baseline": 5.0,
                "metric": "mape",
                "tolerance": 0.2,
                "actual": [100, 102, 98, 101, 99, 100, 100 + 10 * (round_ % 4), 101],
                "predicted": [99, 101, 99, 100, 98, 101, 100, 100],
            },
        ),
        ("POST", "/forecast", {"category": "Software", "granularity": "fortnightly"}),
    ]
    if round_ % 4 == 0:
        requests.append(("POST", "/tickets/classifier/retrain", None))
    return [(f"{method} {path}", call(api, method, path, body)) for method, path, body in requests]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str, float]]:
    """opscast with the demo data and its Prometheus; yields both and when scraping began."""
    var_dir = tmp_path_factory.mktemp("dashboards") / "var"
    var_dir.mkdir()
    command = [sys.executable, "-m", "opscast", "serve"]
    with (
        running_opscast(command, var_dir, demo=True) as server,
        running_prometheus(
            server.metrics_port,
            tmp_path_factory.mktemp("prometheus"),
            scrape=f"{SCRAPE_SECONDS:g}s",
        ) as prometheus,
    ):
        yield server, prometheus, time.time()


def dashboards_once_every_panel_has_data(
    server: Server, prometheus: str, began: float, minutes: float
) -> list[Any]:
    """Activity in rounds for at least ``minutes``, until every counted panel shows it."""
    rng = random.Random(7)
    deadline = time.monotonic() + max(SETTLE_SECONDS, minutes * 60)
    minimum = time.monotonic() + minutes * 60
    round_ = 0
    while True:
        answers = activity_round(server.api, round_, rng)
        assert [(what, status) for what, status in answers if status >= 500] == []
        round_ += 1
        dashboards = [
            renderer.load_dashboard(path, prometheus, began, time.time(), SCRAPE_SECONDS)
            for path in DASHBOARDS
        ]
        empty = [
            f"{dashboard.title}: {panel.title}"
            for dashboard in dashboards
            for panel in dashboard.panels
            if panel.title not in WHILE_TRAINING and not shows_activity(panel)
        ]
        now = time.monotonic()
        if not empty and now >= minimum:
            return dashboards
        if now > deadline:
            pytest.fail(f"no data after {round_} rounds of activity in {empty}")
        time.sleep(2)


def shows_activity(panel: Any) -> bool:
    """Data in the panel, and a value other than zero unless zero is what health looks like."""
    if panel.title in ZERO_IS_HEALTHY:
        return bool(panel.has_data)
    return any(value for series in panel.series for value in series.finite)


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    width, height = struct.unpack(">II", header[16:24])
    return width, height


def test_every_panel_shows_live_data_and_each_dashboard_is_drawn(
    live: tuple[Server, str, float], chromium: str, tmp_path: Path
) -> None:
    server, prometheus, began = live
    minutes = float(os.environ.get("OPSCAST_DASHBOARD_MINUTES", "0"))
    dashboards = dashboards_once_every_panel_has_data(server, prometheus, began, minutes)

    # the alert panels too: the demo's drift alerts and the activity's count as sent
    for dashboard in dashboards:
        for panel in dashboard.panels:
            assert panel.has_data or panel.title in WHILE_TRAINING, panel.title
    out = Path(os.environ.get("OPSCAST_DASHBOARD_IMAGES", tmp_path))
    for dashboard in dashboards:
        page = renderer.render_html(dashboard)
        titles = [panel.title for panel in dashboard.panels]
        assert all(f'data-title="{title}"' in page for title in titles)
        assert page.count('data-has-data="true"') == sum(p.has_data for p in dashboard.panels)
        assert "<script src" not in page
        assert "<link" not in page  # plotly.js and the styles are inline: nothing is fetched
        png = out / f"{dashboard.uid}.png"
        renderer.screenshot(page, png, chromium=chromium)
        width, height = png_size(png)
        assert width == renderer.WIDTH
        assert height > 24 * renderer.ROW_PX
