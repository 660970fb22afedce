"""The ranges a stored or computed value can take, as types every schema can use.

A client can send any integer and any date; SQL stores integers in 32 or 64 bits and pandas
holds timestamps in 64-bit nanoseconds (years 1677 to 2262). A value beyond either is
valid JSON but fails deep inside a query or a frame, as a 500. Bounding them at the
edge turns that into a 422 that names the field and the range.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator

from opscast.schema_types import UtcDateTime, naive_utc

# Row ids are SQL INTEGER columns, 32-bit on PostgreSQL; offsets and counts are 64-bit.
SQL_ID_MAX = 2**31 - 1
SQL_INT_MAX = 2**63 - 1

# pandas' own limits are 1677-09-21 and 2262-04-11; a day's margin keeps a resample or a
# period start from stepping over them.
EARLIEST = datetime(1678, 1, 1)
LATEST = datetime(2262, 1, 1)


def _within_pandas_range(value: datetime) -> datetime:
    if not EARLIEST <= naive_utc(value) < LATEST:
        raise ValueError(
            f"timestamps must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d}, "
            f"the range that time-series frames can hold; got {value.isoformat()}"
        )
    return value


Timestamp = Annotated[UtcDateTime, AfterValidator(_within_pandas_range)]
"""A datetime that a pandas frame can hold (years 1678 to 2261), written back in UTC."""
