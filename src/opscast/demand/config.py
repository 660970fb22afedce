"""The demand pipeline's configuration: columns, features, split, model and drift rule.

One TOML file (``default.toml`` ships beside this module) so that a DVC stage, the CLI
and the service read the same parameters, and a change of model or features is a
reviewed change of a file rather than of code. A user's file is laid over the default,
so it needs only the keys it changes; an unknown key is an error naming it, because a
misspelt parameter that silently falls back to its default is worse than none.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from opscast.errors import InvalidInputError
from opscast.forecasting.direct_booster import BoosterConfig
from opscast.timeseries.horizon_features import HorizonSpec

DEFAULT_CONFIG = Path(__file__).with_name("default.toml")
STATICS = ("store", "item")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataColumns(_Strict):
    date: str = "date"
    store: str = "store"
    item: str = "item"
    sales: str = "sales"


class FeatureConfig(_Strict):
    horizon: int = Field(default=90, ge=1, le=730)
    lags: list[int] = Field(default_factory=lambda: [91, 98, 182, 364, 728])
    windows: list[int] = Field(default_factory=lambda: [7, 28, 91, 364])
    weekday_weeks: int = Field(default=13, ge=0, le=104)
    calendar: list[str] = Field(default_factory=list)

    def spec(self) -> HorizonSpec:
        return HorizonSpec(
            horizon=self.horizon,
            lags=tuple(self.lags),
            windows=tuple(self.windows),
            weekday_weeks=self.weekday_weeks,
            calendar=tuple(self.calendar),
            statics=STATICS,
        )


class SplitConfig(_Strict):
    holdout_days: int = Field(default=90, ge=1)
    validation_days: int = Field(default=90, ge=1)
    warmup_days: int = Field(default=364, ge=0)


class ModelConfig(_Strict):
    engine: Literal["lightgbm", "xgboost"] = "lightgbm"
    num_boost_round: int = Field(default=800, ge=1)
    early_stopping_rounds: int = Field(default=30, ge=1)
    target_transform: Literal["none", "log1p"] = "log1p"
    params: dict[str, Any] = Field(default_factory=dict)

    def booster(self) -> BoosterConfig:
        return BoosterConfig(
            engine=self.engine,
            params=dict(self.params),
            num_boost_round=self.num_boost_round,
            early_stopping_rounds=self.early_stopping_rounds,
            target_transform=self.target_transform,
        )


class DriftConfig(_Strict):
    mape_tolerance: float = Field(default=0.2, ge=0.0)


class DemandConfig(_Strict):
    data: DataColumns = DataColumns()
    features: FeatureConfig = FeatureConfig()
    split: SplitConfig = SplitConfig()
    model: ModelConfig = ModelConfig()
    drift: DriftConfig = DriftConfig()

    def flat_params(self) -> dict[str, str | int | float]:
        """Every parameter as one flat mapping: what the registry records with a version."""
        flat: dict[str, str | int | float] = {}
        for section, values in self.model_dump().items():
            for key, value in values.items():
                if isinstance(value, dict):
                    for inner, setting in value.items():
                        flat[f"{section}.{key}.{inner}"] = str(setting)
                else:
                    flat[f"{section}.{key}"] = (
                        value if isinstance(value, int | float) else str(value)
                    )
        return flat


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict) and key != "params":
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(path: Path | None = None) -> DemandConfig:
    """The default configuration, with ``path``'s values laid over it."""
    values = tomllib.loads(DEFAULT_CONFIG.read_text())
    if path is not None:
        try:
            values = _merge(values, tomllib.loads(path.read_text()))
        except FileNotFoundError:
            raise InvalidInputError(f"no config file {path}", field="config") from None
        except tomllib.TOMLDecodeError as exc:
            raise InvalidInputError(f"{path} is not valid TOML: {exc}", field="config") from None
    try:
        config = DemandConfig.model_validate(values)
        config.features.spec()
        config.model.booster()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise InvalidInputError(f"config {where}: {first['msg']}", field=where) from None
    except ValueError as exc:  # the kernels' own checks (a lag shorter than the horizon)
        raise InvalidInputError(f"config: {exc}", field="config") from None
    return config
