"""Importing ITSM exports: the column mapping of a file, and its daily counts per category
stored with the shadow forecasts they settle.

Apart from ``service.py`` because settling builds on shadow scoring, which builds on the
forecaster: this module sits above both, so neither imports the other back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from opscast.errors import InvalidInputError
from opscast.incidents.importers import (
    LAYOUTS,
    ColumnMapping,
    count_incidents,
    detect_layout,
    read_events,
    read_header,
)
from opscast.incidents.service import KIND
from opscast.incidents.shadow import settle_shadow
from opscast.series.schemas import IngestResult
from opscast.series.service import ingest_frame


def column_mapping(
    columns: list[str], layout: str | None = None, overrides: Mapping[str, str] | None = None
) -> tuple[str, ColumnMapping]:
    """The named (or detected) layout's mapping with ``overrides`` applied, and its name.

    With ``category`` and ``opened_at`` among the overrides and no layout named, the
    file needs to fit no known layout: the overrides are the mapping.
    """
    given = dict(overrides or {})
    allowed = {"id", "category", "opened_at", "date_format"}
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise InvalidInputError(
            f"unknown mapping key {', '.join(unknown)}; use {', '.join(sorted(allowed))}",
            field="mapping",
        )
    if layout is not None and layout not in LAYOUTS:
        raise InvalidInputError(
            f"unknown layout {layout!r}; use {', '.join(LAYOUTS)}", field="layout"
        )
    if layout is None and {"category", "opened_at"} <= set(given):
        name, base = (
            "custom",
            ColumnMapping(category=given["category"], opened_at=given["opened_at"]),
        )
    else:
        name = layout or detect_layout(columns)
        base = LAYOUTS[name]
    mapping = ColumnMapping(
        category=given.get("category", base.category),
        opened_at=given.get("opened_at", base.opened_at),
        id=given.get("id", base.id),
        date_format=given.get("date_format", base.date_format),
    )
    return name, mapping


def import_file(
    session: Session,
    path: Path,
    *,
    layout: str | None = None,
    overrides: Mapping[str, str] | None = None,
    start: date | None = None,
    end: date | None = None,
) -> IngestResult:
    """Store the daily incident counts per category of an export file.

    New counts may complete periods that shadow scoring forecast: their errors are
    recorded in the same unit of work.
    """
    name, mapping = column_mapping(read_header(path), layout, overrides)
    counts = count_incidents(read_events(path, mapping), start=start, end=end)
    result = ingest_frame(session, counts, kind=KIND, source=f"import:{name}", freq="D")
    for category in counts["unique_id"].unique():
        settle_shadow(session, str(category))
    return result
