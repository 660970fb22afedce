"""A whole data-drift check of two frames: the per-column tests and the binned
distributions its report draws, kept together so one object renders the page.

Pure (frames in, result and HTML out), so the command line compares two files without
loading storage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from opscast.drift.data_drift import (
    DEFAULT_DRIFT_SHARE,
    ColumnOverride,
    DataDriftResult,
    detect_data_drift,
)
from opscast.drift.report import ColumnChart, column_charts, render_html


@dataclass(frozen=True, slots=True)
class DataDriftCheck:
    """A data-drift result with the binned distributions its report draws."""

    result: DataDriftResult
    charts: list[ColumnChart]
    title: str

    def html(self, plotly_src: str | None = None) -> str:
        """The report page; plotly.js inlined (a file that opens offline) unless a URL is given."""
        return render_html(self.result, self.charts, title=self.title, plotly_src=plotly_src)


def check_data_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    columns: Sequence[str] | None = None,
    overrides: Mapping[str, ColumnOverride] | None = None,
    drift_share: float = DEFAULT_DRIFT_SHARE,
    title: str = "Data drift report",
    on_step: Callable[[str], None] | None = None,
) -> DataDriftCheck:
    result = detect_data_drift(
        reference,
        current,
        columns=columns,
        overrides=overrides,
        drift_share=drift_share,
        on_column=(lambda name: on_step(f"testing {name}")) if on_step else None,
    )
    if on_step:
        on_step("binning distributions for the report")
    return DataDriftCheck(result, column_charts(reference, current, result), title)
