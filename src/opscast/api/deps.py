"""The shared dependencies, defined in ``opscast.dependencies``; kept importable here for
code written against this module."""

from opscast.dependencies import (
    AuthenticationError,
    DatabaseDep,
    ModelStoreDep,
    ScoringDep,
    SessionDep,
    SettingsDep,
    require_api_key,
)

__all__ = [
    "AuthenticationError",
    "DatabaseDep",
    "ModelStoreDep",
    "ScoringDep",
    "SessionDep",
    "SettingsDep",
    "require_api_key",
]
