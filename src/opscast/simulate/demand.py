"""Daily unit sales per store and item, shaped like the store-item demand competition.

Sales are Poisson around a multiplicative level (store x item x weekday x season x
trend): the structure a global model learns across thousands of series, and the one
the real Kaggle set shows (weekends busiest, a summer peak, slow growth).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from opscast.simulate.calendar import time_axis, yearly_factor

WEEKDAY_SHAPE = np.array([0.80, 0.92, 0.93, 0.99, 1.07, 1.14, 1.20])


def simulate_demand(
    *,
    stores: int = 10,
    items: int = 50,
    start: str = "2013-01-01",
    days: int = 5 * 365,
    seed: int = 0,
) -> pd.DataFrame:
    if stores < 1 or items < 1:
        raise ValueError("stores and items must be at least 1")
    rng = np.random.default_rng(seed)
    ds = time_axis(start, days, "D")
    store_effect = rng.uniform(0.6, 1.4, stores)
    item_effect = rng.lognormal(np.log(25.0), 0.5, items)
    shared = (
        WEEKDAY_SHAPE[np.asarray(ds.dayofweek)]
        * yearly_factor(ds, amplitude=0.22, phase=0.0)
        * (1.0 + 0.08 * np.arange(days) / 365.0)
    )
    level = store_effect[:, None, None] * item_effect[None, :, None] * shared[None, None, :]
    sales = rng.poisson(level).reshape(stores * items * days).astype(np.float64)
    store_ids = np.repeat(np.arange(1, stores + 1), items * days)
    item_ids = np.tile(np.repeat(np.arange(1, items + 1), days), stores)
    unique_id = pd.Series(
        [f"store_{s}-item_{i}" for s in range(1, stores + 1) for i in range(1, items + 1)]
    ).repeat(days)
    frame = pd.DataFrame(
        {
            "unique_id": unique_id.to_numpy(),
            "ds": np.tile(ds.to_numpy(), stores * items),
            "y": sales,
            "store": store_ids,
            "item": item_ids,
        }
    )
    return frame.sort_values(["unique_id", "ds"], ignore_index=True)
