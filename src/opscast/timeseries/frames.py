"""Long-format frames (``unique_id``, ``ds``, ``y``): validation and conversion.

Every entry point converts its input here, once, so that models, drift tests and
storage can assume a clean frame: string ids, timestamps as tz-naive UTC (or integer
steps), float values, sorted by series then time, one row per (series, time).
Errors name the first offending row (its position in the input) and column, and say
what to do about it, because the person reading them sent a CSV or JSON body, not code.
"""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import numpy.typing as npt
import pandas as pd
from pandas.api.types import infer_dtype
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset

from opscast.timeseries.errors import FrameValidationError
from opscast.timeseries.grid import grid_positions, parse_step

REQUIRED_COLUMNS = ("unique_id", "ds", "y")
TIMESTAMP_HINT = "use ISO 8601 such as 2024-01-31 or 2024-01-31T13:45:00Z"


def _first_position(mask: pd.Series | npt.NDArray[np.bool_]) -> int:
    return int(np.flatnonzero(np.asarray(mask))[0])


def _display(value: object) -> str:
    """Values as a user typed them: quoted text, bare numbers (not ``np.float64(1.0)``)."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, np.generic):
        return str(value.item())
    return str(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


def _whole_steps(ds: pd.Series) -> pd.Series:
    values = pd.to_numeric(ds, errors="coerce").astype("float64")
    whole = np.isfinite(values) & (values == values.round())
    if not whole.all():
        position = _first_position(~whole)
        raise FrameValidationError(
            f"value {_display(ds.iloc[position])} is neither a timestamp nor a whole step; "
            f"send whole numbers for steps, or timestamps ({TIMESTAMP_HINT})",
            column="ds",
            row=position,
        )
    return values.astype("int64")


def _parse_timestamps(ds: pd.Series) -> pd.Series:
    numbers = ds.map(_is_number).to_numpy(dtype=bool)
    if numbers.any():
        position = _first_position(numbers)
        raise FrameValidationError(
            f"value {_display(ds.iloc[position])} is a number while other rows hold "
            f"timestamps; send one kind for the whole frame ({TIMESTAMP_HINT})",
            column="ds",
            row=position,
        )
    parsed = pd.to_datetime(ds, errors="coerce", utc=True, format="ISO8601")
    retry = parsed.isna()
    if retry.any():
        # the slow element-by-element parser only for what ISO 8601 did not cover
        parsed[retry] = pd.to_datetime(ds[retry], errors="coerce", utc=True, format="mixed")
    bad = parsed.isna()
    if bad.any():
        position = _first_position(bad)
        raise FrameValidationError(
            f"value {_display(ds.iloc[position])} is not a timestamp; {TIMESTAMP_HINT}",
            column="ds",
            row=position,
        )
    naive: pd.Series = parsed.dt.tz_localize(None)
    return naive.astype("datetime64[ns]")


def normalise_ds(ds: pd.Series) -> pd.Series:
    """Integer steps stay int64; everything else must be a timestamp, kept as naive UTC.

    One kind per frame: a column mixing steps and timestamps has no meaningful order.
    """
    missing = ds.isna()
    if missing.any():
        raise FrameValidationError(
            "the time is missing; give every row a timestamp or step",
            column="ds",
            row=_first_position(missing),
        )
    if pd.api.types.is_bool_dtype(ds):
        raise FrameValidationError(
            f"true/false is not a time; {TIMESTAMP_HINT}", column="ds", row=0
        )
    if isinstance(ds.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_dtype(ds):
        stamps = pd.DatetimeIndex(ds)
        if stamps.tz is not None:
            stamps = stamps.tz_convert("UTC").tz_localize(None)
        return pd.Series(stamps.astype("datetime64[ns]"), index=ds.index, name=ds.name)
    kind = "integer" if pd.api.types.is_integer_dtype(ds) else infer_dtype(ds, skipna=False)
    if kind == "integer":
        return ds.astype("int64")
    if kind in {"floating", "mixed-integer-float"}:
        return _whole_steps(ds)
    return _parse_timestamps(ds)


def _normalise_y(y: pd.Series, *, allow_missing: bool) -> pd.Series:
    if pd.api.types.is_bool_dtype(y) or infer_dtype(y, skipna=True) == "boolean":
        raise FrameValidationError(
            "true/false is not a measurement; send numbers (1 and 0 for flags)",
            column="y",
            row=0,
        )
    numbers = pd.to_numeric(y, errors="coerce")
    unparsable = numbers.isna() & y.notna()
    if unparsable.any():
        position = _first_position(unparsable)
        raise FrameValidationError(
            f"value {_display(y.iloc[position])} is not a number; send numbers only",
            column="y",
            row=position,
        )
    values = numbers.astype("float64")
    finite = values.to_numpy()
    invalid = np.isinf(finite) if allow_missing else ~np.isfinite(finite)
    if invalid.any():
        position = _first_position(invalid)
        raise FrameValidationError(
            f"value {_display(y.iloc[position])} is missing or infinite; "
            "drop the row or send a finite number",
            column="y",
            row=position,
        )
    return values


def normalise_columns(df: pd.DataFrame, *, allow_missing_y: bool = False) -> pd.DataFrame:
    """Required columns present and typed, in input order; no uniqueness or order checks.

    Split out of :func:`validate_long_frame` for raw event data, which may legitimately
    hold several rows per series and time before it is aggregated.
    """
    missing = [column for column in REQUIRED_COLUMNS if column not in df.columns]
    if missing:
        found = ", ".join(map(str, df.columns)) or "no columns"
        raise FrameValidationError(
            f"missing column(s) {', '.join(missing)}; found {found}. "
            "Long format needs unique_id, ds and y; rename your columns or use to_long",
            column=missing[0],
        )
    if df.empty:
        raise FrameValidationError("the frame has no rows; send at least one point")
    frame = df.reset_index(drop=True).copy()
    ids = frame["unique_id"]
    blank = ids.isna() | (ids.astype(str).str.strip() == "")
    if blank.any():
        raise FrameValidationError(
            "unique_id is empty; name the series of every row",
            column="unique_id",
            row=_first_position(blank),
        )
    frame["unique_id"] = ids.astype(str)
    frame["ds"] = normalise_ds(frame["ds"])
    frame["y"] = _normalise_y(frame["y"], allow_missing=allow_missing_y)
    return frame


def validate_long_frame(
    df: pd.DataFrame,
    *,
    require_sorted: bool = False,
    allow_gaps: bool = True,
    freq: str | int | BaseOffset | None = None,
    allow_missing_y: bool = False,
) -> pd.DataFrame:
    """A normalised copy of ``df``, or a FrameValidationError naming the first bad cell.

    The copy has unique_id as str, ds as datetime64[ns] (naive UTC) or int64, y as
    float64, extra columns untouched, sorted by (unique_id, ds) with a fresh index.
    With ``allow_gaps=False`` every series must be complete on the grid of ``freq``
    (inferred from the frame when None; integer steps default to 1).
    """
    frame = normalise_columns(df, allow_missing_y=allow_missing_y)
    duplicated = frame.duplicated(["unique_id", "ds"], keep="first")
    if duplicated.any():
        position = _first_position(duplicated)
        raise FrameValidationError(
            f"series {frame['unique_id'].iloc[position]!r} has a second value at "
            f"{frame['ds'].iloc[position]}; keep one row per series and time "
            "(or aggregate them with resample)",
            column="ds",
            row=position,
        )
    if require_sorted:
        same_series = frame["unique_id"].eq(frame["unique_id"].shift())
        backwards = same_series & frame["ds"].lt(frame["ds"].shift())
        series_resumed = ~same_series & frame["unique_id"].duplicated()
        unsorted = backwards | series_resumed
        if unsorted.any():
            raise FrameValidationError(
                "rows are not sorted by unique_id then ds; sort them first",
                column="ds",
                row=_first_position(unsorted),
            )
    ordered = frame.sort_values(["unique_id", "ds"], kind="stable")
    input_rows = ordered.index.to_numpy()
    ordered = ordered.reset_index(drop=True)
    if not allow_gaps:
        _check_no_gaps(ordered, freq, input_rows)
    return ordered


def _check_no_gaps(
    frame: pd.DataFrame, freq: str | int | BaseOffset | None, input_rows: npt.NDArray[np.intp]
) -> None:
    integer_ds = pd.api.types.is_integer_dtype(frame["ds"])
    if freq is None and not integer_ds:
        freq = infer_freq(frame)
        if freq is None:
            raise FrameValidationError(
                "cannot tell the frequency of ds; pass freq (such as 'h', 'D' or 'MS')",
                column="ds",
            )
    step = parse_step(freq, integer_ds=integer_ds)
    try:
        positions = grid_positions(frame["unique_id"], frame["ds"], step)
    except FrameValidationError as error:
        row = None if error.row is None else int(input_rows[error.row])
        raise FrameValidationError(error.reason, column=error.column, row=row) from None
    same_series = frame["unique_id"].eq(frame["unique_id"].shift()).to_numpy()
    jumps = np.diff(positions, prepend=0) > 1
    gap = same_series & jumps
    if gap.any():
        position = _first_position(gap)
        previous = frame["ds"].iloc[position - 1]
        missing = previous + step
        label = step if isinstance(step, int) else step.freqstr
        raise FrameValidationError(
            f"series {frame['unique_id'].iloc[position]!r} has no point at {missing} "
            f"(step {label!r}); fill the gaps first, e.g. with fill_gaps",
            column="ds",
            row=int(input_rows[position]),
        )


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


def _calendar_alias(days: float, stamps: pd.Series) -> str | None:
    """Month, quarter and year aliases anchored the way the data are (start or end)."""
    at_midnight = bool((stamps == stamps.dt.normalize()).all())
    starts = at_midnight and bool(stamps.dt.is_month_start.all())
    ends = at_midnight and bool(stamps.dt.is_month_end.all())
    months = stamps.dt.month
    if not (starts or ends):
        return None
    if days <= 31:
        return "MS" if starts else "ME"
    quarterly = days < 365
    # pandas anchors quarters on a month of their cycle: QS-JAN starts in Jan/Apr/Jul/Oct
    cycle = (months - 1) % 3 if quarterly else months - 1
    if cycle.nunique() != 1:
        return None
    anchor = _MONTHS[int(cycle.iloc[0])]
    prefix = ("QS" if starts else "QE") if quarterly else ("YS" if starts else "YE")
    default = {"QS": "JAN", "QE": "MAR", "YS": "JAN", "YE": "DEC"}[prefix]
    return prefix if anchor == default else f"{prefix}-{anchor}"


def infer_freq(df: pd.DataFrame) -> str | None:
    """The most common step between consecutive points, as a pandas offset alias.

    Steps of whole weeks are anchored on the data's weekday ("W-MON", not pandas'
    default Sunday "W"), months/quarters/years on whether points sit at period starts
    ("MS", "QS") or ends ("ME", "QE"), so that the alias reproduces the data's own grid.
    None for integer steps, single points, or monthly-like data on another day.
    """
    if df.empty or pd.api.types.is_integer_dtype(df["ds"]):
        return None
    ds = df["ds"]
    if not pd.api.types.is_datetime64_any_dtype(ds):
        ds = normalise_ds(ds.reset_index(drop=True))
        if pd.api.types.is_integer_dtype(ds):
            return None
    ordered = pd.DataFrame({"unique_id": df["unique_id"].to_numpy(), "ds": ds.to_numpy()})
    ordered = ordered.sort_values(["unique_id", "ds"])
    steps = ordered.groupby("unique_id", sort=False)["ds"].diff()
    positive = steps > pd.Timedelta(0)
    if not positive.any():
        return None
    step = pd.Timedelta(steps[positive].mode().iloc[0])
    days = step / pd.Timedelta(days=1)
    for low, high in ((28, 31), (89, 92), (365, 366)):
        if low <= days <= high:
            band = positive & (steps >= pd.Timedelta(days=low)) & (steps <= pd.Timedelta(days=high))
            return _calendar_alias(days, ordered["ds"][band])
    if step % pd.Timedelta(days=7) == pd.Timedelta(0):
        weekdays = ordered["ds"][positive & (steps == step)].dt.dayofweek.unique()
        if len(weekdays) == 1:
            weeks = step // pd.Timedelta(days=7)
            return f"{weeks if weeks > 1 else ''}W-{_WEEKDAYS[int(weekdays[0])]}"
    # pandas accepts a Timedelta here at run time; its stubs only admit strings and offsets
    return str(to_offset(step).freqstr)  # type: ignore[call-overload]


def to_long(
    df: pd.DataFrame,
    *,
    time_col: str,
    value_col: str,
    id_col: str | None = None,
    unique_id: str | None = None,
) -> pd.DataFrame:
    """Rename named columns to long format; a constant ``unique_id`` when there is no id column.

    Other columns are kept as exogenous features. The result is not validated: pass it
    to :func:`validate_long_frame`, which reports bad cells by row.
    """
    needed = [time_col, value_col] + ([id_col] if id_col else [])
    missing = [column for column in needed if column not in df.columns]
    if missing:
        raise FrameValidationError(
            f"missing column(s) {', '.join(missing)}; found {', '.join(map(str, df.columns))}",
            column=missing[0],
        )
    if (id_col is None) == (unique_id is None):
        raise FrameValidationError(
            "name the series: give either id_col (a column) or unique_id (one name), not both"
        )
    extra = [column for column in df.columns if column not in needed]
    clashing = [column for column in extra if column in REQUIRED_COLUMNS]
    if clashing:
        raise FrameValidationError(
            f"column {clashing[0]!r} would be overwritten by the long format; rename it first",
            column=str(clashing[0]),
        )
    long = pd.DataFrame(
        {
            "unique_id": df[id_col] if id_col else unique_id,
            "ds": df[time_col],
            "y": df[value_col],
        },
        index=df.index,
    )
    return pd.concat([long, df[extra]], axis=1)


def wide_to_long(df: pd.DataFrame, *, time_col: str) -> pd.DataFrame:
    """One column per series -> long format (empty cells dropped, ids as str)."""
    if time_col not in df.columns:
        raise FrameValidationError(
            f"missing time column {time_col!r}; found {', '.join(map(str, df.columns))}",
            column=time_col,
        )
    long = df.melt(id_vars=[time_col], var_name="unique_id", value_name="y").rename(
        columns={time_col: "ds"}
    )
    long = long.dropna(subset=["y"])
    long["unique_id"] = long["unique_id"].astype(str)
    ordered = long[["unique_id", "ds", "y"]].sort_values(["unique_id", "ds"], kind="stable")
    return ordered.reset_index(drop=True)


def long_to_wide(df: pd.DataFrame, *, time_col: Hashable = "ds") -> pd.DataFrame:
    """Long format -> ``time_col`` then one column per series (sorted); NaN where absent."""
    wide = df.pivot(index="ds", columns="unique_id", values="y")
    wide.columns.name = None
    wide.index.name = time_col
    return wide.reset_index()
