"""Reading the stored NASA traffic and the points clients post, before any model sees them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from opscast.errors import InvalidInputError
from opscast.traffic.schemas import Timeframe, TrafficPoint
from opscast.traffic.service import (
    TIMEFRAMES,
    parse_traffic_csv,
    posted_series,
    read_nasa_history,
)


def nasa_file(tmp_path: Path, coverage: list[str]) -> Path:
    stamps = pd.date_range("1995-08-01 14:00", periods=len(coverage), freq="5min")
    requests = [
        "" if state in {"server_down_hurricane_erin", "no_log_file"} else str(10 * (i + 1))
        for i, state in enumerate(coverage)
    ]
    frame = pd.DataFrame(
        {"timestamp": stamps.strftime("%Y-%m-%d %H:%M:%S"), "requests": requests}
    ).assign(coverage=coverage)
    path = tmp_path / "nasa.csv"
    frame.to_csv(path, index=False)
    return path


def test_15m_steps_sum_three_logged_buckets_and_skip_the_rest(tmp_path: Path) -> None:
    coverage = ["logged"] * 3 + ["logged", "partial", "server_down_hurricane_erin"] + ["logged"] * 3
    series = read_nasa_history(nasa_file(tmp_path, coverage), TIMEFRAMES[Timeframe("15m")])
    assert series.index.tolist() == list(pd.date_range("1995-08-01 14:00", periods=3, freq="15min"))
    assert series.iloc[0] == 10 + 20 + 30
    assert np.isnan(series.iloc[1])  # a partial bucket and an outage are not a count
    assert series.iloc[2] == 70 + 80 + 90


def test_5m_history_keeps_real_zeros_and_blanks_gaps(tmp_path: Path) -> None:
    coverage = ["logged", "no_log_file", "logged"]
    series = read_nasa_history(nasa_file(tmp_path, coverage), TIMEFRAMES[Timeframe("5m")])
    assert series.iloc[0] == 10
    assert np.isnan(series.iloc[1])
    assert series.iloc[2] == 30


def test_posted_points_are_floored_to_their_step_in_utc() -> None:
    points = [
        TrafficPoint(ds=datetime(2024, 1, 1, 10, 7, tzinfo=timezone(timedelta(hours=2))), y=5),
        TrafficPoint(ds=datetime(2024, 1, 1, 8, 0, tzinfo=UTC), y=3),
    ]
    series = posted_series(points, Timeframe("5m"))
    assert series.index.tolist() == [
        pd.Timestamp("2024-01-01 08:00"),
        pd.Timestamp("2024-01-01 08:05"),
    ]
    assert series.tolist() == [3.0, 5.0]


def test_two_points_in_one_step_name_the_second() -> None:
    points = [
        TrafficPoint(ds=datetime(2024, 1, 1, 10, 0), y=1),
        TrafficPoint(ds=datetime(2024, 1, 1, 10, 20), y=1),
        TrafficPoint(ds=datetime(2024, 1, 1, 10, 14), y=1),
    ]
    with pytest.raises(InvalidInputError) as caught:
        posted_series(points, Timeframe("15m"))
    assert caught.value.field == "data.2.ds"
    # the same points are fine at a finer step
    assert len(posted_series(points, Timeframe("1m"))) == 3


def test_csv_rows_become_points_and_other_columns_are_ignored() -> None:
    content = (
        b"is_event,timestamp,requests_count,is_burst\n"
        b"0,2024-01-01 00:05:00,7,1\n"
        b"1,2024-01-01 00:00:00,4.5,0\n"
    )
    points = parse_traffic_csv(content, max_rows=2)
    assert [(p.ds, p.y) for p in points] == [
        (datetime(2024, 1, 1, 0, 5), 7.0),
        (datetime(2024, 1, 1, 0, 0), 4.5),
    ]
    with pytest.raises(InvalidInputError, match="more than 1 rows"):
        parse_traffic_csv(content, max_rows=1)
