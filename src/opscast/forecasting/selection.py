"""``auto`` (best model per series) and ``ensemble`` (mean of each series' best three).

Both rank candidate models per series by their backtest MAE on the same windows, so
the choice is made on out-of-sample errors, never on in-sample fit.

Selection over thousands of series has to spend its time where it pays. Cheap
candidates (seasonal naive and global models, each fitted once for all series per
window: LightGBM, and for data with several cycles the window-normalised LightGBM) are
backtested on every series first. Expensive ones (MSTL, Theta, AutoETS, AutoARIMA, one
fit per series) then run on the series the cheap ones served worst (largest backtest
error relative to the series' in-sample seasonal naive error), hardest first, until a
time budget is spent: by default half of what the cheap stage took (at least
``MIN_BUDGET``), so ``auto`` costs a predictable multiple of its cheapest candidates,
about (windows + 1) / windows x 1.5 times their backtest, and degrades to "cheap models
everywhere, expensive ones where they were most needed" rather than to an unbounded run.

``auto`` then weighs one more candidate, the mean of up to three candidates within 10 % of
the best (the M4 lesson: combinations of comparable models beat selections), and keeps
the candidate that is best over all series (by error relative to each series' seasonal
naive error) unless another one beats it on a series by more than 10 %. A series too short
for any backtest window gets the seasonal naive forecast.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, Self

import numpy as np
import pandas as pd

from opscast.forecasting.backtest import cross_validate
from opscast.forecasting.execution import SeriesRunner, backtest_chunk, duration, fit_predict
from opscast.forecasting.protocol import ForecastingError
from opscast.forecasting.zoo import (
    CHEAP_CANDIDATES,
    EXPENSIVE_CANDIDATES,
    LOCAL_MODELS,
    MULTI_SEASONAL_CANDIDATES,
    ModelSpec,
    single_model,
)

ENSEMBLE_SIZE = 3
BUDGET_FACTOR = 0.5  # default budget for expensive candidates, in multiples of the cheap stage
MIN_BUDGET = 5.0  # seconds: small sets always get their expensive candidates
FALLBACK_MODEL = "seasonal_naive"
# auto leaves the model best over all series only for one clearly better on a series:
# two backtest windows rank close candidates mostly by chance, and picking the chance
# winner per series did worse than the overall best model in our benchmarks.
SWITCH_MARGIN = 0.1
# auto also weighs the mean of the best few candidates as one more candidate: the M4
# results (the median or mean of ETS, Theta and ARIMA; FFORMA's weighting) show that
# combining models which fail differently beats choosing among them more often than not.
COMBINATION = "combination"
COMBINED = 3
# ... but only of candidates about as good as the best: on M4 Hourly the mean of the
# window model with MSTL (35 % worse alone) lost to the window model alone.
COMBINE_WITHIN = 0.1
KEYS = ["unique_id", "ds", "cutoff", "horizon", "y"]


def default_candidates(spec: ModelSpec) -> list[str]:
    """Cheap ones first. Data with several cycles adds the window model to them and MSTL
    ahead of the expensive ones."""
    if len(spec.seasons) > 1:
        return [*CHEAP_CANDIDATES, *MULTI_SEASONAL_CANDIDATES, "mstl", *EXPENSIVE_CANDIDATES]
    return [*CHEAP_CANDIDATES, *EXPENSIVE_CANDIDATES]


def is_cheap(candidate: str) -> bool:
    """Global models (one fit for all series) and the seasonal naive run on every series."""
    return candidate in CHEAP_CANDIDATES or candidate not in LOCAL_MODELS


class SelectingForecaster:
    """Picks (``auto``) or combines (``ensemble``) candidates per series by backtest MAE."""

    def __init__(
        self,
        name: str,
        spec: ModelSpec,
        *,
        horizon: int,
        n_windows: int = 2,
        candidates: Sequence[str] | None = None,
        time_budget: float | None = None,
        runner: SeriesRunner | None = None,
        on_step: Callable[[str], None] | None = None,
    ) -> None:
        if name not in {"auto", "ensemble"}:
            raise ForecastingError(f"unknown selecting model {name!r}")
        if time_budget is not None and time_budget < 0:
            raise ForecastingError("time budget must not be negative")
        self.name = name
        self.spec = spec
        self.horizon = horizon
        self.n_windows = n_windows
        self.candidates = list(candidates) if candidates is not None else default_candidates(spec)
        self.time_budget = time_budget
        self.runner = runner or SeriesRunner(on_step=on_step)
        self.chosen_: dict[str, list[str]] = {}
        self.tried_: dict[str, int] = {}
        self.backtest_ = pd.DataFrame()
        self._forecasts = pd.DataFrame()

    def _backtest(
        self,
        candidate: str,
        df: pd.DataFrame,
        ids: Sequence[Any] | None = None,
        deadline: float | None = None,
    ) -> pd.Series:
        make = single_model(candidate, self.spec)
        if candidate in LOCAL_MODELS:
            work = partial(backtest_chunk, make, self.horizon, self.n_windows, None)
            points = self.runner.run(
                work, df, f"backtesting {candidate}", ids=ids, deadline=deadline
            )
        else:
            self.runner.report(f"backtesting {candidate}: one global fit per window")
            try:
                points = cross_validate(make, df, h=self.horizon, n_windows=self.n_windows)
            except ForecastingError:
                return pd.Series(dtype=np.float64)  # e.g. series too short for its lags
        if points.empty:
            return pd.Series(dtype=np.float64)
        self.tried_[candidate] = int(points["unique_id"].nunique())
        return points.set_index(KEYS)[candidate]

    def _scales(self, df: pd.DataFrame, index: pd.Index) -> pd.Series:
        """In-sample seasonal naive MAE per series (NaN where flat): errors become comparable."""
        history = df.sort_values(["unique_id", "ds"])
        season = max(1, self.spec.season_length)
        naive = history.groupby("unique_id")["y"].diff(season).abs()
        scale = naive.groupby(history["unique_id"]).mean()
        return scale.reindex(index).where(lambda values: values > 0)

    def _hardest_first(self, df: pd.DataFrame, errors: pd.DataFrame) -> list[Any]:
        """Series ordered by the best cheap error over the in-sample seasonal naive error."""
        relative = errors.min(axis=1) / self._scales(df, errors.index)
        return relative.sort_values(ascending=False, na_position="last").index.tolist()

    def _overall_best(self, df: pd.DataFrame, errors: pd.DataFrame) -> str | None:
        """The candidate with the lowest mean scaled error among those tried on every series."""
        complete = [str(c) for c in errors.columns if errors[c].notna().all()]
        if not complete:
            return None
        relative = errors[complete].div(self._scales(df, errors.index), axis=0)
        means = relative.mean()
        return str(means.idxmin()) if means.notna().any() else complete[0]

    def _members(self, df: pd.DataFrame, errors: pd.DataFrame) -> list[str]:
        """Up to ``COMBINED`` candidates within ``COMBINE_WITHIN`` of the best complete one.

        Each candidate is compared with the best complete candidate on the series it was
        tried on (the expensive ones only reach some), by the ratio of their mean scaled
        errors there.
        """
        best = self._overall_best(df, errors)
        if best is None:
            return []
        relative = errors.div(self._scales(df, errors.index), axis=0)
        ratios = {}
        for candidate in relative.columns:
            both = relative[candidate].notna() & relative[best].notna()
            baseline = relative.loc[both, best].mean()
            if both.any() and baseline > 0:
                ratios[str(candidate)] = relative.loc[both, candidate].mean() / baseline
        close = [c for c in ratios if ratios[c] <= 1 + COMBINE_WITHIN]
        return sorted(close, key=ratios.__getitem__)[:COMBINED]

    def _errors(self, tables: dict[str, pd.Series]) -> tuple[pd.DataFrame, pd.DataFrame]:
        joined = pd.concat(tables, axis=1).reset_index()
        usable = list(tables)
        errors = joined[usable].sub(joined["y"], axis=0).abs().groupby(joined["unique_id"]).mean()
        return joined, errors

    def fit(self, df: pd.DataFrame) -> Self:
        started = time.monotonic()
        cheap = [c for c in self.candidates if is_cheap(c)]
        expensive = [c for c in self.candidates if not is_cheap(c)]
        tables: dict[str, pd.Series] = {}
        for candidate in cheap:
            points = self._backtest(candidate, df)
            if not points.empty:
                tables[candidate] = points
        if expensive:
            spent = time.monotonic() - started
            budget = (
                self.time_budget
                if self.time_budget is not None
                else max(MIN_BUDGET, BUDGET_FACTOR * spent)
            )
            # the refit of the chosen expensive models comes after the backtests
            deadline = time.monotonic() + budget * self.n_windows / (self.n_windows + 1)
            order = (
                self._hardest_first(df, self._errors(tables)[1])
                if tables
                else list(df["unique_id"].unique())
            )
            self.runner.report(
                f"trying {', '.join(expensive)} on the hardest series first, "
                f"budget {duration(budget)}"
            )
            for candidate in expensive:
                if time.monotonic() >= deadline:
                    break
                points = self._backtest(candidate, df, ids=order, deadline=deadline)
                if not points.empty:
                    tables[candidate] = points
        self._choose(df, tables)
        self._fit_chosen(df)
        return self

    def _choose(self, df: pd.DataFrame, tables: dict[str, pd.Series]) -> None:
        keep = 1 if self.name == "auto" else ENSEMBLE_SIZE
        chosen: dict[str, list[str]] = {}
        if tables:
            joined, errors = self._errors(tables)
            members: list[str] = []
            if self.name == "auto":
                members = self._members(df, errors)
                if len(members) > 1:
                    combined = joined[members].mean(axis=1, skipna=False)
                    errors[COMBINATION] = (
                        (combined - joined["y"]).abs().groupby(joined["unique_id"]).mean()
                    )
            overall = self._overall_best(df, errors) if self.name == "auto" else None
            for uid, row in errors.iterrows():
                ranked = row.dropna().sort_values(kind="stable")
                picked = [str(model) for model in ranked.index[:keep]]
                if overall is not None and ranked.iloc[0] > (1 - SWITCH_MARGIN) * row[overall]:
                    picked = [overall]
                chosen[str(uid)] = members if picked == [COMBINATION] else picked
            usable = list(tables)
            membership = pd.DataFrame(
                {
                    model: {uid: model in models for uid, models in chosen.items()}
                    for model in usable
                }
            )
            mask = membership.reindex(joined["unique_id"].astype(str)).to_numpy(dtype=bool)
            combined = joined[usable].where(mask).mean(axis=1)
            self.backtest_ = joined[KEYS].assign(**{self.name: combined.to_numpy()})
        for uid in df["unique_id"].unique():
            chosen.setdefault(str(uid), [FALLBACK_MODEL])
        self.chosen_ = chosen

    def _fit_chosen(self, df: pd.DataFrame) -> None:
        needed = list(dict.fromkeys(model for models in self.chosen_.values() for model in models))
        labels = df["unique_id"].unique().tolist()
        forecasts = []
        for model in needed:
            ids = [uid for uid in labels if model in self.chosen_[str(uid)]]
            make = single_model(model, self.spec)
            if model in LOCAL_MODELS:
                work = partial(fit_predict, make, self.horizon)
                predicted = self.runner.run(work, df, f"fitting {model}", ids=ids)
            else:
                self.runner.report(f"fitting {model} on all series")
                predicted = make().fit(df).predict(self.horizon)
                predicted = predicted[predicted["unique_id"].isin(ids)]
            forecasts.append(predicted.rename(columns={model: self.name}))
        stacked = pd.concat(forecasts, ignore_index=True)
        self._forecasts = stacked.groupby(["unique_id", "ds"], as_index=False, sort=True).agg(
            **{self.name: (self.name, "mean")}
        )

    def predict(self, h: int) -> pd.DataFrame:
        if self._forecasts.empty:
            raise ForecastingError("fit the model before predicting")
        if h > self.horizon:
            raise ForecastingError(
                f"{self.name} was selected for {self.horizon} steps; refit for {h}"
            )
        steps = self._forecasts.groupby("unique_id", sort=False).cumcount()
        return self._forecasts[steps < h].reset_index(drop=True)
