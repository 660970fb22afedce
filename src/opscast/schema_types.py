"""How the request and response schemas read and write values on the wire.

Two rules hold for the whole API, so they live in one place rather than in each schema:

- **Times go out in UTC with an offset.** opscast stores naive UTC (``db.utc_now``), and a
  naive ``2026-01-01T00:00:00`` is ambiguous to a client and violates the ``date-time``
  format the OpenAPI schema promises. :data:`UtcDateTime` serialises every datetime as
  ISO 8601 with ``+00:00``; on input it accepts naive (read as UTC) and aware values
  unchanged, so the services keep seeing what they saw before.
- **A boolean is not a number.** pydantic's lax mode reads ``true`` as ``1`` and ``false`` as
  ``0``, so ``{"horizon": true}`` would forecast one step. :class:`RequestModel` refuses a
  boolean wherever a field (or a list or mapping of them) expects an int or a float, with
  a 422 naming the field; everything else keeps pydantic's usual coercions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, GetCoreSchemaHandler, PlainSerializer
from pydantic_core import CoreSchema, PydanticCustomError, core_schema


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime: naive values are UTC already (how opscast stores them)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def naive_utc(stamp: str | datetime) -> datetime:
    """The naive UTC datetime opscast stores for an ISO 8601 string or a datetime."""
    moment = datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


UtcDateTime = Annotated[datetime, PlainSerializer(as_utc, return_type=datetime)]
"""A datetime that is written as ISO 8601 in UTC with its offset, naive or not in Python."""


def refuse_bool(value: Any) -> Any:
    """pydantic reads ``true`` as 1 wherever it expects a number; a request must not."""
    if isinstance(value, bool):
        raise PydanticCustomError("number_type", "Input should be a number, not a boolean")
    return value


def _checked(schema: dict[str, Any]) -> bool:
    """A number checked already (a nested request model, whose schema was built first)."""
    function = schema.get("function")
    return isinstance(function, dict) and function.get("function") is refuse_bool


def _refusing_bools(schema: Any) -> Any:
    """A core schema whose every int and float first refuses a bool; the rest unchanged."""
    if isinstance(schema, list):
        return [_refusing_bools(item) for item in schema]
    if not isinstance(schema, dict) or _checked(schema):
        return schema
    rebuilt = {
        key: value if key == "serialization" else _refusing_bools(value)
        for key, value in schema.items()
    }
    if rebuilt.get("type") in ("int", "float"):
        return core_schema.no_info_before_validator_function(refuse_bool, rebuilt)
    return rebuilt


class RequestModel(BaseModel):
    """The base of every request body schema: numbers are numbers, never ``true``/``false``.

    Each number's schema gets a check in front of it rather than pydantic's strict mode:
    strict would also refuse the strings of a form body (``horizon=5``), and a model-wide
    ``strict=True`` the ISO strings of datetimes. The check runs for numeric fields only.
    """

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[BaseModel], handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        refusing: CoreSchema = _refusing_bools(handler(source))
        return refusing
