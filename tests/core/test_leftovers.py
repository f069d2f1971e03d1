"""Issue 14 item 12, leftovers: a merge killed mid-way left its unpacked bundle in
/tmp/calnet-bundle-* forever, and a killed `backup --to` left a .partial in the target
folder. A merge now unpacks in the register's temp folder (swept by the next writer); a
backup into another folder is removed on failure, and after a kill by this register's next
backup there, never another register's backup in the making."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from calnet_desk import cli
from calnet_desk.store import backups as bk


def run(root: Path, *argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["--data-dir", str(root), *argv], out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def killed(root: Path, fault: str, *argv: str, tmp: Path) -> int:
    env = {**os.environ, "CALNET_DESK_FAULT": fault, "TMPDIR": str(tmp), "TEMP": str(tmp),
           "TMP": str(tmp)}
    done = subprocess.run([sys.executable, "-m", "calnet_desk.cli", "--data-dir", str(root),
                           *argv], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode


@pytest.fixture
def home(tmp_path: Path) -> Path:
    root = tmp_path / "reg"
    assert run(root, "demo", "--orders", "20")[0] == 0
    return root


def test_a_killed_merge_leaves_nothing_in_the_system_temp_folder(home: Path,
                                                                 tmp_path: Path) -> None:
    other = tmp_path / "other"
    assert run(other, "demo", "--orders", "30", "--seed", "7")[0] == 0
    bundle = tmp_path / "other.zip"
    assert run(other, "export-bundle", str(bundle))[0] == 0
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    assert killed(home, "document-incoming", "merge-bundle", str(bundle), "--prefer",
                  "bundle", tmp=system_tmp) == -9
    assert list(system_tmp.iterdir()) == []  # the attack: /tmp/calnet-bundle-* forever
    left = [p.name for p in (home / "temp").iterdir()]
    assert any(name.startswith("calnet-bundle-") for name in left), left
    assert run(home, "list", "orders")[0] == 0
    assert (home / "temp").exists() and list((home / "temp").iterdir())  # readers keep it
    code, _, err = run(home, "merge-bundle", str(bundle), "--prefer", "bundle")
    assert code == 0, err
    assert list((home / "temp").iterdir()) == []  # the next writer swept it
    assert run(home, "verify")[0] == 0


def test_a_killed_backup_to_another_folder_is_removed_by_the_next_one_there(
        home: Path, tmp_path: Path) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()
    # another register's backup in the making in the same folder: not ours to remove
    theirs = usb / ".20260101T000000Z-manual.0123456789ab.partial"
    theirs.mkdir()
    assert killed(home, "backup-documents", "backup", "--to", str(usb), tmp=tmp_path) == -9
    partials = sorted(p.name for p in usb.iterdir() if p.name.endswith(".partial"))
    assert len(partials) == 2 and theirs.name in partials
    assert bk.list_backups(usb) == []  # never listed
    code, out, err = run(home, "backup", "--to", str(usb))
    assert code == 0, err
    assert [p.name for p in usb.iterdir() if p.name.endswith(".partial")] == [theirs.name]
    made = bk.list_backups(usb)
    assert len(made) == 1 and bk.check_backup(made[0]) == []


def test_a_failed_backup_to_another_folder_removes_its_own_partial(
        home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    usb = tmp_path / "usb"
    usb.mkdir()

    def failing_check(path: Path) -> list[str]:
        return ["a check that fails"]

    monkeypatch.setattr(bk, "_check_database", failing_check)
    code, _, err = run(home, "backup", "--to", str(usb))
    assert code == 1 and "nothing was kept" in err, err
    # no partial; the backups' shared document store keeps its verified, content-named
    # copies for the next backup there
    assert [p.name for p in usb.iterdir()] == ["documents"]
    assert bk.list_backups(usb) == []


def test_a_killed_verify_bundle_is_cleaned_up_by_the_next_one_not_a_running_one(
        home: Path, tmp_path: Path) -> None:
    from calnet_desk.exchange.archive import _InUse, sweep_stale_unpacked

    bundle = tmp_path / "mine.zip"
    assert run(home, "export-bundle", str(bundle))[0] == 0
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    assert killed(home, "bundle-unpacked", "verify-bundle", str(bundle), tmp=system_tmp) == -9
    stale = list(system_tmp.iterdir())
    assert len(stale) == 1 and stale[0].name.startswith("calnet-bundle-")
    running = system_tmp / "calnet-bundle-running"  # another verification, still going
    running.mkdir()
    held = _InUse(running)
    foreign = system_tmp / "calnet-bundle-not-ours"  # no lock file: not ours to judge
    foreign.mkdir()
    try:
        assert killed(home, "none", "verify-bundle", str(bundle), tmp=system_tmp) == 0
        assert sorted(p.name for p in system_tmp.iterdir()) == [
            "calnet-bundle-not-ours", "calnet-bundle-running"]
    finally:
        held.release()
    assert sweep_stale_unpacked(system_tmp) == [running]  # once its lock is free
