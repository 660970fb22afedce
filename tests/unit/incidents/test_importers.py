"""Incident exports become daily counts per category; files that fit no layout say why."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from opscast.errors import InvalidInputError
from opscast.incidents.importers import (
    LAYOUTS,
    ColumnMapping,
    count_incidents,
    detect_layout,
    read_events,
)
from opscast.incidents.imports import column_mapping

SHARED_DATA = Path(__file__).resolve().parents[4] / "shared" / "data"
EVENT_LOG = SHARED_DATA / "itsm" / "incident_event_log.csv"


def write_itsm(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """A file in the ITSM_data.csv layout (a few of its 25 columns, in its order)."""
    frame = pd.DataFrame(
        [
            {
                "CI_Name": "SUB000456",
                "CI_Cat": category,
                "CI_Subcat": "Web Based Application",
                "Incident_ID": incident,
                "Status": "Closed",
                "Priority": "4",
                "Open_Time": opened,
                "Close_Time": opened,
            }
            for incident, category, opened in rows
        ]
    )
    frame.to_csv(path, index=False)
    return path


def test_itsm_layout_counts_incidents_per_category_and_day(tmp_path: Path) -> None:
    path = write_itsm(
        tmp_path / "ITSM_data.csv",
        [
            ("IM0000004", "application", "05/02/2012 13:32"),
            ("IM0000005", "application", "05/02/2012 15:10"),
            ("IM0000006", "hardware", "07/02/2012 08:00"),
            ("IM0000007", "application", "08/02/2012 09:45"),
        ],
    )
    assert detect_layout(list(pd.read_csv(path, nrows=0).columns)) == "itsm"
    counts = count_incidents(read_events(path, LAYOUTS["itsm"]))
    table = counts.pivot(index="ds", columns="unique_id", values="y")
    # day-first dates: 05/02/2012 is the 5th of February; missing days count zero
    assert list(table.index) == list(pd.date_range("2012-02-05", "2012-02-08", freq="D"))
    assert table["application"].tolist() == [2.0, 0.0, 0.0, 1.0]
    assert table["hardware"].tolist() == [0.0, 0.0, 1.0, 0.0]


def test_an_event_log_counts_each_incident_once_on_its_opening_day(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    pd.DataFrame(
        {
            "number": ["INC1", "INC1", "INC1", "INC2"],
            "opened_at": [
                "29/2/2016 01:16",
                "29/2/2016 01:16",
                "29/2/2016 01:16",
                "1/3/2016 10:00",
            ],
            "category": ["Category 55", "Category 55", "Category 55", "?"],
            "incident_state": ["New", "Active", "Closed", "New"],
        }
    ).to_csv(path, index=False)
    counts = count_incidents(read_events(path, LAYOUTS["servicenow"]))
    totals = counts.groupby("unique_id")["y"].sum().to_dict()
    assert totals == {"Category 55": 1.0, "Unknown": 1.0}


def test_a_date_range_keeps_only_incidents_opened_inside_it(tmp_path: Path) -> None:
    path = write_itsm(
        tmp_path / "itsm.csv",
        [
            ("a", "x", "01/01/2020 10:00"),
            ("b", "x", "02/01/2020 10:00"),
            ("c", "x", "03/01/2020 1:00"),
        ],
    )
    counts = count_incidents(read_events(path, LAYOUTS["itsm"]), start=date(2020, 1, 2))
    assert counts["ds"].min() == pd.Timestamp("2020-01-02")
    assert counts["y"].sum() == 2.0
    with pytest.raises(InvalidInputError, match="no incident"):
        count_incidents(read_events(path, LAYOUTS["itsm"]), start=date(2021, 1, 1))


def test_a_file_that_fits_no_layout_names_the_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    pd.DataFrame({"ticket": [1], "CI_Cat": ["x"], "created": ["2024-01-01"]}).to_csv(
        path, index=False
    )
    with pytest.raises(InvalidInputError) as caught:
        column_mapping(list(pd.read_csv(path, nrows=0).columns))
    message = caught.value.message
    assert "missing Incident_ID, Open_Time" in message
    assert "missing number, category, opened_at" in message
    # an explicit mapping makes the same file usable
    name, mapping = column_mapping(
        ["ticket", "CI_Cat", "created"],
        overrides={"category": "CI_Cat", "opened_at": "created", "id": "ticket"},
    )
    assert name == "custom"
    counts = count_incidents(read_events(path, mapping))
    assert counts.to_dict("records") == [
        {"unique_id": "x", "ds": pd.Timestamp("2024-01-01"), "y": 1.0}
    ]


def test_bad_mappings_and_dates_are_refused_with_the_culprit(tmp_path: Path) -> None:
    path = write_itsm(tmp_path / "itsm.csv", [("a", "x", "not a date")])
    with pytest.raises(InvalidInputError, match=r"row 2 .*'not a date' in Open_Time") as caught:
        read_events(path, LAYOUTS["itsm"])
    assert caught.value.field == "Open_Time"
    with pytest.raises(InvalidInputError, match="unknown mapping key colour"):
        column_mapping([], overrides={"colour": "x"})
    with pytest.raises(InvalidInputError, match="unknown layout 'jira'"):
        column_mapping([], layout="jira")
    with pytest.raises(InvalidInputError, match="has no column Category"):
        read_events(path, ColumnMapping(category="Category", opened_at="Open_Time"))


def test_the_servicenow_event_log() -> None:
    if not EVENT_LOG.is_file():
        pytest.skip(f"the ServiceNow event log is not in {SHARED_DATA} (see its PROVENANCE.md)")
    columns = list(pd.read_csv(EVENT_LOG, nrows=0).columns)
    assert detect_layout(columns) == "servicenow"
    events = read_events(EVENT_LOG, LAYOUTS["servicenow"])
    assert len(events) == 24_918  # distinct incidents, as published
    counts = count_incidents(events)
    assert counts["y"].sum() == len(events)
    monthly = counts.groupby(counts["ds"].dt.to_period("M"))["y"].sum()
    dense = monthly.loc["2016-03":"2016-05"]
    assert (dense > 7_000).all()
    assert monthly.drop(dense.index).max() < 300
