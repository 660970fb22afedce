"""The layer contracts of pyproject.toml hold, and would catch a kernel importing a router.

Runs the real ``lint-imports`` on a copy of the package, once as it is and once with one
forbidden import added, so the contracts are shown to bite rather than assumed to.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
KERNEL_CONTRACT = "Kernels are pure numerics"
DOMAIN_CONTRACT = "Domains import no face code"


def _lint(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=project,
        env={"PYTHONPATH": str(project / "src"), "PATH": str(LINT_IMPORTS.parent)},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """pyproject.toml and src/opscast copied, caches left behind."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        ROOT / "src" / "opscast",
        tmp_path / "src" / "opscast",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    return tmp_path


def test_the_package_keeps_every_contract(project: Path) -> None:
    result = _lint(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_kernel_importing_a_router_breaks_the_kernel_contract(project: Path) -> None:
    kernel = project / "src" / "opscast" / "forecasting" / "leak.py"
    kernel.write_text("from opscast.traffic.router import router\n")
    result = _lint(project)
    assert result.returncode != 0
    assert f"{KERNEL_CONTRACT}" in result.stdout
    assert "opscast.forecasting.leak -> opscast.traffic.router" in result.stdout


def test_a_domain_importing_the_app_breaks_the_domain_contract(project: Path) -> None:
    domain = project / "src" / "opscast" / "tickets" / "leak.py"
    domain.write_text("from opscast.api.app import create_app\n")
    result = _lint(project)
    assert result.returncode != 0
    assert DOMAIN_CONTRACT in result.stdout
    assert "opscast.tickets.leak -> opscast.api.app" in result.stdout
