"""The data fingerprint names a training frame's content, not its layout in memory."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.registry import data_fingerprint


def frame(values: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "unique_id": ["a" if i % 2 else "b" for i in range(len(values))],
            "ds": pd.date_range("2024-01-01", periods=len(values), freq="D"),
            "y": values,
        }
    )


values_strategy = st.lists(
    st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=40, unique=True
)


@settings(max_examples=40, deadline=None)
@given(values=values_strategy, seed=st.integers(0, 1000))
def test_row_order_and_index_do_not_matter(values: list[float], seed: int) -> None:
    original = frame(values)
    shuffled = original.sample(frac=1.0, random_state=seed)
    shuffled.index = range(100, 100 + len(shuffled))
    assert data_fingerprint(shuffled) == data_fingerprint(original)
    assert data_fingerprint(original[["y", "ds", "unique_id"]]) == data_fingerprint(original)


@settings(max_examples=40, deadline=None)
@given(values=values_strategy, position=st.integers(0, 39), delta=st.floats(0.5, 10.0))
def test_any_changed_value_changes_the_fingerprint(
    values: list[float], position: int, delta: float
) -> None:
    original = frame(values)
    changed = original.copy()
    row = position % len(values)
    changed.loc[row, "y"] = changed.loc[row, "y"] + delta
    assert data_fingerprint(changed) != data_fingerprint(original)


def test_renamed_series_or_shifted_dates_change_the_fingerprint() -> None:
    original = frame([1.0, 2.0, 3.0])
    renamed = original.assign(unique_id="c")
    shifted = original.assign(ds=original["ds"] + pd.Timedelta(days=1))
    prints = {data_fingerprint(f) for f in (original, renamed, shifted)}
    assert len(prints) == 3
    assert data_fingerprint(original).startswith("sha256:")
