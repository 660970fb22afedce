"""Request and response bodies of seed 3's ``POST /predict``."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from opscast.schema_types import RequestModel

MAX_ROWS = 10_000


class PredictIn(RequestModel):
    model_config = ConfigDict(extra="forbid")

    store: int = Field(ge=0, le=2**31 - 1, examples=[1])
    item: int = Field(ge=0, le=2**31 - 1, examples=[1])
    date: dt.date = Field(examples=["2018-01-01"])


class PredictOut(BaseModel):
    store: int
    item: int
    date: dt.date
    predicted_sales: float = Field(description="units expected to sell that day")
    model_version: int = Field(description="the store-demand registry version that answered")
