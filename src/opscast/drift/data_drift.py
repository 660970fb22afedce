"""Per-column data drift between a reference and a current frame, and the dataset verdict.

The default test per column follows the field's convention (Evidently's), so results read
the same as in the tools people already know: with at most 1,000 reference values a numeric
column gets the Kolmogorov-Smirnov test and any other the chi-square test (p < 0.05 drifts);
with more, numeric columns get the normalized Wasserstein distance and others the
Jensen-Shannon distance (>= 0.1 drifts). A numeric column with at most five distinct values
is compared per value, as a category. The dataset drifts when at least half of its columns
do. Every choice can be overridden per column, and every threshold in force is part of the
result, so a verdict can always be explained from the output alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from opscast.drift.errors import DriftInputError
from opscast.drift.two_sample import (
    DEFAULT_THRESHOLDS,
    NUMERIC_ONLY,
    P_VALUE_TESTS,
    TEST_NAMES,
    Array,
    TestName,
    is_drifted,
    more_distinct_than,
    run_test,
)

ColumnKind = Literal["numeric", "categorical"]
SMALL_SAMPLE_ROWS = 1_000
CATEGORICAL_MAX_UNIQUE = 5
DEFAULT_DRIFT_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class ColumnOverride:
    """The test and/or threshold to use for one column instead of the default."""

    test: TestName | None = None
    threshold: float | None = None


@dataclass(frozen=True, slots=True)
class ColumnDrift:
    column: str
    kind: ColumnKind
    test: TestName
    statistic: float
    p_value: float | None
    threshold: float
    drifted: bool
    reference_rows: int
    current_rows: int

    def summary(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "threshold": self.threshold,
            "drifted": self.drifted,
        }


@dataclass(frozen=True, slots=True)
class DataDriftResult:
    columns: list[ColumnDrift] = field(default_factory=list)
    drift_share: float = DEFAULT_DRIFT_SHARE

    @property
    def share_drifted(self) -> float:
        if not self.columns:
            return 0.0
        return sum(column.drifted for column in self.columns) / len(self.columns)

    @property
    def dataset_drift(self) -> bool:
        return bool(self.columns) and self.share_drifted >= self.drift_share

    @property
    def drifted_columns(self) -> list[str]:
        return [column.column for column in self.columns if column.drifted]

    def summary(self) -> dict[str, Any]:
        """The documented JSON summary: dataset verdict plus one entry per column."""
        return {
            "dataset_drift": self.dataset_drift,
            "share_drifted": self.share_drifted,
            "columns": {column.column: column.summary() for column in self.columns},
        }


def column_kind(values: pd.Series) -> ColumnKind:
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        return "categorical"
    return "numeric"


def default_test(kind: ColumnKind, reference_rows: int, per_value: bool) -> TestName:
    """The field's default; ``per_value`` is true for categories and nearly constant numbers."""
    per_value = per_value or kind == "categorical"
    if reference_rows <= SMALL_SAMPLE_ROWS:
        return "chi_square" if per_value else "ks"
    return "jensen_shannon" if per_value else "wasserstein"


def _many_values(reference: Array, current: Array) -> bool:
    """More than CATEGORICAL_MAX_UNIQUE distinct values in both samples together."""
    limit = CATEGORICAL_MAX_UNIQUE
    if more_distinct_than(reference, limit) or more_distinct_than(current, limit):
        return True
    return bool(np.unique(np.concatenate([np.unique(reference), np.unique(current)])).size > limit)


def check_threshold(test: TestName, threshold: float, column: str) -> float:
    if not np.isfinite(threshold) or threshold <= 0:
        raise DriftInputError(
            f"threshold {threshold} for column {column!r} must be a positive number",
            field="threshold",
        )
    if test in P_VALUE_TESTS and threshold >= 1:
        raise DriftInputError(
            f"threshold {threshold} for column {column!r} is a p-value for {test}: "
            "use a number between 0 and 1 such as 0.05",
            field="threshold",
        )
    return float(threshold)


def clean_values(values: pd.Series, kind: ColumnKind, column: str, role: str) -> Array:
    """Missing values dropped; categories compared as text; infinities refused."""
    present = values.dropna()
    if present.empty:
        raise DriftInputError(
            f"column {column!r} has no values in the {role} data", field=f"{role}.{column}"
        )
    if kind == "categorical":
        return present.astype(str).to_numpy()
    array = present.to_numpy(dtype="float64")
    if not np.isfinite(array).all():
        raise DriftInputError(
            f"column {column!r} holds infinite values in the {role} data",
            field=f"{role}.{column}",
        )
    return array


def compare_column(
    reference: pd.Series,
    current: pd.Series,
    *,
    column: str,
    override: ColumnOverride | None = None,
) -> ColumnDrift:
    """One column's test, statistic and verdict."""
    kind: ColumnKind = (
        "numeric"
        if column_kind(reference) == "numeric" and column_kind(current) == "numeric"
        else "categorical"
    )
    ref = clean_values(reference, kind, column, "reference")
    cur = clean_values(current, kind, column, "current")
    chosen = override or ColumnOverride()
    test = chosen.test or default_test(
        kind,
        ref.size,
        per_value=kind == "categorical" or not _many_values(ref, cur),
    )
    if test not in TEST_NAMES:
        raise DriftInputError(
            f"unknown test {test!r} for column {column!r}; use one of {', '.join(TEST_NAMES)}",
            field="test",
        )
    if test in NUMERIC_ONLY and kind != "numeric":
        raise DriftInputError(
            f"{test} needs numbers but column {column!r} is categorical; "
            "use chi_square, jensen_shannon or psi",
            field="test",
        )
    threshold = check_threshold(
        test,
        DEFAULT_THRESHOLDS[test] if chosen.threshold is None else chosen.threshold,
        column,
    )
    statistic, p_value = run_test(test, ref, cur, numeric=kind == "numeric")
    return ColumnDrift(
        column=column,
        kind=kind,
        test=test,
        statistic=statistic,
        p_value=p_value,
        threshold=threshold,
        drifted=is_drifted(test, statistic, p_value, threshold),
        reference_rows=int(ref.size),
        current_rows=int(cur.size),
    )


def detect_data_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    overrides: Mapping[str, ColumnOverride] | None = None,
    drift_share: float = DEFAULT_DRIFT_SHARE,
    on_column: Callable[[str], None] | None = None,
) -> DataDriftResult:
    """Compare every column (or the named ones) of two frames; see the module docstring.

    ``on_column`` is called with each column's name before it is compared (progress bars).
    """
    if not 0 < drift_share <= 1:
        raise DriftInputError(
            f"drift share {drift_share} must be in (0, 1]: the share of drifted columns "
            "at which the dataset counts as drifted",
            field="drift_share",
        )
    names = list(columns) if columns is not None else list(reference.columns)
    if not names:
        raise DriftInputError("there are no columns to compare", field="columns")
    for role, frame in (("reference", reference), ("current", current)):
        missing = [name for name in names if name not in frame.columns]
        if missing:
            raise DriftInputError(
                f"the {role} data has no column {', '.join(map(repr, missing))}",
                field=f"{role}.{missing[0]}",
            )
    unknown = sorted(set(overrides or {}) - set(names))
    if unknown:
        raise DriftInputError(
            f"override for unknown column {unknown[0]!r}; columns are {', '.join(names)}",
            field="overrides",
        )
    results = []
    for name in names:
        if on_column is not None:
            on_column(name)
        results.append(
            compare_column(
                reference[name], current[name], column=name, override=(overrides or {}).get(name)
            )
        )
    return DataDriftResult(columns=results, drift_share=float(drift_share))
