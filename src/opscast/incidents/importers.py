"""Incident exports to daily incident counts per category (long format).

An export is read as *events*: one row per incident with its id, category and opening
time (``id``, ``category``, ``opened_at``). Two layouts are known: the ServiceNow event
log (one row per update of an incident, so rows are folded to one per ``number``) and
the ``ITSM_data.csv`` layout with ``CI_Cat`` and ``Open_Time``; any other file works
with an explicit column mapping. ``count_incidents`` turns events into counts and is the
entry point for every other source of incidents, such as tickets stored by opscast:
produce the three event columns and pass them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from opscast.errors import InvalidInputError

EVENT_COLUMNS = ("id", "category", "opened_at")
UNKNOWN_CATEGORY = "Unknown"
MISSING_MARKERS = ("", "?", "NA", "N/A", "null", "None")


@dataclass(frozen=True, slots=True)
class ColumnMapping:
    """Which columns of an export hold the incident id, category and opening time.

    ``date_format`` is a strptime pattern; without one, dates are parsed day-first
    (D/M/YYYY, the convention of both known exports). ``id`` may be None when every row
    is a distinct incident.
    """

    category: str
    opened_at: str
    id: str | None = None
    date_format: str | None = None

    @property
    def columns(self) -> list[str]:
        return [name for name in (self.id, self.category, self.opened_at) if name is not None]


LAYOUTS: dict[str, ColumnMapping] = {
    "servicenow": ColumnMapping(
        id="number", category="category", opened_at="opened_at", date_format="%d/%m/%Y %H:%M"
    ),
    "itsm": ColumnMapping(id="Incident_ID", category="CI_Cat", opened_at="Open_Time"),
}


def read_header(path: Path) -> list[str]:
    try:
        return list(pd.read_csv(path, nrows=0).columns)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise InvalidInputError(f"cannot read {path.name} as CSV: {exc}", field="file") from exc


def detect_layout(columns: list[str]) -> str:
    """The first known layout whose columns are all present, or an error naming what is missing."""
    present = set(columns)
    for name, mapping in LAYOUTS.items():
        if set(mapping.columns) <= present:
            return name
    reasons = "; ".join(
        f"{name} needs {', '.join(mapping.columns)} "
        f"(missing {', '.join(c for c in mapping.columns if c not in present)})"
        for name, mapping in LAYOUTS.items()
    )
    raise InvalidInputError(
        f"the file fits no known incident layout: {reasons}; "
        "or name the columns with a mapping (category, opened_at, id)",
        field="file",
    )


def read_events(path: Path, mapping: ColumnMapping) -> pd.DataFrame:
    """One row per incident: ``id``, ``category``, ``opened_at`` (a timestamp)."""
    header = read_header(path)
    missing = [name for name in mapping.columns if name not in header]
    if missing:
        raise InvalidInputError(
            f"{path.name} has no column {', '.join(missing)}; its columns are {', '.join(header)}",
            field="file",
        )
    raw = pd.read_csv(
        path,
        usecols=mapping.columns,
        dtype=str,
        keep_default_na=False,
        na_values=list(MISSING_MARKERS),
    )
    events = pd.DataFrame(
        {
            "id": raw[mapping.id] if mapping.id else pd.Series(range(len(raw)), dtype=str),
            "category": raw[mapping.category].fillna(UNKNOWN_CATEGORY).str.strip(),
            "opened_at": pd.to_datetime(
                raw[mapping.opened_at],
                format=mapping.date_format,
                dayfirst=mapping.date_format is None,
                errors="coerce",
            ),
        }
    )
    unparsed = events["opened_at"].isna() & raw[mapping.opened_at].notna()
    if unparsed.any():
        row = int(unparsed.to_numpy().nonzero()[0][0])
        raise InvalidInputError(
            f"row {row + 2} of {path.name}: {raw[mapping.opened_at].iloc[row]!r} in "
            f"{mapping.opened_at} is not a date"
            + (f" in the format {mapping.date_format}" if mapping.date_format else ""),
            field=mapping.opened_at,
        )
    events["category"] = events["category"].replace("", UNKNOWN_CATEGORY)
    events = events.dropna(subset=["opened_at"])
    # an event log repeats an incident once per update: its first row is its opening
    return events.drop_duplicates(subset="id", keep="first").reset_index(drop=True)


def count_incidents(
    events: pd.DataFrame, *, start: date | None = None, end: date | None = None
) -> pd.DataFrame:
    """Daily incidents opened per category, zero on days without any (``unique_id, ds, y``)."""
    missing = [name for name in EVENT_COLUMNS if name not in events.columns]
    if missing:
        raise InvalidInputError(f"incident events need {', '.join(missing)}", field="events")
    day = events["opened_at"].dt.normalize()
    keep = pd.Series(True, index=events.index)
    if start is not None:
        keep &= day >= pd.Timestamp(start)
    if end is not None:
        keep &= day <= pd.Timestamp(end)
    if not keep.any():
        raise InvalidInputError("no incident was opened in the chosen date range", field="start")
    chosen = events.loc[keep]
    first, last = day[keep].min(), day[keep].max()
    counts = chosen.groupby([chosen["category"], day[keep]]).size().rename("y").reset_index()
    counts.columns = pd.Index(["unique_id", "ds", "y"])
    grid = pd.MultiIndex.from_product(
        [sorted(counts["unique_id"].unique()), pd.date_range(first, last, freq="D")],
        names=["unique_id", "ds"],
    )
    full = counts.set_index(["unique_id", "ds"])["y"].reindex(grid, fill_value=0)
    return full.astype("float64").reset_index()
