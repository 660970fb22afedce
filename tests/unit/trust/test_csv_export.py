"""Exported CSVs open in a spreadsheet as data: no text cell starts a formula."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from opscast.csv_export import FORMULA_STARTS, defuse_formulas, write_csv


def test_formula_cells_are_quoted_and_numbers_kept(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "unique_id": ['=HYPERLINK("http://x")', "+1", "@SUM(A1)", "-2", "web-1", "\tcmd"],
            "y": [-1.5, 2.0, 3.0, -4.0, 5.0, 6.0],
        }
    )
    path = tmp_path / "out.csv"
    write_csv(frame, path)
    back = pd.read_csv(path, keep_default_na=False)
    assert back["unique_id"].tolist() == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'@SUM(A1)",
        "'-2",
        "web-1",
        "'\tcmd",
    ]
    assert back["y"].tolist() == [-1.5, 2.0, 3.0, -4.0, 5.0, 6.0]


def test_a_formula_column_name_is_quoted_too() -> None:
    assert list(defuse_formulas(pd.DataFrame({"=cmd": ["a"]})).columns) == ["'=cmd"]


@given(st.lists(st.text(max_size=20), min_size=1, max_size=20))
def test_no_text_cell_starts_a_formula(values: list[str]) -> None:
    safe = defuse_formulas(pd.DataFrame({"text": values}))
    for original, cell in zip(values, safe["text"], strict=True):
        assert not cell.startswith(FORMULA_STARTS)
        assert cell.removeprefix("'") == original or cell == original
