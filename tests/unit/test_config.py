from pathlib import Path

import pytest
from pydantic import ValidationError

from opscast.config import Environment, LogFormat, Settings

GOOD_KEY = "k" * 32


def test_defaults_need_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("OPSCAST_"):
            monkeypatch.delenv(name)
    settings = Settings()
    assert settings.environment is Environment.development
    assert settings.host == "127.0.0.1"
    assert settings.port == 8000
    assert not settings.auth_enabled
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert settings.resolved_database_url.endswith("var/opscast.db")
    assert settings.log_format is LogFormat.console


def test_environment_variables_use_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPSCAST_DATABASE_URL", "postgresql+psycopg://u@db/opscast")
    monkeypatch.setenv("OPSCAST_API_KEYS", f" {GOOD_KEY} , {'z' * 20},")
    monkeypatch.setenv("OPSCAST_LOG_FORMAT", "json")
    monkeypatch.setenv("OPSCAST_LOG_LEVEL", "debug")
    settings = Settings()
    assert settings.resolved_database_url == "postgresql+psycopg://u@db/opscast"
    assert [key.get_secret_value() for key in settings.api_keys] == [GOOD_KEY, "z" * 20]
    assert settings.log_format is LogFormat.json
    assert settings.log_level == "DEBUG"


def test_keys_are_not_printed() -> None:
    settings = Settings(api_keys=[GOOD_KEY])
    assert GOOD_KEY not in repr(settings)
    assert GOOD_KEY not in str(settings.model_dump())


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"environment": "production"}, "OPSCAST_API_KEYS"),
        ({"api_keys": "short"}, "shorter than 16"),
        ({"host": "0.0.0.0"}, "exposes the service"),
        ({"log_level": "loud"}, "not a log level"),
        ({"port": 70000}, "port"),
        ({"max_upload_bytes": 0}, "max_upload_bytes"),
    ],
)
def test_unsafe_or_invalid_settings_are_refused(
    overrides: dict[str, object], fragment: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(**overrides)  # type: ignore[arg-type]
    assert fragment in str(caught.value)


def test_exposed_host_is_allowed_with_a_key() -> None:
    settings = Settings(host="0.0.0.0", api_keys=[GOOD_KEY], environment="production")
    assert settings.auth_enabled


def test_stored_keys_alone_may_guard_an_exposed_host() -> None:
    settings = Settings(host="0.0.0.0", auth_required=True, environment="production")
    assert settings.auth_enabled
    assert not settings.api_keys


def test_var_and_data_dirs_must_differ(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="must differ"):
        Settings(var_dir=tmp_path, data_dir=tmp_path)
