"""CSV files that a spreadsheet opens as data, never as formulas.

A cell that starts with ``=``, ``+``, ``-``, ``@`` or a tab/carriage return is run as a
formula by Excel and LibreOffice; a series named ``=HYPERLINK(...)`` in an input file
would otherwise come back out of a forecast as a live link. Text cells that start so get
a leading apostrophe (OWASP's advice); numbers are left alone, negative ones included.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _defuse(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def defuse_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot start a formula; other columns unchanged."""
    text_columns = [
        column
        for column in frame.columns
        if frame[column].dtype == object or isinstance(frame[column].dtype, pd.StringDtype)
    ]
    safe = frame.copy()
    for column in text_columns:
        safe[column] = safe[column].map(_defuse)
    safe.columns = [_defuse(column) for column in safe.columns]
    return safe


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` as CSV at ``path``, formula-safe, without the index."""
    defuse_formulas(frame).to_csv(path, index=False)
