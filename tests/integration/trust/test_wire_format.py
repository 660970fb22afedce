"""How values cross the wire, for every endpoint: times in UTC with an offset, numbers strict.

The schema walk covers every route the app serves, so an endpoint added later with a bare
``datetime`` in its response or a request model that forgets the shared base fails here;
the requests show the behaviour a client sees.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from pydantic import BaseModel, TypeAdapter

from opscast.api.app import create_app
from opscast.config import Settings
from opscast.schema_types import RequestModel, as_utc, refuse_bool


def api_routes(routes: Any) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router
            yield from api_routes(route.original_router.routes)


def schema_nodes(schema: Any, kinds: set[str]) -> Iterator[dict[str, Any]]:
    """Every node of a pydantic core schema whose type is one of ``kinds`` (a serialiser's own
    return schema is what it writes, not a field, so it is not walked)."""
    if isinstance(schema, dict):
        if isinstance(kind := schema.get("type"), str) and kind in kinds:
            yield schema
        for key, value in schema.items():
            if key != "serialization":
                yield from schema_nodes(value, kinds)
    elif isinstance(schema, list):
        for item in schema:
            yield from schema_nodes(item, kinds)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


def test_every_response_datetime_is_written_in_utc(app: FastAPI) -> None:
    checked = 0
    for route in api_routes(app.routes):
        if route.response_model is None:
            continue
        schema = TypeAdapter(route.response_model).core_schema
        for node in schema_nodes(schema, {"datetime"}):
            serializer = node.get("serialization", {}).get("function")
            assert serializer is as_utc, f"{route.path}: a datetime without UtcDateTime"
            checked += 1
    assert checked > 40  # jobs, tickets, alerts, keys, registry, series, servers, ...


def test_every_request_body_refuses_booleans_for_numbers(app: FastAPI) -> None:
    bodies = {
        model
        for route in api_routes(app.routes)
        if route.body_field is not None
        and isinstance(model := route.body_field.field_info.annotation, type)
        and issubclass(model, BaseModel)
        and model.__module__.startswith("opscast.")
    }
    assert len(bodies) > 20
    numbers = 0
    for model in bodies:
        assert issubclass(model, RequestModel), f"{model.__name__} does not extend RequestModel"
        schema = model.__pydantic_core_schema__
        checked = [
            node
            for node in schema_nodes(schema, {"function-before"})
            if node["function"]["function"] is refuse_bool
        ]
        found = list(schema_nodes(schema, {"int", "float"}))
        assert len(checked) == len(found), f"{model.__name__}: a number without the check"
        numbers += len(found)
    assert numbers > 50


def test_times_come_back_in_utc_whatever_offset_they_were_sent_with(client: TestClient) -> None:
    points = [
        {"unique_id": "web", "ds": "2024-01-01T00:00:00", "y": 1.0},
        {"unique_id": "web", "ds": "2024-01-01T03:00:00+02:00", "y": 2.0},
    ]
    assert client.post("/series/points", json={"points": points}).status_code == 201
    served = [point["ds"] for point in client.get("/series/web/points").json()["points"]]
    assert served == ["2024-01-01T00:00:00Z", "2024-01-01T01:00:00Z"]
    listing = client.get("/series").json()[0]
    assert listing["first_ds"] == "2024-01-01T00:00:00Z"
    ticket = client.post("/tickets/", json={"title": "disk full", "description": "db-01"}).json()
    assert ticket["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/forecast", {"category": "Software", "future_periods": True}, "future_periods"),
        ("/forecast", {"category": "Software", "level": False}, "level"),
        ("/tickets/", {"title": "t", "description": "d", "impact": True}, "impact"),
        (
            "/collect",
            {"points": [{"host": "h", "metric": "m", "timestamp": "2026-01-01", "value": False}]},
            "points.0.value",
        ),
        ("/series/points", {"points": [{"unique_id": "a", "ds": "2024-01-01", "y": True}]}, "y"),
    ],
)
def test_a_boolean_where_a_number_belongs_is_a_422_naming_the_field(
    client: TestClient, path: str, body: dict[str, Any], field: str
) -> None:
    response = client.post(path, json=body)
    assert response.status_code == 422, response.text
    assert any(
        ".".join(map(str, error["loc"])).endswith(field) for error in response.json()["detail"]
    )
    assert field.rsplit(".", 1)[-1] in response.json()["message"]
    assert client.get("/series").json() == []
    assert client.get("/tickets/").json() == []


def test_integers_still_read_as_floats(client: TestClient) -> None:
    body = {"points": [{"unique_id": "a", "ds": "2024-01-01", "y": 3}]}
    assert client.post("/series/points", json=body).status_code == 201
    assert client.get("/series/a/points").json()["points"][0]["y"] == 3.0
