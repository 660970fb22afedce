"""A fitted XGBoost or LightGBM regressor as flat arrays, evaluated for one row in numpy.

A recursive forecast asks the model for one row per step. Each call into the library
pays a fixed toll (input checks, a DMatrix or a C++ frame, thread set-up) that dwarfs
walking 300 small trees: about 150 µs of CPU a step for XGBoost at one thread, where
stepping every tree at once through numpy arrays, one level per operation, takes about
25 µs (``benchmarks/load.py --endpoints predict`` measures what that is worth to
``POST /forecast/predict``). The arrays are read from the library's own model dump, so
the same splits and leaves, compared and added up tree after tree in the library's
precision (float32 for XGBoost, double for LightGBM), give the same predictions to the
last bit.

Only what the dump states plainly is compiled: numeric splits, an identity link and a
single output, every tree counted. Anything else (categorical splits, other
objectives, DART boosters, several targets, linear leaves, random-forest averaging, an
XGBoost model stopped early, whose predict ends at its best round) gets no arrays, and
rows with a missing value go to the library, so the caller keeps the library's predict
for those.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class TreeArrays:
    """Every tree's nodes side by side; a leaf points to itself on both sides.

    ``strict`` is XGBoost's rule (left when the value is below the split), otherwise
    LightGBM's (left at or below); ``dtype`` is the precision the library compares and
    sums in.
    """

    roots: IntArray
    feature: IntArray
    threshold: npt.NDArray[Any]
    left: IntArray
    right: IntArray
    value: npt.NDArray[Any]
    depth: int
    base: float
    strict: bool
    dtype: type[np.floating[Any]]

    def predict(self, row: FloatArray) -> float:
        """The model's prediction for one row of features (no missing values)."""
        x = np.asarray(row, dtype=self.dtype).ravel()
        node = self.roots
        for _ in range(self.depth):
            value = x[self.feature[node]]
            limit = self.threshold[node]
            go_left = value < limit if self.strict else value <= limit
            node = np.where(go_left, self.left[node], self.right[node])
        # one tree after another from the base, as the libraries add them up
        leaves = np.concatenate((np.asarray([self.base], dtype=self.dtype), self.value[node]))
        return float(np.cumsum(leaves, dtype=self.dtype)[-1])


def compile_trees(regressor: Any) -> TreeArrays | None:
    """The arrays of a fitted ``XGBRegressor`` or ``LGBMRegressor``, or None when its
    model holds something this module does not evaluate (module doc)."""
    booster = getattr(regressor, "booster_", None)
    if booster is not None and hasattr(booster, "dump_model"):
        return _lightgbm(booster.dump_model())
    get_booster = getattr(regressor, "get_booster", None)
    if get_booster is None:
        return None
    xgboost_booster = get_booster()
    if hasattr(xgboost_booster, "best_iteration"):  # early stopping: predict stops there
        return None
    return _xgboost(json.loads(bytes(xgboost_booster.save_raw("json"))))


def _xgboost(model: dict[str, Any]) -> TreeArrays | None:
    learner = model["learner"]
    booster = learner["gradient_booster"]
    params = learner["learner_model_param"]
    if (
        booster.get("name") != "gbtree"
        or learner["objective"]["name"] != "reg:squarederror"
        or int(params.get("num_target", "1")) != 1
    ):
        return None
    try:
        base = float(params["base_score"].strip("[]"))
    except ValueError:  # one base per target or class
        return None
    trees = booster["model"]["trees"]
    if any(any(tree.get("split_type", [])) for tree in trees):  # categorical splits
        return None
    nodes = [
        (
            np.asarray(tree["left_children"], dtype=np.int64),
            np.asarray(tree["right_children"], dtype=np.int64),
            np.asarray(tree["split_indices"], dtype=np.int64),
            np.asarray(tree["split_conditions"], dtype=np.float32),
        )
        for tree in trees
    ]
    # a leaf keeps its value where a split keeps its condition
    return _assemble(nodes, base=base, strict=True, dtype=np.float32)


def _lightgbm(dump: dict[str, Any]) -> TreeArrays | None:
    if (
        not str(dump.get("objective", "")).startswith("regression")
        or dump.get("num_tree_per_iteration", 1) != 1
        or dump.get("average_output", False)  # random forest mode: a mean, not a sum
    ):
        return None
    nodes = []
    for tree in dump["tree_info"]:
        flat: list[dict[str, Any]] = []
        if not _flatten(tree["tree_structure"], flat):
            return None
        index = {id(node): number for number, node in enumerate(flat)}
        left = [index[id(node["left_child"])] if "left_child" in node else -1 for node in flat]
        right = [index[id(node["right_child"])] if "right_child" in node else -1 for node in flat]
        feature = [node.get("split_feature", 0) for node in flat]
        value = [node.get("threshold", node.get("leaf_value", 0.0)) for node in flat]
        nodes.append(
            (
                np.asarray(left, dtype=np.int64),
                np.asarray(right, dtype=np.int64),
                np.asarray(feature, dtype=np.int64),
                np.asarray(value, dtype=np.float64),
            )
        )
    return _assemble(nodes, base=0.0, strict=False, dtype=np.float64)


def _flatten(node: dict[str, Any], out: list[dict[str, Any]]) -> bool:
    """Append ``node`` and its subtree, parents first; False for a node this module
    does not evaluate (a categorical split, zero treated as missing, a linear leaf)."""
    out.append(node)
    if "leaf_value" in node:
        return "leaf_coeff" not in node  # a linear tree's leaf is a model, not a value
    if node.get("decision_type") != "<=" or node.get("missing_type") == "Zero":
        return False
    return _flatten(node["left_child"], out) and _flatten(node["right_child"], out)


def _assemble(
    nodes: list[tuple[IntArray, IntArray, IntArray, npt.NDArray[Any]]],
    *,
    base: float,
    strict: bool,
    dtype: type[np.floating[Any]],
) -> TreeArrays:
    """One set of arrays from per-tree (left, right, feature, threshold or leaf value)
    with -1 for a leaf's children, node ids local to each tree."""
    sizes = [len(left) for left, *_ in nodes]
    offsets = np.concatenate(([0], np.cumsum(sizes)[:-1])).astype(np.int64)
    left = np.concatenate([tree[0] for tree in nodes])
    right = np.concatenate([tree[1] for tree in nodes])
    leaf = left < 0
    shift = np.repeat(offsets, sizes)
    own = np.arange(len(left), dtype=np.int64)
    left = np.where(leaf, own, left + shift)
    right = np.where(leaf, own, right + shift)
    feature = np.where(leaf, 0, np.concatenate([tree[2] for tree in nodes]))
    split = np.concatenate([tree[3] for tree in nodes]).astype(dtype)
    return TreeArrays(
        roots=offsets,
        feature=feature,
        threshold=split,
        left=left,
        right=right,
        value=np.where(leaf, split, 0).astype(dtype),
        depth=_depth(left, right, offsets),
        base=base,
        strict=strict,
        dtype=dtype,
    )


def _depth(left: IntArray, right: IntArray, roots: IntArray) -> int:
    """Levels from the roots to the deepest leaf."""
    level, depth = roots, 0
    while True:
        below = np.concatenate((left[level], right[level]))
        below = np.unique(below[~np.isin(below, level)])
        if not len(below):
            return depth
        level, depth = below, depth + 1
