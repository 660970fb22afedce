"""Read a sales CSV, reject the rows that cannot be used (with their line numbers), sort.

Vectorised on purpose: the reference data set has 913,000 rows, and a per-row check in
Python would take longer than training. Each column is parsed once as a whole
(``errors="coerce"``) and the failures are located afterwards, so a bad row costs
nothing until it is reported. A row is bad when its date is not a date, its store or
item is not a whole number, its sales are missing, negative or not a number, or it
repeats a store, item and date seen on an earlier line. Bad rows are left out and
listed; a file in which no row survives is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from opscast.demand.config import DataColumns
from opscast.demand.training import series_id
from opscast.errors import InvalidInputError

HEADER_LINES = 1
SHOWN_BAD_ROWS = 1000


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    column: str
    value: str
    reason: str

    def summary(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Prepared:
    frame: pd.DataFrame  # unique_id, ds, y, store, item; sorted by unique_id, ds
    rows_read: int
    bad: list[BadRow]
    bad_count: int

    def summary(self) -> dict[str, Any]:
        frame = self.frame
        return {
            "rows_read": self.rows_read,
            "rows_kept": len(frame),
            "bad_rows": self.bad_count,
            "bad_rows_shown": [row.summary() for row in self.bad],
            "series": int(frame["unique_id"].nunique()),
            "stores": int(frame["store"].nunique()),
            "items": int(frame["item"].nunique()),
            "first_day": f"{frame['ds'].min():%Y-%m-%d}",
            "last_day": f"{frame['ds'].max():%Y-%m-%d}",
        }


def read_sales_csv(path: Path, columns: DataColumns) -> pd.DataFrame:
    """The four columns as text, so that nothing is silently converted before it is checked."""
    wanted = [columns.date, columns.store, columns.item, columns.sales]
    try:
        header = pd.read_csv(path, nrows=0).columns.tolist()
    except FileNotFoundError:
        raise InvalidInputError(f"no file {path}", field="input") from None
    except (pd.errors.EmptyDataError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InvalidInputError(f"{path} is not a readable CSV: {exc}", field="input") from None
    missing = [name for name in wanted if name not in header]
    if missing:
        raise InvalidInputError(
            f"{path.name} has no column {', '.join(map(repr, missing))}; it has "
            f"{', '.join(map(repr, header))}. Name the columns in the config's [data] section",
            field=missing[0],
        )
    try:
        return pd.read_csv(path, usecols=wanted, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path} is not a readable CSV: {exc}", field="input") from None


def prepare_frame(raw: pd.DataFrame, columns: DataColumns) -> Prepared:
    """Check, convert and sort text columns read from a CSV (line numbers count the header)."""
    lines = np.arange(len(raw)) + HEADER_LINES + 1
    text = {name: raw[name].str.strip() for name in raw.columns}
    ds = pd.to_datetime(text[columns.date], format="ISO8601", errors="coerce")
    store = pd.to_numeric(text[columns.store], errors="coerce")
    item = pd.to_numeric(text[columns.item], errors="coerce")
    sales = pd.to_numeric(text[columns.sales], errors="coerce")
    checks = [
        (columns.date, ds.isna(), "not a date (use YYYY-MM-DD)"),
        (columns.store, ~_whole(store), "not a whole number"),
        (columns.item, ~_whole(item), "not a whole number"),
        (columns.sales, sales.isna() | ~np.isfinite(sales), "not a number"),
        (columns.sales, sales < 0, "negative sales"),
    ]
    bad_mask = np.zeros(len(raw), dtype=bool)
    found: list[tuple[int, str, str, str]] = []
    for column, mask, reason in checks:
        flagged = mask.to_numpy() & ~bad_mask  # one reason per row: the first that applies
        for index in np.flatnonzero(flagged)[:SHOWN_BAD_ROWS]:
            found.append((int(lines[index]), column, str(raw[column].iloc[index]), reason))
        bad_mask |= mask.to_numpy()
    keys = pd.DataFrame({"store": store, "item": item, "ds": ds})
    repeated = keys.duplicated(keep="first").to_numpy() & ~bad_mask
    if repeated.any():
        first_line = (
            keys.assign(line=lines)
            .loc[~bad_mask]
            .drop_duplicates(["store", "item", "ds"], keep="first")
            .set_index(["store", "item", "ds"])["line"]
        )
        for index in np.flatnonzero(repeated)[:SHOWN_BAD_ROWS]:
            key = (store.iloc[index], item.iloc[index], ds.iloc[index])
            found.append(
                (
                    int(lines[index]),
                    columns.date,
                    str(raw[columns.date].iloc[index]),
                    f"repeats store, item and date of line {int(first_line.loc[key])}",
                )
            )
        bad_mask |= repeated
    keep = ~bad_mask
    if not keep.any():
        raise InvalidInputError(
            f"none of the {len(raw)} rows is usable; first problem: "
            + (
                f"line {found[0][0]}, {found[0][1]} {found[0][2]!r}: {found[0][3]}"
                if found
                else "the file is empty"
            ),
            field="input",
        )
    frame = pd.DataFrame(
        {
            "store": store[keep].astype("int64").to_numpy(),
            "item": item[keep].astype("int64").to_numpy(),
            "ds": ds[keep].to_numpy(),
            "y": sales[keep].astype("float64").to_numpy(),
        }
    )
    frame.insert(0, "unique_id", series_id(frame["store"], frame["item"]))
    frame = frame.sort_values(["unique_id", "ds"], ignore_index=True)
    found.sort()
    bad = [BadRow(*entry) for entry in found[:SHOWN_BAD_ROWS]]
    return Prepared(frame, len(raw), bad, int(bad_mask.sum()))


def _whole(values: pd.Series) -> pd.Series:
    finite = values.notna() & np.isfinite(values)
    whole: pd.Series = finite & (values == values.round())
    return whole


def prepare_csv(path: Path, columns: DataColumns) -> Prepared:
    return prepare_frame(read_sales_csv(path, columns), columns)
