"""Dashboard pages rendered by the app: what each page shows for the data stored."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from opscast.web.availability import serves

PAGES = (
    "/ui",
    "/ui/fragments/overview",
    "/ui/fragments/model-errors",
    "/ui/fragments/jobs",
    "/ui/forecasts",
    "/ui/anomalies",
    "/ui/alerts",
    "/ui/tickets",
    "/ui/drift",
    "/ui/models",
    "/ui/demand",
    "/ui/scaling",
    "/ui/series",
)


def daily(unique_id: str, days: int, start: str = "2024-01-01") -> list[dict[str, object]]:
    return [
        {"unique_id": unique_id, "ds": f"{day}T00:00:00", "y": 10 + (index % 7) * 3 + index % 3}
        for index, day in enumerate(
            str(stamp.date()) for stamp in pd.date_range(start, periods=days)
        )
    ]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_answers_on_an_empty_store(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert "text/html" in response.headers["content-type"]


def test_a_browser_landing_on_the_root_goes_to_the_overview(client: TestClient) -> None:
    response = client.get("/", headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.headers["location"] == "/ui"
    page = client.get("/ui").text
    for label in ("Overview", "Forecasts", "Anomalies", "Alerts", "Tickets", "Drift", "Models"):
        assert f">{label}</a>" in page
    assert 'aria-current="page">Overview' in page


def test_the_overview_counts_open_tickets_by_priority(client: TestClient) -> None:
    for title in ("Database down", "Printer jam"):
        client.post("/tickets/", json={"title": title, "description": f"{title} for everyone"})
    panels = client.get("/ui/fragments/overview").text
    match = re.search(r"<strong>(\d+)</strong><span>open or in progress</span>", panels)
    assert match is not None
    assert int(match.group(1)) == 2
    assert "database" in panels
    assert "No drift checks yet" in panels


def test_series_are_listed_a_kind_and_a_page_at_a_time(client: TestClient) -> None:
    points = [row for index in range(30) for row in daily(f"item-{index:02d}", 10)]
    client.post("/series/points", json={"kind": "demand", "points": points})
    client.post("/series/points", json={"kind": "incidents", "points": daily("Network", 10)})

    first = client.get("/ui/series").text
    # incidents come before demand, whatever the alphabet says
    assert first.index("incidents (1)") < first.index("demand (30)")
    assert 'href="/ui/series/Network"' in first

    demand = client.get("/ui/series?kind=demand").text
    assert demand.count('<svg class="spark"') == 25
    assert "page 1 of 2 · 30 series" in demand
    second = client.get("/ui/series?kind=demand&page=2").text
    assert second.count('<svg class="spark"') == 5
    assert 'href="/ui/series/item-29"' in second
    assert "item-00" not in second


def test_a_series_page_charts_its_points(client: TestClient) -> None:
    client.post("/series/points", json={"kind": "incidents", "points": daily("Network", 40)})
    page = client.get("/ui/series/Network").text
    figure = json.loads(re.search(r'id="series-figure">(.*?)</script>', page, re.S).group(1))
    assert len(figure["data"][0]["y"]) == 40
    assert 'href="/series/Network/points"' in page
    assert client.get("/ui/series/nothing").status_code == 404


def test_a_forecast_run_draws_history_forecast_intervals_and_backtest(client: TestClient) -> None:
    client.post("/series/points", json={"kind": "incidents", "points": daily("Network", 120)})
    response = client.get(
        "/ui/forecasts/run",
        params={
            "source": "incidents",
            "series": "Network",
            "granularity": "daily",
            "model": "seasonal_naive",
            "horizon": 7,
        },
    )
    assert response.status_code == 200
    figure = json.loads(
        re.search(r'id="forecast-figure">(.*?)</script>', response.text, re.S).group(1)
    )
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert len(traces["forecast"]["y"]) == 7
    assert len(traces["backtest"]["y"]) == 7
    assert set(traces) >= {"history", "80% interval", "95% interval"}
    # the data repeats weekly: a seasonal naive forecast of it is exact
    assert 'id="forecast-metrics"' in response.text


def test_a_forecast_of_an_unknown_series_names_the_field(client: TestClient) -> None:
    response = client.get(
        "/ui/forecasts/run",
        params={"source": "incidents", "series": "nothing", "granularity": "daily"},
    )
    assert response.status_code == 422
    assert "series" in response.text


def test_too_short_a_history_is_explained_not_failed(client: TestClient) -> None:
    client.post("/series/points", json={"kind": "incidents", "points": daily("Network", 20)})
    response = client.get(
        "/ui/forecasts/run",
        params={"source": "incidents", "series": "Network", "granularity": "weekly"},
    )
    assert response.status_code == 200
    assert "too few" in response.text


def test_pages_of_absent_endpoints_say_so(client: TestClient) -> None:
    client.post("/series/points", json={"kind": "traffic", "points": daily("web", 5)})
    client.post("/series/points", json={"kind": "demand", "points": daily("store_1-item_1", 5)})
    app = client.app
    for path, method, endpoint in (
        ("/ui/alerts", "GET", "/alerts"),
        ("/ui/scaling", "POST", "/scaling/simulate"),
        ("/ui/demand", "POST", "/predict"),
    ):
        page = client.get(path).text
        assert ("not available on this server" in page) != serves(app, method, endpoint), path  # type: ignore[arg-type]


def test_a_ticket_page_offers_the_moves_its_workflow_allows(client: TestClient) -> None:
    ticket = client.post(
        "/tickets/", json={"title": "VPN drops", "description": "VPN drops every hour"}
    ).json()
    page = client.get(f"/ui/tickets/{ticket['id']}").text
    assert "VPN drops" in page
    assert '{"status": "resolved"}' in page
    assert '{"status": "open"}' not in page
    client.put(f"/tickets/{ticket['id']}", json={"status": "closed"})
    assert 'hx-put="/tickets/' not in client.get(f"/ui/tickets/{ticket['id']}").text
    assert client.get("/ui/tickets/999").status_code == 404


def test_the_ticket_list_filters_by_priority(client: TestClient) -> None:
    for title in ("Database down", "Printer jam", "Payroll server outage"):
        client.post("/tickets/", json={"title": title, "description": f"{title}, urgent"})
    tickets = client.get("/tickets/").json()
    high = [ticket for ticket in tickets if ticket["priority"] == "high"]
    page = client.get("/ui/tickets?priority=high").text
    assert page.count('<a href="/ui/tickets/') == len(high)


def test_plotly_and_htmx_are_served_locally(client: TestClient) -> None:
    assert "plotly" in client.get("/ui/assets/plotly.min.js").text[:2000].lower()
    assert client.get("/static/vendor/htmx.min.js").text.startswith("var htmx")
    page = client.get("/ui/forecasts").text
    assert "/ui/assets/plotly.min.js" in page
    assert "https://" not in page.split("<main")[0]  # nothing in the head from elsewhere
