from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opscast.data_paths import resolve_data_path
from opscast.errors import InvalidInputError, NotFoundError


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "data" / "itsm").mkdir(parents=True)
    (tmp_path / "data" / "itsm" / "export.csv").write_text("a,b\n")
    (tmp_path / "secret.txt").write_text("do not read")
    (tmp_path / "data" / "escape").symlink_to(tmp_path / "secret.txt")
    return tmp_path / "data"


def test_relative_and_absolute_paths_inside_are_accepted(data_dir: Path) -> None:
    expected = (data_dir / "itsm" / "export.csv").resolve()
    assert resolve_data_path(data_dir, "itsm/export.csv") == expected
    assert resolve_data_path(data_dir, str(expected)) == expected
    assert resolve_data_path(data_dir, "itsm/../itsm/export.csv") == expected


@pytest.mark.parametrize("requested", ["../secret.txt", "/etc/passwd", "escape", "", "a\x00b"])
def test_paths_leaving_the_directory_are_refused(data_dir: Path, requested: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        resolve_data_path(data_dir, requested)
    assert caught.value.field == "file_path"


def test_missing_file_is_not_found(data_dir: Path) -> None:
    with pytest.raises(NotFoundError):
        resolve_data_path(data_dir, "itsm/missing.csv")


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=200)
@given(st.lists(st.sampled_from(["..", ".", "itsm", "export.csv", "escape", "x"]), max_size=6))
def test_whatever_is_accepted_lies_inside(data_dir: Path, parts: list[str]) -> None:
    try:
        resolved = resolve_data_path(data_dir, "/".join(parts))
    except (InvalidInputError, NotFoundError):
        return
    assert resolved.is_relative_to(data_dir.resolve())
