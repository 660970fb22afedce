"""The shared dependencies, defined in ``opscast.dependencies``; kept importable here for
code written against this module. Domain code imports ``opscast.dependencies`` instead
(a domain importing api/ breaks the layer contracts)."""

from opscast.auth.access import AuthenticationError
from opscast.dependencies import (
    DatabaseDep,
    ModelStoreDep,
    ScoringDep,
    SessionDep,
    SettingsDep,
    get_database,
    get_model_store,
    get_session,
    get_settings,
    require_api_key,
)

__all__ = [
    "AuthenticationError",
    "DatabaseDep",
    "ModelStoreDep",
    "ScoringDep",
    "SessionDep",
    "SettingsDep",
    "get_database",
    "get_model_store",
    "get_session",
    "get_settings",
    "require_api_key",
]
