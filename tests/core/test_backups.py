"""Backups (backup API, with documents), thinning, restore, corruption, shared locations."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from factories import order

from calnet_desk.progress import Cancelled
from calnet_desk.records import KINDS
from calnet_desk.store import Register
from calnet_desk.store import backups as bk
from calnet_desk.store import register as register_mod
from calnet_desk.store.location import Location, classify
from calnet_desk.store.verify import verify

ORDERS = KINDS["orders"]


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now



def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def home(run_cli: Any, isolated_home: Path, tmp_path: Path) -> Path:
    assert run_cli("init", "--agency", "Backup Dept", "--agency-class",
                   "non-exempt-state").code == 0
    with Register.open(isolated_home, write=True) as reg, reg.transaction() as tx:
        tx.put(ORDERS, order("HO-1", monthly_cost=1000))
    form = tmp_path / "form.pdf"
    form.write_bytes(b"%PDF signed")
    assert run_cli("attach", str(form), "--to", "orders:HO-1").code == 0
    return isolated_home


def test_backup_uses_the_backup_api_and_takes_the_documents(home: Path, run_cli: Any,
                                                            tmp_path: Path) -> None:
    # A write still in the WAL (not checkpointed): a copy of the main file would miss it.
    with Register.open(home, write=True) as reg:
        reg.conn.execute("PRAGMA wal_autocheckpoint = 0")
        with reg.transaction() as tx:
            tx.put(ORDERS, order("HO-2"))
        r = run_cli("backup", "--to", str(tmp_path / "share"))
        assert r.code == 0, r.err
    made = bk.list_backups(tmp_path / "share")
    assert len(made) == 1 and made[0].reason == "manual"
    copy = sqlite3.connect(made[0].database)
    assert copy.execute("SELECT count(*) FROM orders").fetchone() == (2,)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copy.close()
    sha = hashlib.sha256(b"%PDF signed").hexdigest()
    assert (tmp_path / "share" / "documents" / sha[:2] / sha).read_bytes() == b"%PDF signed"
    manifest = made[0].manifest()
    assert manifest["documents"] == [sha] and manifest["history_entries"] >= 4
    assert bk.check_backup(made[0]) == []


def test_backups_lists_newest_first(home: Path, run_cli: Any) -> None:
    assert run_cli("backup").code == 0
    listed = json.loads(run_cli("backups", "--json").out)
    # a manual one, and the daily one taken after the attach above
    assert {b["reason"] for b in listed} == {"manual", "daily"}
    assert listed == sorted(listed, key=lambda b: b["created"], reverse=True)
    assert set(listed[0]) == {"name", "path", "reason", "created", "size",
                              "history_entries", "documents"}


def test_the_daily_backup_is_taken_once_a_day(reg: Register) -> None:
    clock = Clock(dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC))
    assert bk.daily_backup(reg, clock) is not None
    clock.now += dt.timedelta(hours=10)
    assert bk.daily_backup(reg, clock) is None
    clock.now += dt.timedelta(hours=5)  # the next day (UTC)
    assert bk.daily_backup(reg, clock) is not None
    assert len(bk.list_backups(reg.paths.backups)) == 2


def test_thinning_keeps_7_daily_4_weekly_12_monthly(reg: Register) -> None:
    clock = Clock(dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC))
    bk.make_backup(reg, "pre-migration", clock=clock)  # never thinned
    for _ in range(500):
        bk.daily_backup(reg, clock)
        clock.now += dt.timedelta(days=1)
    kept = bk.list_backups(reg.paths.backups)
    daily = [b for b in kept if b.reason == "daily"]
    days = [b.created.date() for b in daily]
    last = dt.date(2025, 1, 1) + dt.timedelta(days=499)
    assert days[:7] == [last - dt.timedelta(days=i) for i in range(7)]
    assert len(daily) <= 7 + 4 + 12
    months = {(d.year, d.month) for d in days}
    assert len(months) == 12
    weeks = {d.isocalendar()[:2] for d in days}
    assert len(weeks) >= 4
    assert [b.reason for b in kept if b.reason != "daily"] == ["pre-migration"]


def test_thinning_prunes_documents_no_backup_needs(reg: Register, tmp_path: Path) -> None:
    clock = Clock(dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC))
    from calnet_desk.store import documents as docs

    with reg.transaction() as tx:
        tx.put(ORDERS, order("HO-1"))
    src = tmp_path / "old.pdf"
    src.write_bytes(b"old letter")
    sha, size = docs.store_file(reg.paths, src)
    with reg.transaction() as tx:
        docs.add_document(tx, sha, "old.pdf", size)
        docs.link(tx, sha, ORDERS, "HO-1")
    bk.daily_backup(reg, clock)
    copy = reg.paths.backups / "documents" / sha[:2] / sha
    assert copy.is_file()
    # the document still belongs to the register, so every later backup references it
    for _ in range(40):
        clock.now += dt.timedelta(days=1)
        bk.daily_backup(reg, clock)
    assert copy.is_file()
    (reg.paths.backups / "documents" / "ab").mkdir()
    stray = reg.paths.backups / "documents" / "ab" / ("ab" + "0" * 62)
    stray.write_bytes(b"nobody's")
    clock.now += dt.timedelta(days=1)
    bk.daily_backup(reg, clock)
    assert not stray.exists() and copy.is_file()


def test_restore_brings_a_backup_back_and_keeps_the_current_one_aside(
        home: Path, run_cli: Any) -> None:
    assert run_cli("backup").code == 0
    with Register.open(home, write=True) as reg, reg.transaction() as tx:
        tx.put(ORDERS, order("HO-1", monthly_cost=99999))
        tx.put(ORDERS, order("HO-3"))
    before = tree_digest(home / "backups")
    r = run_cli("restore")
    assert r.code == 0, r.err
    assert "kept in" in r.out
    listed = json.loads(run_cli("list", "orders", "--json").out)
    assert [(o["request_number"], o["monthly_cost"]) for o in listed] == [("HO-1", 10)]
    aside = [p for p in home.iterdir() if p.name.startswith("replaced-")]
    assert len(aside) == 1
    old = sqlite3.connect(aside[0] / "register.sqlite3")
    assert old.execute("SELECT count(*) FROM orders").fetchone() == (2,)
    old.close()
    after = tree_digest(home / "backups")
    assert {k: v for k, v in after.items() if k in before} == before  # never overwritten
    assert run_cli("verify").code == 0


def corrupt_file(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    for i in range(page, len(data), 7):  # every page after the first
        data[i] = (data[i] + 91) % 256
    path.write_bytes(bytes(data))


def test_a_corrupt_register_is_moved_aside_and_restore_names_the_way_back(
        home: Path, run_cli: Any) -> None:
    assert run_cli("backup").code == 0
    good = bk.newest_good_backup(home / "backups")
    assert good is not None
    with Register.open(home, write=True) as reg:
        reg.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    corrupt_file(home / "register.sqlite3")
    (home / "register.sqlite3-wal").write_bytes(b"leftover wal")
    r = run_cli("list", "orders")
    assert r.code == 1
    assert "is damaged" in r.err and "nothing was deleted" in r.err
    assert f"({good.name})" in r.err and "restore" in r.err
    corrupt_dirs = [p for p in home.iterdir() if p.name.startswith("corrupt-")]
    assert len(corrupt_dirs) == 1
    assert {p.name for p in corrupt_dirs[0].iterdir()} >= {"register.sqlite3",
                                                           "register.sqlite3-wal"}
    assert not (home / "register.sqlite3").exists()
    restored = run_cli("restore")
    assert restored.code == 0, restored.err
    assert [o["request_number"] for o in json.loads(run_cli("list", "orders", "--json").out)
            ] == ["HO-1"]


def test_a_file_that_is_not_a_database_at_all_is_treated_as_corrupt(
        home: Path, run_cli: Any) -> None:
    with Register.open(home, write=True) as reg:
        reg.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    (home / "register.sqlite3").write_bytes(b"this is not SQLite" * 500)
    r = run_cli("show", "orders", "HO-1")
    assert r.code == 1 and "is damaged" in r.err
    assert any(p.name.startswith("corrupt-") for p in home.iterdir())


def test_restore_refuses_a_bad_backup_and_picks_the_newest_good_one(
        home: Path, run_cli: Any) -> None:
    clock = Clock(dt.datetime(2030, 1, 1, tzinfo=dt.UTC))  # newer than the daily one
    with Register.open(home) as reg:
        older = bk.make_backup(reg, "manual", clock=clock)
        clock.now += dt.timedelta(days=1)
        newer = bk.make_backup(reg, "manual", clock=clock)
    corrupt_file(newer.database)
    assert bk.check_backup(newer) != []
    bad = run_cli("restore", newer.name)
    assert bad.code == 1 and "failed its check" in bad.err
    assert not any(p.name.startswith("replaced-") for p in home.iterdir())
    assert bk.newest_good_backup(home / "backups") == older
    assert run_cli("restore").code == 0
    assert run_cli("restore", "no-such-backup").code == 1


def test_an_interrupted_backup_is_never_listed_or_restored(home: Path) -> None:
    partial = home / "backups" / ".20991231T000000Z-manual.partial"
    partial.mkdir(parents=True)
    (partial / "register.sqlite3").write_bytes(b"half")
    assert all(not b.name.startswith(".") for b in bk.list_backups(home / "backups"))


# --- network drives and synced folders ---------------------------------------------------


def test_windows_unc_and_mapped_network_drives() -> None:
    drive_types = {"C:\\": 3, "Z:\\": 4}
    kw: dict[str, Any] = {"platform": "win32", "environ": {},
                          "drive_type": lambda root: drive_types[root]}
    assert classify(r"\\fileserver\telecom\CALNET Desk", **kw).kind == "network"
    assert classify(r"Z:\CALNET Desk", **kw).kind == "network"
    assert classify(r"C:\Users\pat\AppData\Local\CALNET Desk", **kw).kind == "local"


def test_windows_onedrive_folders_are_synced() -> None:
    env = {"OneDrive": r"C:\Users\pat\OneDrive - State of California"}
    loc = classify(r"C:\Users\pat\OneDrive - State of California\CALNET", platform="win32",
                   environ=env, drive_type=lambda root: 3)
    assert loc.kind == "synced" and "OneDrive" in loc.reason
    loc = classify(r"D:\Dropbox\register", platform="win32", environ={},
                   drive_type=lambda root: 3)
    assert loc.kind == "synced"


def test_linux_network_mounts() -> None:
    mounts = [("/", "ext4"), ("/mnt/share", "cifs"), ("/mnt/share/local", "ext4"),
              ("/srv/nfs", "nfs4")]
    kw: dict[str, Any] = {"platform": "linux", "environ": {}, "mounts": lambda: mounts}
    assert classify("/mnt/share/CALNET", **kw).kind == "network"
    assert classify("/mnt/share/local/CALNET", **kw).kind == "local"
    assert classify("/srv/nfs", **kw).kind == "network"
    assert classify("/home/pat/CALNET", **kw).kind == "local"
    assert classify("/home/pat/OneDrive/CALNET", **kw).kind == "synced"


def test_a_register_on_a_share_uses_a_rollback_journal_and_warns(
        tmp_path: Path, run_cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    share = Location("network", "on a network share (\\\\fileserver\\telecom)")
    monkeypatch.setattr(register_mod, "classify", lambda root: share)
    root = tmp_path / "on-share"
    r = run_cli("--data-dir", str(root), "init", "--agency", "A", "--agency-class",
                "exempt-state")
    assert r.code == 0
    with Register.open(root, write=True) as reg:
        assert reg.conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert reg.warnings and "rollback journal" in reg.warnings[0]
        assert verify(reg)[0] == []
    listed = run_cli("--data-dir", str(root), "list", "orders")
    assert listed.code == 0 and "warning: the register in" in listed.err
    assert "network share" in listed.err


def test_a_cancelled_backup_leaves_nothing(home: Path) -> None:
    seen: list[tuple[int, int]] = []
    with Register.open(home) as reg:
        with pytest.raises(Cancelled):
            bk.make_backup(reg, "manual", progress=lambda d, t: seen.append((d, t)),
                           cancelled=lambda: True)
        made = bk.make_backup(reg, "manual", progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 1)]
    assert [b.path for b in bk.list_backups(home / "backups") if b.reason == "manual"] == [
        made.path]
    assert not any(p.name.endswith(".partial") for p in (home / "backups").iterdir())
