"""The WiX sources: generated file lists, fixed UpgradeCodes, and both MSIs built with wixl."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import sysconfig
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"
WIX = "{http://schemas.microsoft.com/wix/2006/wi}"
OLE_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")

# Never change these: Windows Installer finds earlier versions to upgrade by them.
MACHINE_UPGRADE_CODE = "609F7D85-6F01-409F-9533-626148906BDB"
USER_UPGRADE_CODE = "CF0E4902-6334-4EC3-8C28-A5862B9E2056"


def load_make_wxs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_wxs", INSTALLER / "make_wxs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_wxs"] = module
    spec.loader.exec_module(module)
    return module


make_wxs = load_make_wxs()


@pytest.fixture
def fake_dist(tmp_path: Path) -> Path:
    """A one-dir bundle in miniature: both executables, a nested data file, a long name."""
    dist = tmp_path / "dist" / "CALNET Desk"
    (dist / "_internal" / "calnet_desk" / "data" / "rules").mkdir(parents=True)
    (dist / "calnet-desk.exe").write_bytes(b"MZ fake gui")
    (dist / "calnet-desk-cli.exe").write_bytes(b"MZ fake cli")
    (dist / "_internal" / "calnet_desk" / "data" / "rules" / "calnet2.toml").write_text(
        "[rules]\n", encoding="utf-8")
    (dist / "_internal" / "a file with a long name.txt").write_text("x", encoding="utf-8")
    return dist


@pytest.fixture
def icon(tmp_path: Path) -> Path:
    path = tmp_path / "app.ico"
    path.write_bytes(b"\x00\x00\x01\x00" + b"\x00" * 18)
    return path


def product(scope: str) -> ET.Element:
    element = ET.parse(INSTALLER / f"calnet-desk-{scope}.wxs").getroot().find(f"{WIX}Product")
    assert element is not None
    return element


def test_upgrade_codes_are_fixed_and_differ() -> None:
    machine, user = product("machine"), product("user")
    assert machine.get("UpgradeCode") == MACHINE_UPGRADE_CODE
    assert user.get("UpgradeCode") == USER_UPGRADE_CODE
    assert MACHINE_UPGRADE_CODE != USER_UPGRADE_CODE
    for element in (machine, user):
        assert element.get("Id") == "*"  # a new ProductCode each build: a major upgrade
        assert element.get("Version") == "$(var.ProductVersion)"
        assert element.find(f"{WIX}MajorUpgrade") is not None


def test_scopes_and_install_folders() -> None:
    machine, user = product("machine"), product("user")
    machine_package, user_package = machine.find(f"{WIX}Package"), user.find(f"{WIX}Package")
    assert machine_package is not None and user_package is not None
    assert machine_package.get("InstallScope") == "perMachine"
    assert user_package.get("InstallScope") == "perUser"
    assert machine.find(f".//{WIX}Directory[@Id='ProgramFiles64Folder']") is not None
    programs = user.find(f".//{WIX}Directory[@Id='LocalAppDataFolder']/{WIX}Directory")
    assert programs is not None and programs.get("Name") == "Programs"
    properties = {p.get("Id"): p.get("Value") for p in user.iter(f"{WIX}Property")}
    assert properties.get("MSIINSTALLPERUSER") == "1" and "ALLUSERS" not in properties
    for element in (machine, user):
        shortcut = element.find(f".//{WIX}Shortcut")
        assert shortcut is not None
        assert shortcut.get("Target") == "[INSTALLDIR]calnet-desk.exe"
        # ICE38/ICE43/ICE57: a non-advertised Start-menu shortcut needs an HKCU key path.
        key = element.find(f".//{WIX}Component[@Id='StartMenuShortcut']/{WIX}RegistryValue")
        assert key is not None and key.get("Root") == "HKCU" and key.get("KeyPath") == "yes"
        # The data folder (%LOCALAPPDATA%\CALNET Desk) is never part of a package.
        names = [d.get("Name") for d in element.iter(f"{WIX}Directory")]
        assert names.count("CALNET Desk") == 1


def test_component_guids_are_stable_and_scoped(fake_dist: Path) -> None:
    first = make_wxs.fragment(fake_dist, "machine")
    assert make_wxs.fragment(fake_dist, "machine") == first
    guid = make_wxs.component_guid("machine", "calnet-desk.exe")
    assert guid == str(uuid.uuid5(make_wxs.COMPONENT_NAMESPACE,
                                  "component:machine:calnet-desk.exe")).upper()
    assert f'Guid="{guid}"' in first
    assert make_wxs.component_guid("user", ".") in make_wxs.fragment(fake_dist, "user")
    assert guid != make_wxs.component_guid("user", "calnet-desk.exe")
    # Adding a file leaves the other components' GUIDs as they were.
    (fake_dist / "new.dll").write_bytes(b"x")
    assert f'Guid="{guid}"' in make_wxs.fragment(fake_dist, "machine")


def test_fragment_lists_every_file(fake_dist: Path) -> None:
    (fake_dist / "portable.txt").write_text("", encoding="utf-8")
    for scope in make_wxs.SCOPES:
        root = ET.fromstring(make_wxs.fragment(fake_dist, scope))
        sources = sorted(f.get("Source", "") for f in root.iter(f"{WIX}File"))
        assert sources == sorted(f"$(var.SourceDir)/{p.relative_to(fake_dist).as_posix()}"
                                 for p in fake_dist.rglob("*")
                                 if p.is_file() and p.name != "portable.txt")
        refs = {r.get("Id") for r in root.iter(f"{WIX}ComponentRef")}
        assert refs == {c.get("Id") for c in root.iter(f"{WIX}Component")}
        if scope == "user":  # ICE38/ICE64: HKCU key path and a RemoveFolder per folder
            for component in root.iter(f"{WIX}Component"):
                assert component.find(f"{WIX}RemoveFolder") is not None
                key = component.find(f"{WIX}RegistryValue")
                assert key is not None and key.get("Root") == "HKCU"


def test_missing_executable_is_refused(fake_dist: Path) -> None:
    (fake_dist / "calnet-desk-cli.exe").unlink()
    with pytest.raises(make_wxs.WxsError, match="calnet-desk-cli.exe"):
        make_wxs.fragment(fake_dist, "machine")


@pytest.mark.parametrize(("version", "expected"), [
    ("0.1.0", "0.1.0"), ("1.2", "1.2.0"), ("2.0.1.dev3", "2.0.1"), ("3.1rc1", "3.1.0"),
])
def test_msi_version(version: str, expected: str) -> None:
    assert make_wxs.msi_version(version) == expected


def test_msi_version_out_of_range() -> None:
    with pytest.raises(make_wxs.WxsError):
        make_wxs.msi_version("256.0.0")


def test_project_version_matches_package() -> None:
    import calnet_desk

    assert make_wxs.project_version() == calnet_desk.__version__


def test_wix3_commands(fake_dist: Path, icon: Path, tmp_path: Path) -> None:
    commands = make_wxs.wix3_commands(fake_dist, tmp_path / "out", "0.1.0", icon)
    assert [c[0] for c in commands] == ["candle", "light", "candle", "light"]
    assert "-dProductVersion=0.1.0" in commands[0] and "x64" in commands[0]
    assert commands[1][-2].endswith("calnet-desk-machine.wixobj")
    assert commands[3][commands[3].index("-out") + 1].endswith("calnet-desk-user.msi")


@pytest.mark.slow
def test_wixl_builds_both_msis(fake_dist: Path, icon: Path, tmp_path: Path) -> None:
    assert shutil.which("wixl"), "install wixl (the README's test packages; .ci/run does)"
    out = tmp_path / "msi"
    result = subprocess.run(
        [sys.executable, str(INSTALLER / "make_wxs.py"), str(fake_dist), "--out-dir", str(out),
         "--icon", str(icon), "--build", "wixl"],
        capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    for scope in make_wxs.SCOPES:
        msi = out / f"calnet-desk-{scope}.msi"
        data = msi.read_bytes()
        assert len(data) > 4096, msi
        assert data[:8] == OLE_SIGNATURE, msi


def test_smoke_test_script_on_the_installed_entry_points(tmp_path: Path) -> None:
    """installer/smoke_test.py, as CI runs it on the frozen and installed app (here: the venv's
    console scripts, which take the same arguments)."""
    scripts = Path(sysconfig.get_path("scripts"))
    result = subprocess.run(
        [sys.executable, str(INSTALLER / "smoke_test.py"), str(scripts),
         "--data-dir", str(tmp_path / "register"), "--demo"],
        capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke test passed" in result.stdout
