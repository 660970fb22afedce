"""Strided window statistics: the definition, and a fleet of streams that matches the batch."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.anomaly.detectors import RobustDetector
from opscast.anomaly.stream import RobustFleet, StreamScorer
from opscast.anomaly.trailing import median_std, refresh_point, refresh_stride, trailing_stats

values = st.lists(
    st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=300
).map(np.array)


@settings(max_examples=40, deadline=None)
@given(data=values, window=st.integers(2, 200))
def test_each_point_sees_the_window_before_its_refresh_point(data: np.ndarray, window: int) -> None:
    median, std = trailing_stats(data, 0, window, median_std, min_count=2)
    last = 0
    for t in range(len(data)):
        # refreshed once the series grew by 1/64 (of the window, once it is full)
        if t - last >= max(1, min(last, window) // 64) or t < 2:
            last = t
        end = last
        before = data[max(0, end - window) : end]
        if len(before) < 2:
            assert np.isnan(median[t])
            assert np.isnan(std[t])
        else:
            assert median[t] == np.median(before)
            np.testing.assert_allclose(std[t], before.std(), rtol=1e-12, atol=1e-9)


def test_refreshes_come_every_64th_of_the_window_and_while_it_fills() -> None:
    assert refresh_stride(6400) == 100
    assert refresh_stride(2000) == 31
    assert refresh_stride(20) == 1
    positions = np.arange(20_000, dtype=np.int64)
    points = np.unique(refresh_point(positions, 6400))
    gaps = np.diff(points)
    assert gaps.max() == 100
    assert np.all(gaps <= np.maximum(1, np.minimum(points[:-1], 6400) // 64))
    assert len(points) < 20_000 / 100 + 400


@settings(max_examples=30, deadline=None)
@given(
    series=st.lists(values, min_size=1, max_size=4),
    cuts=st.lists(st.integers(1, 40), min_size=1, max_size=8),
    warm=st.integers(0, 150),
)
def test_a_fleet_fed_in_ticks_scores_every_series_as_one_batch(
    series: list[np.ndarray], cuts: list[int], warm: int
) -> None:
    detector = RobustDetector(window=64, long=40)
    fleet = RobustFleet(detector)
    rows = np.array([fleet.add(x[:warm]) for x in series], dtype=np.int64)
    got: list[list[float]] = [[] for _ in series]
    position = [min(warm, len(x)) for x in series]
    for size in cuts * 20:
        for _ in range(size):
            live = [i for i, x in enumerate(series) if position[i] < len(x)]
            if not live:
                break
            scores = fleet.update(
                rows[live], np.array([series[i][position[i]] for i in live], dtype=np.float64)
            )
            for i, score in zip(live, scores.tolist(), strict=True):
                got[i].append(score)
                position[i] += 1
    for i, x in enumerate(series):
        expected = detector.score(x)[min(warm, len(x)) :]
        np.testing.assert_array_equal(np.array(got[i]), expected)


@settings(max_examples=25, deadline=None)
@given(data=values, cut=st.integers(0, 300), step=st.integers(1, 50))
def test_a_restored_row_continues_as_if_it_had_never_stopped(
    data: np.ndarray, cut: int, step: int
) -> None:
    """A restart warms on the last ``context`` stored points and knows how many came before."""
    detector = RobustDetector(window=30, long=20)
    cut = min(cut, len(data))
    kept = max(0, cut - detector.context)
    fleet = RobustFleet(detector)
    row = np.array([fleet.add(data[kept:cut], start=kept)], dtype=np.int64)
    live = [float(fleet.update(row, data[t : t + 1])[0]) for t in range(cut, len(data))]
    np.testing.assert_array_equal(np.array(live), detector.score(data)[cut:])
    stream = StreamScorer(detector)
    parts = [stream.update(data[a : a + step]) for a in range(0, len(data), step)]
    np.testing.assert_array_equal(np.concatenate(parts), detector.score(data))
