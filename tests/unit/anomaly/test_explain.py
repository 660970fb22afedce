from __future__ import annotations

import json

import numpy as np

from opscast.anomaly.explain import contributions, describe, latest_contributions
from opscast.anomaly.features import FEATURE_NAMES, rolling_features


def test_feature_shares_sum_to_one_and_never_look_ahead() -> None:
    x = np.random.default_rng(0).normal(10, 1, 500)
    shares = contributions(x)
    assert np.allclose(shares[5:].sum(axis=1), 1.0)
    np.testing.assert_array_equal(contributions(x[:300]), shares[:300])
    np.testing.assert_array_equal(rolling_features(x[:300]), rolling_features(x)[:300])


def test_a_spike_is_explained_by_its_z_score_and_jump() -> None:
    x = np.random.default_rng(1).normal(10, 1, 600)
    x[500] += 15
    top = json.loads(describe(contributions(x)[[500]], top=2)[0])
    assert set(top) <= {"zscore", "rate_of_change", "rolling_std", "rolling_mean"}
    assert {"zscore", "rate_of_change"} & set(top)


def test_a_trend_is_explained_by_its_slope() -> None:
    x = np.random.default_rng(2).normal(10, 0.2, 800)
    x[600:] += np.linspace(0, 30, 200)
    shares = contributions(x)[700]
    assert FEATURE_NAMES[int(np.argmax(shares))] in {"slope", "rolling_mean"}
    assert shares[FEATURE_NAMES.index("slope")] > 0.2


def test_the_newest_points_of_many_series_are_explained_as_one_by_one() -> None:
    rng = np.random.default_rng(12)
    rows = rng.normal(50, 2, (5, 2030)).cumsum(axis=1) * 0.01 + rng.normal(0, 1, (5, 2030))
    rows[1, -1] += 30
    rows[3, -40:] += np.linspace(0, 20, 40)
    at_once = latest_contributions(rows)
    one_by_one = np.array([contributions(row)[-1] for row in rows])
    np.testing.assert_allclose(at_once, one_by_one, atol=1e-5)
