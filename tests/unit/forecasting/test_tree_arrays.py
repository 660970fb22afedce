"""Compiled trees predict what the library predicts, to the last bit, or decline."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lightgbm import LGBMRegressor
from xgboost import XGBRegressor

from opscast.forecasting.global_models import make_regressor
from opscast.forecasting.tree_arrays import compile_trees
from opscast.forecasting.tree_recursion import one_row_predictor


def _data(seed: int, rows: int = 400, columns: int = 5) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    # rounded values repeat, so rows sit exactly on split thresholds too
    x = np.round(rng.normal(0, 10, size=(rows, columns)), 1)
    y = 3 * x[:, 0] + np.abs(x[:, 1]) + rng.normal(0, 1, rows) + 100
    return x, y


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    learner=st.sampled_from(["xgboost", "lightgbm"]),
    seed=st.integers(0, 10_000),
    trees=st.integers(1, 60),
)
def test_compiled_trees_predict_the_library_s_values(learner: str, seed: int, trees: int) -> None:
    x, y = _data(seed)
    model = make_regressor(learner, seed).set_params(n_estimators=trees).fit(x, y)
    compiled = compile_trees(model)
    assert compiled is not None
    probes = np.vstack((x[:50], np.round(x[:50] * 1.5, 1), x[:50] + 1e6, x[:50] - 1e6))
    ours = np.array([compiled.predict(row) for row in probes])
    library = np.asarray(model.predict(probes), dtype=np.float64)
    np.testing.assert_array_equal(ours, library)


@pytest.mark.parametrize(
    "model",
    [
        XGBRegressor(n_estimators=5, objective="reg:absoluteerror", n_jobs=1),
        XGBRegressor(n_estimators=5, booster="dart", n_jobs=1),
        LGBMRegressor(n_estimators=5, objective="poisson", verbosity=-1, n_jobs=1),
        LGBMRegressor(n_estimators=5, linear_tree=True, verbosity=-1, n_jobs=1),
        LGBMRegressor(
            n_estimators=5,
            boosting_type="rf",
            bagging_freq=1,
            bagging_fraction=0.8,
            verbosity=-1,
            n_jobs=1,
        ),
    ],
    ids=[
        "xgboost-absolute-error",
        "xgboost-dart",
        "lightgbm-poisson",
        "lightgbm-linear-tree",
        "lightgbm-random-forest",
    ],
)
def test_models_it_cannot_evaluate_are_left_to_the_library(model: object) -> None:
    x, y = _data(0)
    model.fit(x, y)  # type: ignore[attr-defined]
    _check_left_to_the_library(model, x)


def test_an_early_stopped_xgboost_model_is_left_to_the_library() -> None:
    """Its predict stops at the best round, which the dump of every tree does not say."""
    x, y = _data(1)
    model = XGBRegressor(n_estimators=200, early_stopping_rounds=2, n_jobs=1)
    model.fit(x[:300], y[:300], eval_set=[(x[300:], y[300:])], verbose=False)
    _check_left_to_the_library(model, x)


def _check_left_to_the_library(model: object, x: np.ndarray) -> None:
    assert compile_trees(model) is None
    predict = one_row_predictor(model)
    assert predict(x[:1])[0] == pytest.approx(float(model.predict(x[:1])[0]))  # type: ignore[attr-defined]


@pytest.mark.parametrize("learner", ["xgboost", "lightgbm"])
def test_a_row_with_a_missing_value_follows_the_library_s_default_branch(learner: str) -> None:
    x, y = _data(1)
    x[::7, 0] = np.nan  # the splits learn where a missing value goes
    model = make_regressor(learner).set_params(n_estimators=30).fit(x, y)
    predict = one_row_predictor(model)
    for row in x[:14]:
        assert predict(row[None, :])[0] == float(model.predict(row[None, :])[0])
