"""Conformal half-widths per step, and per-series work spread over processes."""

from __future__ import annotations

import threading
import time
from functools import partial

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.forecasting.conformal import step_half_widths
from opscast.forecasting.execution import (
    SeriesRunner,
    available_cores,
    fit_predict,
    resolve_jobs,
    worker_context,
)
from opscast.forecasting.protocol import ForecastingError
from opscast.forecasting.zoo import ModelSpec, single_model


@settings(max_examples=60, deadline=None)
@given(
    errors=st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=1, max_size=60),
    h=st.integers(1, 6),
    level=st.floats(1, 99),
)
def test_half_widths_cover_the_level_of_each_steps_errors(
    errors: list[float], h: int, level: float
) -> None:
    steps = np.arange(len(errors)) % h + 1
    widths = step_half_widths(steps, errors, level, h)
    assert widths.shape == (h,)
    assert (widths >= 0).all()
    for step in range(1, h + 1):
        mine = np.abs(np.asarray(errors))[steps == step]
        if mine.size:
            covered = np.mean(mine <= widths[step - 1])
            assert covered >= level / 100


@settings(max_examples=40, deadline=None)
@given(
    errors=st.lists(st.floats(0, 1e3), min_size=2, max_size=40),
    low=st.floats(1, 50),
    high=st.floats(51, 99),
)
def test_a_higher_level_is_never_narrower(errors: list[float], low: float, high: float) -> None:
    steps = np.ones(len(errors), dtype=np.int64)
    assert step_half_widths(steps, errors, high, 1)[0] >= step_half_widths(steps, errors, low, 1)[0]


def test_steps_the_backtest_never_reached_borrow_the_widest() -> None:
    widths = step_half_widths([1, 1, 2, 2], [1.0, -2.0, 5.0, 4.0], 50, 4)
    assert widths[2] == widths[3] == widths.max() == 5.0


@pytest.mark.parametrize("level", [0, 100, -1, 101])
def test_levels_outside_0_100_are_refused(level: float) -> None:
    with pytest.raises(ForecastingError, match="between 0 and 100"):
        step_half_widths([1], [1.0], level, 1)


def test_jobs_zero_or_none_mean_every_core_and_negatives_leave_cores_free() -> None:
    cores = available_cores()
    assert resolve_jobs(None) == resolve_jobs(0) == cores
    assert resolve_jobs(-1) == cores
    assert resolve_jobs(-(cores + 5)) == 1
    assert resolve_jobs(3) == 3


def test_forecasts_on_two_processes_match_one() -> None:
    rng = np.random.default_rng(0)
    frame = pd.concat(
        [
            pd.DataFrame({"unique_id": f"s{i}", "ds": np.arange(60), "y": rng.gamma(5, size=60)})
            for i in range(60)
        ],
        ignore_index=True,
    )
    work = partial(fit_predict, single_model("theta", ModelSpec(freq=1, season_length=7)), 5)
    with SeriesRunner(jobs=1) as one, SeriesRunner(jobs=2) as two:
        alone = one.run(work, frame, "theta")
        spread = two.run(work, frame, "theta")
    pd.testing.assert_frame_equal(alone, spread)


HELD_BY_ANOTHER_THREAD = threading.Lock()


def means_under_the_lock(chunk: pd.DataFrame) -> pd.DataFrame:
    with HELD_BY_ANOTHER_THREAD:
        return chunk.groupby("unique_id", as_index=False)["y"].mean()


@pytest.mark.timeout(60)
def test_workers_do_not_inherit_a_lock_another_thread_of_the_caller_holds() -> None:
    """A forked child copies a held lock as held and waits on it forever; in a server
    some thread always holds one, so its workers must start from a clean process."""
    frame = pd.DataFrame(
        {"unique_id": np.repeat([f"s{i:02d}" for i in range(60)], 5), "ds": 0, "y": 1.0}
    )
    frame["ds"] = frame.groupby("unique_id").cumcount()
    frame["y"] = np.arange(len(frame), dtype=float)
    release = threading.Event()

    def hold() -> None:
        with HELD_BY_ANOTHER_THREAD:
            release.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        with SeriesRunner(jobs=2) as runner:
            means = runner.run(means_under_the_lock, frame, "means")
    finally:
        release.set()
        holder.join()
    expected = frame.groupby("unique_id", as_index=False)["y"].mean()
    pd.testing.assert_frame_equal(means, expected)


def test_a_command_with_only_a_progress_bars_thread_still_forks() -> None:
    """Fork needs no ``__main__`` guard in a user's script and starts fastest; a daemon
    thread that only redraws a progress bar does not make it unsafe."""
    stop = threading.Event()
    refresher = threading.Thread(target=stop.wait, daemon=True)
    refresher.start()
    try:
        assert worker_context().get_start_method() == "fork"
        waited_for = threading.Thread(target=stop.wait)
        waited_for.start()
        assert worker_context().get_start_method() == "forkserver"
    finally:
        stop.set()
    refresher.join()
    waited_for.join()


def slow_means(chunk: pd.DataFrame) -> pd.DataFrame:
    time.sleep(0.2 * chunk["unique_id"].nunique())  # a slow model: 0.2 s a series
    return chunk.groupby("unique_id", as_index=False)["y"].mean()


def test_a_deadline_stops_the_work_within_a_series_per_worker() -> None:
    """A started chunk runs to its end, so chunks under a deadline hold one series: the
    run stops soon after the deadline instead of finishing whole batches of slow fits."""
    frame = pd.DataFrame({"unique_id": np.repeat([f"s{i:02d}" for i in range(60)], 3), "y": 1.0})
    frame["ds"] = frame.groupby("unique_id").cumcount()
    with SeriesRunner(jobs=2) as runner:
        done = runner.run(slow_means, frame, "slow", deadline=time.monotonic() + 1.0)
    # 1 s of two workers is about 10 series; whole 25-series chunks would have been 50+
    assert 2 <= len(done) <= 16
