"""Long-format frames (``unique_id``, ``ds``, ``y``): validation and conversion.

Every entry point converts its input here, once, so that models, drift tests and
storage can assume a clean frame: string ids, timestamps as tz-naive UTC (or integer
steps), float values, sorted by series then time, one row per (series, time).
Errors name the first offending row (its position in the input) and column.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opscast.timeseries.errors import FrameValidationError

REQUIRED_COLUMNS = ("unique_id", "ds", "y")


def _first_position(mask: pd.Series | np.ndarray) -> int:
    return int(np.flatnonzero(np.asarray(mask))[0])


def _normalise_ds(ds: pd.Series) -> pd.Series:
    """Integer steps stay integers; anything else must parse as a timestamp (converted to UTC)."""
    if pd.api.types.is_bool_dtype(ds):
        raise FrameValidationError("booleans are not timestamps", column="ds", row=0)
    if pd.api.types.is_integer_dtype(ds):
        return ds.astype("int64")
    if pd.api.types.is_float_dtype(ds):
        whole = ds.notna() & np.isfinite(ds) & (ds == ds.round())
        if not whole.all():
            position = _first_position(~whole)
            raise FrameValidationError(
                f"value {ds.iloc[position]!r} is neither a timestamp nor a whole step",
                column="ds",
                row=position,
            )
        return ds.astype("int64")
    if isinstance(ds.dtype, pd.DatetimeTZDtype):
        utc: pd.Series = ds.dt.tz_convert("UTC").dt.tz_localize(None)
        return utc.astype("datetime64[ns]")
    if pd.api.types.is_datetime64_dtype(ds):
        return ds.astype("datetime64[ns]")
    parsed = pd.to_datetime(ds, errors="coerce", utc=True, format="mixed")
    bad = parsed.isna()
    if bad.any():
        position = _first_position(bad)
        raise FrameValidationError(
            f"value {ds.iloc[position]!r} is not a timestamp; use ISO 8601 such as "
            "2024-01-31 or 2024-01-31T13:45:00",
            column="ds",
            row=position,
        )
    return parsed.dt.tz_localize(None).astype("datetime64[ns]")


def _normalise_y(y: pd.Series, *, allow_missing: bool) -> pd.Series:
    numbers = pd.to_numeric(y, errors="coerce")
    unparsable = numbers.isna() & y.notna()
    if unparsable.any():
        position = _first_position(unparsable)
        raise FrameValidationError(
            f"value {y.iloc[position]!r} is not a number; send numbers only",
            column="y",
            row=position,
        )
    values = numbers.astype("float64")
    invalid = ~np.isfinite(values.to_numpy()) if not allow_missing else np.isinf(values.to_numpy())
    if invalid.any():
        position = _first_position(invalid)
        raise FrameValidationError(
            f"value {y.iloc[position]!r} is missing or infinite; drop the row or fill it",
            column="y",
            row=position,
        )
    return values


def validate_long_frame(
    df: pd.DataFrame,
    *,
    require_sorted: bool = False,
    allow_gaps: bool = True,
    freq: str | None = None,
    allow_missing_y: bool = False,
) -> pd.DataFrame:
    """A normalised copy of ``df``, or a FrameValidationError naming the first bad cell."""
    missing = [column for column in REQUIRED_COLUMNS if column not in df.columns]
    if missing:
        raise FrameValidationError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}. "
            "Long format needs unique_id, ds and y",
            column=missing[0],
        )
    if df.empty:
        raise FrameValidationError("the frame has no rows")
    frame = df.reset_index(drop=True).copy()
    ids = frame["unique_id"]
    blank = ids.isna() | (ids.astype(str).str.strip() == "")
    if blank.any():
        raise FrameValidationError(
            "unique_id is empty; name every series", column="unique_id", row=_first_position(blank)
        )
    frame["unique_id"] = ids.astype(str)
    frame["ds"] = _normalise_ds(frame["ds"])
    frame["y"] = _normalise_y(frame["y"], allow_missing=allow_missing_y)

    duplicated = frame.duplicated(["unique_id", "ds"], keep="first")
    if duplicated.any():
        position = _first_position(duplicated)
        raise FrameValidationError(
            f"series {frame['unique_id'].iloc[position]!r} has a second value at "
            f"{frame['ds'].iloc[position]}; keep one row per series and time",
            column="ds",
            row=position,
        )
    if require_sorted:
        same_series = frame["unique_id"].eq(frame["unique_id"].shift())
        backwards = same_series & frame["ds"].lt(frame["ds"].shift())
        new_series_seen_before = ~same_series & frame["unique_id"].duplicated()
        unsorted = backwards | new_series_seen_before
        if unsorted.any():
            raise FrameValidationError(
                "rows are not sorted by unique_id then ds; sort them first",
                column="ds",
                row=_first_position(unsorted),
            )
    frame = frame.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    if not allow_gaps:
        _check_no_gaps(frame, freq)
    return frame


def _check_no_gaps(frame: pd.DataFrame, freq: str | None) -> None:
    if pd.api.types.is_integer_dtype(frame["ds"]):
        step: object = 1
        steps = frame.groupby("unique_id", sort=False)["ds"].diff()
        gap = steps.gt(1)
    else:
        offset = pd.tseries.frequencies.to_offset(freq or infer_freq(frame))
        if offset is None:
            raise FrameValidationError("cannot tell the frequency; pass freq", column="ds")
        step = offset
        expected = frame.groupby("unique_id", sort=False)["ds"].shift() + offset
        gap = expected.notna() & frame["ds"].gt(expected)
    if gap.any():
        position = _first_position(gap)
        previous = frame["ds"].iloc[position - 1]
        raise FrameValidationError(
            f"series {frame['unique_id'].iloc[position]!r} misses the point after {previous} "
            f"(step {step}); fill gaps first",
            column="ds",
            row=position,
        )


def infer_freq(df: pd.DataFrame) -> str | None:
    """The most common step between consecutive points, as a pandas offset alias."""
    if df.empty or pd.api.types.is_integer_dtype(df["ds"]):
        return None
    ordered = df.sort_values(["unique_id", "ds"])
    steps = ordered.groupby("unique_id", sort=False)["ds"].diff().dropna()
    steps = steps[steps > pd.Timedelta(0)]
    if steps.empty:
        return None
    step = pd.Timedelta(steps.mode().iloc[0])
    days = step / pd.Timedelta(days=1)
    calendar_aliases = ((28, 31, "MS"), (89, 92, "QS"), (365, 366, "YS"), (7, 7, "W"))
    for low, high, alias in calendar_aliases:
        if low <= days <= high:
            return alias
    # pandas accepts a Timedelta here at run time; its stubs only admit strings and offsets
    return str(pd.tseries.frequencies.to_offset(step).freqstr)  # type: ignore[call-overload]


def to_long(
    df: pd.DataFrame,
    *,
    time_col: str,
    value_col: str,
    id_col: str | None = None,
    unique_id: str | None = None,
) -> pd.DataFrame:
    """Rename named columns to long format; a constant ``unique_id`` when there is no id column."""
    needed = [time_col, value_col] + ([id_col] if id_col else [])
    missing = [column for column in needed if column not in df.columns]
    if missing:
        raise FrameValidationError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}",
            column=missing[0],
        )
    if id_col is None and unique_id is None:
        raise FrameValidationError("name the series: give id_col or unique_id")
    extra = [column for column in df.columns if column not in needed]
    long = pd.DataFrame(
        {
            "unique_id": df[id_col] if id_col else unique_id,
            "ds": df[time_col],
            "y": df[value_col],
        }
    )
    return pd.concat([long, df[extra]], axis=1)


def wide_to_long(df: pd.DataFrame, *, time_col: str) -> pd.DataFrame:
    """One column per series -> long format (missing cells dropped)."""
    if time_col not in df.columns:
        raise FrameValidationError(f"missing time column {time_col!r}", column=time_col)
    long = df.melt(id_vars=[time_col], var_name="unique_id", value_name="y").rename(
        columns={time_col: "ds"}
    )
    long = long.dropna(subset=["y"])
    return long[["unique_id", "ds", "y"]].sort_values(["unique_id", "ds"]).reset_index(drop=True)


def long_to_wide(df: pd.DataFrame) -> pd.DataFrame:
    """Long format -> one column per series, indexed by ``ds``."""
    wide = df.pivot(index="ds", columns="unique_id", values="y")
    wide.columns.name = None
    return wide
