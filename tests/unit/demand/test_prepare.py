"""`prepare`: bad rows are reported with their line numbers and left out; nothing else is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from opscast.demand.config import DataColumns, load_config
from opscast.demand.prepare import prepare_csv
from opscast.errors import InvalidInputError

CSV = """date,store,item,sales
2024-01-02,1,1,5
2024-01-01,1,1,4
not-a-day,1,1,3
2024-01-03,one,1,3
2024-01-03,1,2.5,3
2024-01-03,1,1,
2024-01-04,1,1,-1
2024-01-01,1,1,9
2024-01-01,2,1,7
"""


def write(tmp_path: Path, text: str, name: str = "sales.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_every_bad_row_is_named_by_line_and_reason(tmp_path: Path) -> None:
    prepared = prepare_csv(write(tmp_path, CSV), DataColumns())
    reasons = {(row.line, row.column): row.reason for row in prepared.bad}
    assert reasons == {
        (4, "date"): "not a date (use YYYY-MM-DD)",
        (5, "store"): "not a whole number",
        (6, "item"): "not a whole number",
        (7, "sales"): "not a number",
        (8, "sales"): "negative sales",
        (9, "date"): "repeats store, item and date of line 3",
    }
    assert prepared.bad_count == 6
    frame = prepared.frame
    assert frame[["store", "item", "y"]].values.tolist() == [[1, 1, 4], [1, 1, 5], [2, 1, 7]]
    assert frame["unique_id"].tolist() == ["store_1-item_1"] * 2 + ["store_2-item_1"]


def test_column_names_come_from_the_config(tmp_path: Path) -> None:
    text = "day,shop,sku,units\n2024-01-01,3,4,10\n"
    config = write(
        tmp_path, '[data]\ndate = "day"\nstore = "shop"\nitem = "sku"\nsales = "units"\n', "c.toml"
    )
    prepared = prepare_csv(write(tmp_path, text), load_config(config).data)
    assert prepared.frame[["store", "item", "y"]].values.tolist() == [[3, 4, 10]]


def test_a_missing_column_names_itself_and_the_columns_found(tmp_path: Path) -> None:
    with pytest.raises(
        InvalidInputError, match="no column 'sales'; it has 'date', 'store', 'item', 'units'"
    ):
        prepare_csv(write(tmp_path, "date,store,item,units\n2024-01-01,1,1,1\n"), DataColumns())


def test_a_file_without_one_usable_row_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="line 2, date 'x'"):
        prepare_csv(write(tmp_path, "date,store,item,sales\nx,1,1,1\n"), DataColumns())


def test_an_unknown_config_key_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match=r"model\.params_typo"):
        load_config(write(tmp_path, "[model]\nparams_typo = 1\n", "c.toml"))
    with pytest.raises(InvalidInputError, match="shorter than the horizon"):
        load_config(write(tmp_path, "[features]\nhorizon = 30\nlags = [7]\n", "c.toml"))
