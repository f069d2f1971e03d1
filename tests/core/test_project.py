"""The project's own rules: layering, lint, types, no Qt in the core."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)


def test_import_linter_contract_keeps_qt_out_of_the_core() -> None:
    result = run(str(BIN / "lint-imports"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "The core (calnet_desk) never imports Qt or the ui layer KEPT" in result.stdout
    assert ", 0 broken" in result.stdout


def test_importing_the_cli_does_not_load_pyside6() -> None:
    code = ("import sys, calnet_desk.cli, calnet_desk.store.verify, "
            "calnet_desk.exchange.importer, calnet_desk.exchange.exporter; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'ui')))")
    result = run(sys.executable, "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_pyside6_is_installed_so_the_check_above_means_something() -> None:
    result = run(sys.executable, "-c", "import PySide6; print(PySide6.__version__)")
    assert result.returncode == 0, result.stderr


def test_ruff_is_clean() -> None:
    result = run(str(BIN / "ruff"), "check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_on_the_core_and_the_ui() -> None:
    result = run(str(BIN / "mypy"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_nothing_is_created_at_import(tmp_path: Path) -> None:
    code = "import calnet_desk.cli, calnet_desk.paths, calnet_desk.store, calnet_desk.demo"
    env = {"HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
           "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []
