"""Properties of forecasts and conformal intervals over generated inputs."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from opscast.forecasting import forecast
from opscast.forecasting.conformal import add_intervals
from opscast.forecasting.statistical import usable_seasons


@st.composite
def long_frames(draw: st.DrawFn) -> pd.DataFrame:
    lengths = draw(st.lists(st.integers(5, 40), min_size=1, max_size=4))
    parts = []
    for index, length in enumerate(lengths):
        start = draw(st.integers(0, 20))
        values = draw(
            st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=length, max_size=length)
        )
        parts.append(
            pd.DataFrame(
                {"unique_id": f"s{index}", "ds": np.arange(start, start + length), "y": values}
            )
        )
    return pd.concat(parts, ignore_index=True)


@settings(max_examples=25, deadline=None)
@given(
    frame=long_frames(),
    h=st.integers(1, 8),
    model=st.sampled_from(["naive", "seasonal_naive", "historic_average"]),
)
def test_every_series_gets_h_steps_right_after_its_end(
    frame: pd.DataFrame, h: int, model: str
) -> None:
    result = forecast(frame, model, h, season_length=3).forecasts
    assert set(result["unique_id"]) == set(frame["unique_id"])
    for uid, group in result.groupby("unique_id"):
        last = frame.loc[frame["unique_id"] == uid, "ds"].max()
        assert group["ds"].tolist() == list(range(last + 1, last + h + 1))
    assert np.isfinite(result[model]).all()


@settings(max_examples=50, deadline=None)
@given(
    errors=st.lists(st.floats(-100, 100, allow_nan=False), min_size=2, max_size=30),
    levels=st.lists(st.floats(1, 99), min_size=1, max_size=4, unique=True),
    h=st.integers(1, 5),
)
def test_intervals_hold_the_forecast_and_widen_with_the_level(
    errors: list[float], levels: list[float], h: int
) -> None:
    calibration = pd.DataFrame(
        {
            "unique_id": "s",
            "horizon": [(i % h) + 1 for i in range(len(errors))],
            "y": 0.0,
            "m": errors,
        }
    )
    predicted = pd.DataFrame({"unique_id": "s", "ds": range(h), "m": np.linspace(-5, 5, h)})
    result = add_intervals(predicted, calibration, "m", levels)
    previous_width = np.zeros(h)
    for level in sorted(levels):
        lo, hi = result[f"m-lo-{level:g}"], result[f"m-hi-{level:g}"]
        assert (lo <= result["m"]).all()
        assert (result["m"] <= hi).all()
        width = (hi - lo).to_numpy()
        assert (width >= previous_width - 1e-9).all()
        previous_width = width


@given(length=st.integers(1, 500), seasons=st.lists(st.integers(1, 200), max_size=3))
def test_a_series_keeps_only_the_seasons_it_can_fit(length: int, seasons: list[int]) -> None:
    kept = usable_seasons(length, seasons)
    assert list(kept) == sorted(set(kept))
    assert all(season > 1 and length >= 2 * season + 1 for season in kept)
    assert {s for s in seasons if s > 1 and length >= 2 * s + 1} == set(kept)
