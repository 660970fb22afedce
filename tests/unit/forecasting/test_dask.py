"""Local models fitted on a real Dask cluster give the very forecasts fitted here."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from opscast.forecasting import forecast

distributed = pytest.importorskip("distributed", reason="the optional dask extra is not installed")


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    with distributed.LocalCluster(
        processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


def frame(series: int = 8, days: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    ds = pd.date_range("2024-01-01", periods=days, freq="D")
    return pd.DataFrame(
        {
            "unique_id": np.repeat([f"s{i:02d}" for i in range(series)], days),
            "ds": np.tile(ds, series),
            "y": rng.gamma(4, 5, series * days) + np.tile(10 * (ds.dayofweek < 5), series),
        }
    )


@pytest.mark.parametrize(
    ("model", "kwargs"),
    [
        ("theta", {"levels": [80, 95]}),
        ("auto", {"candidates": ["seasonal_naive", "naive", "ets"], "time_budget": 600}),
    ],
)
def test_dask_forecasts_match_local_ones(
    scheduler: str, model: str, kwargs: dict[str, object]
) -> None:
    data = frame()
    messages: list[str] = []
    local = forecast(data, model, 7, **kwargs)  # type: ignore[arg-type]
    remote = forecast(data, model, 7, scheduler=scheduler, on_step=messages.append, **kwargs)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(remote.forecasts, local.forecasts)
    assert remote.chosen == local.chosen
    assert any(" on dask: 8/8 series" in message for message in messages)
