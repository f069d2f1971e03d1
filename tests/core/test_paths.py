"""Where the register lives: flag, then CALNET_DESK_HOME, then portable, then the default."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from calnet_desk import paths
from calnet_desk.paths import PORTABLE_MARKERS, portable_data_dir, resolve_data_dir


@pytest.fixture
def app_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "CALNET Desk"
    folder.mkdir()
    (folder / "calnet-desk.exe").write_bytes(b"")
    return folder


@pytest.fixture
def default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(paths, "default_data_dir", lambda: tmp_path / "default")
    return tmp_path / "default"


def test_the_msis_leave_the_marker_out() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_wxs", Path(__file__).resolve().parents[2] / "installer" / "make_wxs.py")
    assert spec and spec.loader
    make_wxs = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_wxs)
    assert set(PORTABLE_MARKERS) <= make_wxs.EXCLUDED_NAMES


@pytest.mark.parametrize("marker", PORTABLE_MARKERS)
def test_a_marker_beside_the_frozen_exe_keeps_the_register_beside_it(
        app_folder: Path, default: Path, marker: str) -> None:
    exe = app_folder / "calnet-desk.exe"
    assert resolve_data_dir(None, {}, executable=exe, frozen=True) == default
    (app_folder / marker).write_text("", "utf-8")
    assert portable_data_dir(exe, frozen=True) == app_folder.resolve() / "register"
    assert resolve_data_dir(None, {}, executable=exe,
                            frozen=True) == app_folder.resolve() / "register"


def test_precedence_flag_then_env_then_portable_then_default(
        app_folder: Path, default: Path, tmp_path: Path) -> None:
    exe = app_folder / "calnet-desk.exe"
    (app_folder / "portable.txt").write_text("", "utf-8")
    env = {"CALNET_DESK_HOME": str(tmp_path / "env")}
    assert resolve_data_dir(tmp_path / "flag", env, executable=exe,
                            frozen=True) == tmp_path / "flag"
    assert resolve_data_dir(None, env, executable=exe, frozen=True) == tmp_path / "env"
    assert resolve_data_dir(None, {"CALNET_DESK_HOME": ""}, executable=exe,
                            frozen=True) == app_folder.resolve() / "register"
    (app_folder / "portable.txt").unlink()
    assert resolve_data_dir(None, env, executable=exe, frozen=True) == tmp_path / "env"
    assert resolve_data_dir(None, {}, executable=exe, frozen=True) == default


def test_only_a_frozen_build_is_portable(app_folder: Path, default: Path) -> None:
    (app_folder / "portable.txt").write_text("", "utf-8")
    exe = app_folder / "calnet-desk.exe"
    assert portable_data_dir(exe, frozen=False) is None
    assert resolve_data_dir(None, {}, executable=exe, frozen=False) == default
    # Unfrozen by default here: a marker beside the venv's python changes nothing.
    assert not getattr(sys, "frozen", False)
    assert portable_data_dir() is None


def test_a_folder_named_like_the_marker_is_no_marker(app_folder: Path, default: Path) -> None:
    (app_folder / "portable.txt").mkdir()
    assert portable_data_dir(app_folder / "calnet-desk.exe", frozen=True) is None


def test_the_frozen_flag_and_executable_default_to_the_running_program(
        app_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (app_folder / "portable.txt").write_text("", "utf-8")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app_folder / "calnet-desk.exe"))
    assert resolve_data_dir(None, {}) == app_folder.resolve() / "register"
