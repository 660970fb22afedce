from __future__ import annotations

import json

import numpy as np

from opscast.anomaly.explain import contributions, describe
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
