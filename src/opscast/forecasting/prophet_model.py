"""Prophet, one model per series, for users who know and trust it.

Prophet (and the Stan toolchain it ships) is an optional extra, imported only when the
model is asked for, so the default install stays light and ``opscast --help`` fast. On
integer steps it has no calendar to find seasons in, so each step becomes one day and
the season lengths become custom Fourier seasonalities of that many days.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Self

import pandas as pd

from opscast.forecasting.protocol import ForecastingError

INSTALL_HINT = "prophet is not installed; install it with: pip install 'opscast[prophet]'"
STEP_EPOCH = pd.Timestamp("2000-01-01")


def _prophet_class() -> Any:
    try:
        from prophet import Prophet
    except ImportError:
        raise ForecastingError(INSTALL_HINT) from None
    for noisy in ("cmdstanpy", "prophet"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return Prophet


class ProphetForecaster:
    def __init__(
        self,
        name: str = "prophet",
        *,
        freq: str | int,
        season_length: int = 1,
        seasons: Sequence[int] = (),
    ) -> None:
        self.name = name
        self.freq = freq
        self.seasons = tuple(sorted({s for s in (*seasons, season_length) if s > 1}))
        self._fitted: list[tuple[Any, Any, Any]] = []

    def _to_time(self, ds: pd.Series) -> pd.Series:
        if isinstance(self.freq, int):
            return STEP_EPOCH + pd.to_timedelta(ds.astype("int64"), unit="D")
        return ds

    def fit(self, df: pd.DataFrame) -> Self:
        prophet = _prophet_class()
        self._fitted = []
        for uid, group in df.groupby("unique_id", sort=True):
            if isinstance(self.freq, int):
                model = prophet(
                    daily_seasonality=False, weekly_seasonality=False, yearly_seasonality=False
                )
                for season in self.seasons:
                    if len(group) >= 2 * season:
                        model.add_seasonality(
                            name=f"every_{season}",
                            period=season,
                            fourier_order=min(10, season // 2),
                        )
            else:
                model = prophet()
            model.fit(pd.DataFrame({"ds": self._to_time(group["ds"]), "y": group["y"]}))
            self._fitted.append((uid, model, group["ds"].iloc[-1]))
        return self

    def predict(self, h: int) -> pd.DataFrame:
        if not self._fitted:
            raise ForecastingError("fit the model before predicting")
        parts = []
        for uid, model, last in self._fitted:
            if isinstance(self.freq, int):
                future_ds: Any = pd.Series(range(int(last) + 1, int(last) + h + 1))
            else:
                future_ds = pd.Series(pd.date_range(last, periods=h + 1, freq=self.freq)[1:])
            predicted = model.predict(pd.DataFrame({"ds": self._to_time(future_ds)}))
            parts.append(
                pd.DataFrame(
                    {"unique_id": uid, "ds": future_ds.to_numpy(), self.name: predicted["yhat"]}
                )
            )
        return pd.concat(parts, ignore_index=True)
