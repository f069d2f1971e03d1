"""Nothing lost, ever (issue 14): each attack that once lost or hid data, replayed.

The tests run as root in CI, and root reads a mode-000 file: the commands that must meet a
refusal run in a forked child that drops to nobody first (as `setpriv --reuid=65534` would),
and the Windows errors (sharing violations) are injected through the open's probe seam.
"""

from __future__ import annotations

import errno
import importlib
import json
import os
import shutil
import sqlite3
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calnet_desk.store import Register
from calnet_desk.store import backups as bk
from calnet_desk.store.errors import is_damage, os_reason, sqlite_reason
from calnet_desk.store.register import Corrupt, Unavailable

NOBODY = 65534
# The modules commands import when they run: loaded before privileges are dropped (the
# child may not be able to read the source tree as nobody).
LAZY = ("calnet_desk.store.verify", "calnet_desk.store.backups", "calnet_desk.store.documents",
        "calnet_desk.store.search", "calnet_desk.exchange.importer",
        "calnet_desk.exchange.exporter", "calnet_desk.exchange.bundle",
        "calnet_desk.exchange.merge", "calnet_desk.exchange.packet",
        "calnet_desk.calendar_export", "calnet_desk.deadlines", "calnet_desk.policy.findings",
        "calnet_desk.policy.requests", "calnet_desk.policy.ipr", "calnet_desk.demo",
        "sqlite_utils", "openpyxl", "_strptime")


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"Run(code={self.code}, out={self.out!r}, err={self.err!r})"


def as_nobody(*argv: str) -> Run:
    """Run the CLI in a child that has dropped root (uid/gid 65534, no groups), as
    `setpriv --reuid=65534 --regid=65534 --clear-groups` does; not root already: as is."""
    import io

    from calnet_desk import cli

    for name in LAZY:
        importlib.import_module(name)
    rd, wr = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 99
        try:
            os.close(rd)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(NOBODY)
                os.setuid(NOBODY)
            out, err = io.StringIO(), io.StringIO()
            try:
                rc = cli.main(list(argv), out=out, err=err)
            except BaseException as e:  # a traceback: reported as such
                rc, err = 98, io.StringIO(f"TRACEBACK {type(e).__name__}: {e}")
            data = json.dumps([rc, out.getvalue(), err.getvalue()]).encode()
            view = memoryview(data)
            while view:
                view = view[os.write(wr, view):]
            code = 0
        finally:
            os._exit(code)
    os.close(wr)
    chunks = []
    while chunk := os.read(rd, 1 << 16):
        chunks.append(chunk)
    os.close(rd)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, "the child failed"
    rc, out, err = json.loads(b"".join(chunks))
    return Run(rc, out, err)


@pytest.fixture
def open_tmp() -> Iterator[Path]:
    """A folder nobody may enter (pytest's own tmp folders are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="calnet-test-"))
    folder.chmod(0o755)
    yield folder
    for p in [folder, *folder.rglob("*")]:
        if not p.is_symlink():
            p.chmod(0o755 if p.is_dir() else 0o644)
    shutil.rmtree(folder)


@pytest.fixture
def home(open_tmp: Path, run_cli: Any) -> Path:
    root = open_tmp / "reg"
    assert run_cli("--data-dir", str(root), "demo", "--orders", "30").code == 0
    assert run_cli("--data-dir", str(root), "backup").code == 0
    for p in [root, *root.rglob("*")]:  # everyone may read, as a shared folder is
        p.chmod(p.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if p.is_dir() else 0))
    return root


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "register.lock.json"}


# --- item 1: a healthy file that cannot be opened is not damaged -------------------------


@pytest.mark.parametrize("argv", [("list", "orders"), ("verify",), ("delete", "orders", "X"),
                                  ("show", "orders", "X")])
def test_a_register_you_may_not_read_is_not_called_damaged(home: Path, argv: tuple[str, ...]
                                                           ) -> None:
    before = tree(home)
    (home / "register.sqlite3").chmod(0)
    r = as_nobody("--data-dir", str(home), *argv)
    (home / "register.sqlite3").chmod(0o644)
    assert r.code == 1, r
    assert "permission denied" in r.err and "not damage" in r.err, r.err
    assert "damaged" not in r.err and "restore" not in r.err and "TRACEBACK" not in r.err
    assert not [p for p in home.iterdir() if p.name.startswith("corrupt-")]
    assert tree(home) == before


def test_a_read_only_folder_refuses_changes_and_still_reads(home: Path) -> None:
    before = tree(home)
    home.chmod(0o555)
    changed = as_nobody("--data-dir", str(home), "delete", "orders", "TSR-2024-00001")
    listed = as_nobody("--data-dir", str(home), "list", "orders", "--json")
    home.chmod(0o755)
    assert changed.code == 1 and "cannot be opened for changes" in changed.err, changed
    assert "not damage" in changed.err and "Reading may still work" in changed.err
    assert listed.code == 0, listed
    assert len(json.loads(listed.out)) == 30
    assert tree(home) == before


def test_injected_windows_sharing_violation_and_permission_errors_move_nothing(
        home: Path) -> None:
    class WinError(OSError):
        def __init__(self, code: int, winerror: int) -> None:
            super().__init__(code, "injected")
            self.winerror = winerror

    before = tree(home)
    for error, words in ((WinError(errno.EACCES, 32), "sharing violation"),
                         (WinError(errno.EACCES, 5), "permission denied"),
                         (PermissionError(errno.EACCES, "denied"), "permission denied"),
                         (OSError(errno.EROFS, "read-only"), "read-only")):
        def probe(path: Path, write: bool, error: OSError = error) -> None:
            raise error

        for write in (False, True):
            with pytest.raises(Unavailable) as caught:
                Register.open(home, write=write, probe=probe)
            assert words in str(caught.value) and "not damage" in str(caught.value)
    assert tree(home) == before
    with Register.open(home, write=True):  # the lock was released each time
        pass


def test_only_corrupt_and_not_a_database_count_as_damage() -> None:
    def err(code: int, text: str) -> sqlite3.Error:
        e = sqlite3.DatabaseError(text)
        e.sqlite_errorcode = code  # type: ignore[attr-defined]
        return e

    assert is_damage(err(sqlite3.SQLITE_CORRUPT, "database disk image is malformed"))
    assert is_damage(err(sqlite3.SQLITE_NOTADB, "file is not a database"))
    for code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_BUSY,
                 sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_PERM, sqlite3.SQLITE_FULL,
                 sqlite3.SQLITE_IOERR):
        assert not is_damage(err(code, "unable to open database file"))
    assert "disk is full" in sqlite_reason(err(sqlite3.SQLITE_FULL, "database or disk is full"))
    assert os_reason(OSError(errno.ENOSPC, "No space left on device")) == "the disk is full"


def test_restore_advice_says_what_the_backup_lacks(home: Path, run_cli: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The backup was made with 30 orders; 5 more were added since; then quick_check finds
    damage (in an index, say) while the tables still read: the file is moved aside and the
    advice to restore says the backup lacks those 5 orders."""
    more = orders_csv(home.parent)
    assert run_cli("--data-dir", str(home), "import", str(more), "--kind", "orders"
                   ).code == 0
    from calnet_desk.store import register

    monkeypatch.setattr(register, "quick_check", lambda conn: "index orders_key is wrong")
    with pytest.raises(Corrupt) as caught:
        Register.open(home)
    text = str(caught.value)
    assert "is damaged (index orders_key is wrong)" in text and "restore" in text, text
    assert "the backup lacks 5 orders, 5 history entries" in text, text
    aside = [p for p in home.iterdir() if p.name.startswith("corrupt-")]
    assert len(aside) == 1 and (aside[0] / "register.sqlite3").is_file()


def orders_csv(folder: Path) -> Path:
    path = folder / "more.csv"
    rows = ["request_number,request_date,order_type,contractor"]
    rows += [f"NEW-{i},2026-01-0{i + 1},new,AT&T" for i in range(5)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_after_a_damaged_file_was_moved_aside_commands_say_restore_not_init(
        home: Path, run_cli: Any) -> None:
    (home / "register.sqlite3").write_bytes(b"this is not SQLite" * 500)
    first = run_cli("--data-dir", str(home), "list", "orders")
    assert first.code == 1 and "is damaged" in first.err
    later = run_cli("--data-dir", str(home), "list", "orders")
    assert later.code == 1 and "moved, damaged, to" in later.err and "restore" in later.err
    assert "init --agency" not in later.err


def test_an_empty_database_file_gets_backup_advice(home: Path, run_cli: Any) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(home / "register.sqlite3") + suffix).unlink(missing_ok=True)
    (home / "register.sqlite3").write_bytes(b"")
    r = run_cli("--data-dir", str(home), "list", "orders")
    assert r.code == 1 and "0 bytes" in r.err and "restore" in r.err, r.err
    assert run_cli("--data-dir", str(home), "restore").code == 0
    assert len(json.loads(run_cli("--data-dir", str(home), "list", "orders", "--json").out)
               ) == 30


# --- item 9: a restore killed between its renames is completed at the next open ----------


def killed_cli(root: Path, fault: str, *argv: str) -> int:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "calnet_desk.cli", "--data-dir", str(root),
                           *argv], env={**os.environ, "CALNET_DESK_FAULT": fault},
                          capture_output=True, text=True, timeout=120, check=False)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode


def test_a_restore_killed_between_its_renames_is_completed_at_the_next_open(
        home: Path, run_cli: Any) -> None:
    more = orders_csv(home.parent)
    assert run_cli("--data-dir", str(home), "import", str(more), "--kind", "orders").code == 0
    assert killed_cli(home, "restore-between-renames", "restore") == -9
    assert not (home / "register.sqlite3").exists()  # the moment the attack found
    r = run_cli("--data-dir", str(home), "list", "orders", "--json")
    assert r.code == 0, r.err
    assert len(json.loads(r.out)) == 30  # the backup's orders: the restore was completed
    replaced = [p for p in home.iterdir() if p.name.startswith("replaced-")]
    assert len(replaced) == 1 and (replaced[0] / "register.sqlite3").is_file()
    with Register.open(replaced[0]) as old:
        assert old.count(old_kind()) == 35  # the replaced database, whole
    assert run_cli("--data-dir", str(home), "verify").code == 0
    assert not (home / "temp").exists() or not list((home / "temp").iterdir())


def old_kind() -> Any:
    from calnet_desk.records import KINDS

    return KINDS["orders"]


# --- item 12: leftovers live in temp/ and the next writer sweeps only that -----------------


def test_a_killed_attach_leaves_its_incoming_file_in_temp_and_the_next_writer_sweeps_it(
        home: Path, run_cli: Any) -> None:
    letter = home.parent / "letter.pdf"
    letter.write_bytes(b"%PDF-1.4 letter" * 1000)
    assert killed_cli(home, "document-incoming", "attach", str(letter), "--to",
                      "orders:TSR-2022-00001") == -9
    left = list((home / "temp").iterdir())
    assert [p.name[:9] for p in left] == ["incoming-"]
    assert not list((home / "documents").rglob(".incoming-*"))
    assert run_cli("--data-dir", str(home), "list", "orders").code == 0
    assert list((home / "temp").iterdir()) == left  # a reader sweeps nothing
    assert run_cli("--data-dir", str(home), "attach", str(letter), "--to",
                   "orders:TSR-2022-00001").code == 0
    assert list((home / "temp").iterdir()) == []
    assert run_cli("--data-dir", str(home), "verify").code == 0


def test_a_killed_backup_is_never_listed_and_the_next_backup_sweeps_it(
        home: Path, run_cli: Any) -> None:
    before = bk.list_backups(home / "backups")
    assert killed_cli(home, "backup-documents", "backup") == -9
    assert [p.name.startswith("backup-") for p in (home / "temp").iterdir()] == [True]
    assert bk.list_backups(home / "backups") == before
    assert run_cli("--data-dir", str(home), "backup").code == 0
    assert list((home / "temp").iterdir()) == []
    assert len(bk.list_backups(home / "backups")) == len(before) + 1
