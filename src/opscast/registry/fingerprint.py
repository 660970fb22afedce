"""A stable hash of a training frame, so a model version says exactly what it learnt from.

Two frames with the same rows get the same fingerprint whatever their row order or
index, and any change of a value, timestamp or series name changes it; pandas' own
row hashing does the per-value work in vectorised code, sha256 folds it into one id.
"""

from __future__ import annotations

import hashlib

import pandas as pd


def data_fingerprint(frame: pd.DataFrame) -> str:
    """``sha256:<hex>`` of the frame's columns and rows, independent of row order."""
    columns = sorted(str(column) for column in frame.columns)
    ordered = frame[columns].sort_values(columns, kind="mergesort").reset_index(drop=True)
    rows = pd.util.hash_pandas_object(ordered, index=False).to_numpy()
    digest = hashlib.sha256(",".join(columns).encode())
    digest.update(rows.tobytes())
    return f"sha256:{digest.hexdigest()}"
