"""Score a table of metric points: the one path used by ``opscast anomaly score`` and the benchmark.

Input is either one series (``timestamp``, ``value``: the layout of NAB and most
exports) or long format (``unique_id``, ``ds``, ``y``). Each series is scored in time
order by a fresh detector; the output keeps the caller's rows and columns in their
order and adds ``anomaly_score``, ``is_anomaly`` and, for flagged rows, an
``explanation``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from opscast.anomaly.detectors import Detector, make_detector
from opscast.anomaly.explain import contributions, describe, missed_cycle
from opscast.anomaly.features import FloatArray
from opscast.anomaly.novelty import NoveltyDetector, gaps_of, points_per_day
from opscast.errors import InvalidInputError

LAYOUTS = (("unique_id", "ds", "y"), ("timestamp", "value"), ("ds", "y"))


def _columns(frame: pd.DataFrame) -> tuple[str | None, str, str]:
    for layout in LAYOUTS:
        if set(layout) <= set(frame.columns):
            if len(layout) == 3:
                return layout[0], layout[1], layout[2]
            return None, layout[0], layout[1]
    raise InvalidInputError(
        "expected columns timestamp,value or unique_id,ds,y; found "
        + ", ".join(map(str, frame.columns)),
        field="columns",
    )


def _numeric(values: pd.Series, column: str) -> np.ndarray:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() & values.notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidInputError(
            f"{column} must be numeric; row {row + 1} holds {values.iloc[row]!r}", field=column
        )
    return numbers.to_numpy(dtype=np.float64)


def _times(stamps: pd.Series, column: str) -> np.ndarray:
    """The time of each row: numbers as they are, text parsed to datetime64."""
    if pd.api.types.is_numeric_dtype(stamps):
        keys = stamps.to_numpy()
    else:
        parsed = pd.to_datetime(stamps, errors="coerce", format="mixed")
        if parsed.isna().any():
            row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
            raise InvalidInputError(
                f"{column} must be timestamps; row {row + 1} holds {stamps.iloc[row]!r}",
                field=column,
            )
        keys = parsed.to_numpy()
    return keys


def score_series(
    model: Detector, values: FloatArray, times: np.ndarray
) -> tuple[FloatArray, FloatArray]:
    """Scores of one series in time order, and the share of them a missed daily cycle
    raised: the novelty detector gets the series' clock and gaps from its timestamps."""
    if not isinstance(model, NoveltyDetector):
        return model.score(values), np.zeros(len(values))
    if np.issubdtype(times.dtype, np.datetime64):
        cycle = points_per_day(times, model.max_cycle)
        trace = replace(model, cycle=cycle).trace(values, gaps=gaps_of(times, cycle))
    else:
        trace = model.trace(values)
    return trace.scores, trace.missed


def score_frame(
    frame: pd.DataFrame,
    *,
    detector: str = "novelty",
    threshold: float | None = None,
    explain: bool = True,
    on_series: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """``frame`` with ``anomaly_score`` in [0, 1], ``is_anomaly`` and ``explanation`` added."""
    try:
        make_detector(detector)  # an unknown name, or an optional one whose extra is absent
    except ValueError as exc:
        raise InvalidInputError(str(exc), field="detector") from None
    if threshold is not None and not 0.0 <= threshold <= 1.0:
        raise InvalidInputError("threshold must lie between 0 and 1", field="threshold")
    id_column, time_column, value_column = _columns(frame)
    values = _numeric(frame[value_column], value_column)
    scores = np.zeros(len(frame))
    flagged = np.zeros(len(frame), dtype=bool)
    explanation = np.full(len(frame), "", dtype=object)
    groups: dict[object, npt.NDArray[np.intp]] = (
        {"series": np.arange(len(frame))}
        if id_column is None
        else {
            name: np.asarray(rows)
            for name, rows in frame.groupby(id_column, sort=False).indices.items()
        }
    )
    for name, positions in groups.items():
        if on_series is not None:
            on_series(str(name))
        times = _times(frame[time_column].iloc[positions], time_column)
        order = np.argsort(times, kind="stable")  # equal stamps keep their file order
        rows = positions[order]
        model = make_detector(detector)
        cut = model.threshold if threshold is None else threshold
        series_scores, missed = score_series(model, values[rows], times[order])
        scores[rows] = series_scores
        hits = series_scores >= cut
        flagged[rows] = hits
        if explain and hits.any():
            shares = contributions(values[rows])
            explanation[rows[hits]] = describe(shares[hits])
            explanation[rows[hits & (missed >= cut)]] = missed_cycle()
    result = frame.copy()
    result["anomaly_score"] = scores
    result["is_anomaly"] = flagged
    if explain:
        result["explanation"] = explanation
    return result
