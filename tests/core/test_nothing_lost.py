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
import sys
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
        "calnet_desk.exchange.calendar", "calnet_desk.policy.deadlines",
        "calnet_desk.policy.findings", "calnet_desk.policy.requests", "calnet_desk.policy.ipr",
        "calnet_desk.demo", "calnet_desk.operations",
        "sqlite_utils", "openpyxl", "_strptime", "encodings.utf_8_sig", "encodings.cp1252",
        "icalendar", "zipfile", "csv", "calnet_desk.exchange.summary",
        "calnet_desk.exchange.archive", "calnet_desk.exchange.sheets",
        # a bundle's XLSX (XlsxWriter imports fractions) and its PDFs
        "xlsxwriter", "fractions", "calnet_desk.exchange.pdf", "calnet_desk.store.as_of",
        "calnet_desk.exchange.bundle.columns", "typst", "encodings.utf_16_le",
        "encodings.utf_16_be", "encodings.utf_16",
        "calnet_desk.exchange.sheet_reader", "python_calamine", "defusedxml.ElementTree")


class Run:
    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err

    def __repr__(self) -> str:
        return f"Run(code={self.code}, out={self.out!r}, err={self.err!r})"


# Preloaded in the forkserver (nobody may not read root's Python install): what the suite
# has imported so far, but not Qt, pytest or the tests themselves.
NOT_PRELOADED = {"PySide6", "shiboken6", "ui", "pytest", "_pytest", "pytestqt", "pluggy",
                 "conftest", "factories", "helpers", "__main__", "__mp_main__", "hypothesis"}
_PRELOADED: list[bool] = []


def _as_nobody_child(argv: list[str], sender: Any) -> None:
    """In the forkserver's child, still root: load what the commands import, drop to
    nobody, run the CLI in-process and send back (exit code, stdout, stderr)."""
    import io

    from calnet_desk import cli

    for name in LAZY:
        importlib.import_module(name)
    if os.geteuid() == 0:
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
    out, err = io.StringIO(), io.StringIO()
    try:
        rc = cli.main(list(argv), out=out, err=err)
    except BaseException as e:  # a traceback: reported as such
        rc, err = 98, io.StringIO(f"TRACEBACK {type(e).__name__}: {e}")
    sender.send((rc, out.getvalue(), err.getvalue()))
    sender.close()


def as_nobody(*argv: str) -> Run:
    """Run the CLI in a child that has dropped root (uid/gid 65534, no groups), as
    `setpriv --reuid=65534 --regid=65534 --clear-groups` does; not root already: as is.

    The child is forked by multiprocessing's forkserver, a fresh single-threaded
    interpreter, never from pytest itself: a fork of a process with live threads (Typst's
    pool, a Qt thread pool left by the window tests) can inherit a lock no thread will
    release, and the child waited for ever."""
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    if not _PRELOADED:  # before the server starts: it imports, as root, what pytest has
        _PRELOADED.append(True)
        context.set_forkserver_preload(sorted(
            name for name in list(sys.modules)
            if name.split(".")[0] not in NOT_PRELOADED and not name.startswith("test")))
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_as_nobody_child, args=(list(argv), sender))
    child.start()
    sender.close()
    try:
        # a guard, not a timing: a child that never answers fails the test instead of CI
        if not receiver.poll(600):
            child.kill()
            raise AssertionError(f"the child running {argv} did not answer in 600 s")
        rc, out, err = receiver.recv()
    finally:
        child.join(60)
        receiver.close()
    assert child.exitcode == 0, f"the child failed (exit {child.exitcode})"
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


def test_a_writer_sweeps_a_killed_backups_leftovers_unless_a_backup_is_running(
        home: Path) -> None:
    """A writer's open removes a backup in the making from temp/ when the backup lock is
    free (a backup killed half-way), and leaves it while a backup holds the lock."""
    from calnet_desk.paths import RegisterPaths

    left = home / "temp" / "backup-killed"
    left.mkdir(parents=True)
    (left / "register.sqlite3").write_bytes(b"half a backup")
    with bk._BackupLock(RegisterPaths(home), wait=0):
        Register.open(home, write=True).close()
        assert left.is_dir()  # a backup is running: its work is not garbage
    Register.open(home, write=True).close()
    assert not left.exists()


# --- item 11: Ctrl-C and SIGTERM say truthfully whether the change was saved --------------


def signalled_cli(root: Path, fault: str, *argv: str) -> Any:
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "calnet_desk.cli", "--data-dir", str(root),
                           *argv], env={**os.environ, "CALNET_DESK_FAULT": fault},
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize("sig", ["INT", "TERM"])
def test_a_signal_after_the_import_committed_says_it_was_saved(home: Path, run_cli: Any,
                                                               sig: str) -> None:
    done = signalled_cli(home, f"after-commit:1:{sig}", "import",
                         str(orders_csv(home.parent)), "--kind", "orders")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "nothing was written" not in done.stderr
    assert "what it had saved before stopping is kept (import more.csv)" in done.stderr
    assert ("terminated (SIGTERM)" if sig == "TERM" else "interrupted") in done.stderr
    orders = json.loads(run_cli("--data-dir", str(home), "list", "orders", "--json").out)
    assert len(orders) == 35  # it was indeed saved


@pytest.mark.parametrize("sig", ["INT", "TERM"])
def test_a_signal_before_the_import_committed_says_nothing_was_written(
        home: Path, run_cli: Any, sig: str) -> None:
    done = signalled_cli(home, f"commit:1:{sig}", "import", str(orders_csv(home.parent)),
                         "--kind", "orders")
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "nothing was written; the register is as it was" in done.stderr, done.stderr
    orders = json.loads(run_cli("--data-dir", str(home), "list", "orders", "--json").out)
    assert len(orders) == 30


def test_a_signal_after_restore_and_after_a_backup_say_they_were_kept(
        home: Path, run_cli: Any) -> None:
    done = signalled_cli(home, "backup-published:1:INT", "backup")
    assert "what it had saved before stopping is kept (backup " in done.stderr, done.stderr
    done = signalled_cli(home, "restore-between-renames:1:TERM", "restore")
    assert "Traceback" not in done.stderr, done.stderr
    assert "completed the next time the register is opened" in done.stderr, done.stderr
    assert run_cli("--data-dir", str(home), "verify").code == 0


# --- item 10: tracebacks become messages ----------------------------------------------------


@pytest.fixture
def small_disk(open_tmp: Path, run_cli: Any) -> Iterator[Path]:
    """A register on a 4 MB file system (a tmpfs, as root) that is then filled up."""
    import subprocess

    mnt = open_tmp / "small"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mnt)], check=True)
    try:
        root = mnt / "reg"
        assert run_cli("--data-dir", str(root), "demo", "--orders", "30").code == 0
        assert run_cli("--data-dir", str(root), "backup").code == 0
        with open(mnt / "filler", "wb", buffering=0) as fh:
            try:
                while True:
                    fh.write(b"\0" * 65536)
            except OSError:
                pass
        yield root
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


# A file object left half-closed by a full disk retried its close when collected and printed
# "Exception ignored in: <function ZipFile.__del__>" and a traceback after our message.
@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_a_full_disk_gives_a_message_and_keeps_the_register(small_disk: Path, open_tmp: Path,
                                                           run_cli: Any) -> None:
    assert os.geteuid() == 0, "the suite runs as root (see .ci/run); a tmpfs needs it"
    root = small_disk
    big = open_tmp / "big.csv"
    big.write_text("request_number,request_date,order_type,contractor\n" + "".join(
        f"Z-{i},2026-01-01,new,AT&T\n" for i in range(3000)), encoding="utf-8")
    doc = open_tmp / "scan.pdf"
    doc.write_bytes(os.urandom(300_000))
    before = json.loads(run_cli("--data-dir", str(root), "list", "orders", "--json").out)
    for argv in (("import", str(big), "--kind", "orders"), ("backup",),
                 ("backup", "--to", str(root.parent / "second")),
                 ("attach", str(doc), "--to", "orders:TSR-2022-00001"), ("restore",),
                 ("export", "--kind", "orders", "--format", "xlsx", "-o",
                  str(root.parent / "o.xlsx")),
                 ("export-bundle", str(root.parent / "b.zip"))):
        r = run_cli("--data-dir", str(root), *argv)
        assert r.code == 1, (argv, r)
        assert "disk is full" in r.err or "No space" in r.err, (argv, r.err)
        assert "Traceback" not in r.err
    (root.parent / "filler").unlink()
    assert json.loads(run_cli("--data-dir", str(root), "list", "orders", "--json").out
                      ) == before
    assert run_cli("--data-dir", str(root), "verify").code == 0
    assert not (root.parent / "o.xlsx").exists() and not (root.parent / "b.zip").exists()


READING = [("list", "orders"), ("show", "orders", "TSR-2022-00001"),
           ("history", "orders", "TSR-2022-00001"), ("verify",), ("backups",),
           ("documents", "orders", "TSR-2022-00001"), ("search", "AT&T"),
           ("deadlines", "--today", "2026-06-01"), ("findings", "--today", "2026-06-01"),
           ("rules",), ("request-check", "exemptions", "EX-2026-02")]
WRITING = [("delete", "orders", "TSR-2022-00001"), ("backup",), ("restore",),
           ("ack", "orders", "TSR-2022-00001", "contract-end"),
           ("set-ladder", "orders", "TSR-2022-00001", "30"), ("import", "{csv}", "--kind",
                                                              "orders"),
           ("attach", "{csv}", "--to", "orders:TSR-2022-00001"),
           ("detach", "000000", "--from", "orders:TSR-2022-00001"),
           ("merge-bundle", "{csv}"), ("demo",),
           ("export", "--kind", "orders", "--format", "csv", "-o", "{out}/o.csv"),
           ("export-ics", "{out}/d.ics"), ("export-bundle", "{out}/b.zip"),
           ("request-packet", "exemptions", "EX-2026-02", "-o", "{out}/p.pdf"),
           ("open", "000000", "--to", "{out}")]


def test_every_command_on_a_read_only_folder_ends_with_a_sentence(home: Path) -> None:
    """As nobody, the register (root's) is read-only: reading commands work, writing ones
    say why they cannot, none ends in a traceback, nothing changes."""
    csv_file = home.parent / "more.csv"
    orders_csv(home.parent)
    out = home.parent / "ro-out"
    out.mkdir(mode=0o555)
    before = tree(home)
    for argv in READING:
        r = as_nobody("--data-dir", str(home), *argv)
        assert r.code in (0, 1) and "TRACEBACK" not in r.err, (argv, r)
        if argv[0] not in ("verify", "findings", "request-check"):
            assert r.code == 0, (argv, r)
    for argv in WRITING:
        argv = tuple(a.format(csv=csv_file, out=out) for a in argv)
        r = as_nobody("--data-dir", str(home), *argv)
        assert r.code in (1, 2) and "TRACEBACK" not in r.err, (argv, r)
        assert r.err.strip(), argv
    assert tree(home) == before


def test_flipped_bytes_in_history_are_reported_by_verify(home: Path, run_cli: Any) -> None:
    with Register.open(home, write=True) as reg:
        reg.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        reg.conn.execute("DROP TRIGGER IF EXISTS history_no_update")
    con = sqlite3.connect(home / "register.sqlite3")
    triggers = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'history'")]
    for t in triggers:
        con.execute(f"DROP TRIGGER {t}")
    con.execute("UPDATE history SET user = CAST(X'ff41fe' AS TEXT) WHERE id = 3")
    con.execute("UPDATE history SET changes = '{\"broken' WHERE id = 5")
    con.commit()
    con.close()
    r = run_cli("--data-dir", str(home), "verify", "--json")
    assert r.code == 1 and "Traceback" not in r.err, r
    found = json.loads(r.out)["findings"]
    assert any("entry 3 was altered" in f["message"] for f in found), found
    assert any("entry 5 cannot be read" in f["message"] for f in found), found


def test_a_missing_migration_row_is_a_message_and_no_new_backup(home: Path, run_cli: Any
                                                                ) -> None:
    con = sqlite3.connect(home / "register.sqlite3")
    con.execute("DELETE FROM _sqlite_migrations WHERE id = (SELECT min(id) FROM "
                "_sqlite_migrations)")
    con.commit()
    con.close()
    backups = sorted(p.name for p in (home / "backups").iterdir())
    for _ in range(2):
        r = run_cli("--data-dir", str(home), "verify")
        assert r.code == 1 and "record of schema changes" in r.err, r
        assert "restore" in r.err
    assert sorted(p.name for p in (home / "backups").iterdir()) == backups


def test_the_last_migration_row_missing_leaves_no_pre_migration_backup(home: Path,
                                                                       run_cli: Any) -> None:
    con = sqlite3.connect(home / "register.sqlite3")
    con.execute("DELETE FROM _sqlite_migrations WHERE id = (SELECT max(id) FROM "
                "_sqlite_migrations)")
    con.commit()
    con.close()
    backups = sorted(p.name for p in (home / "backups").iterdir())
    r = run_cli("--data-dir", str(home), "verify")
    assert r.code == 1 and "Traceback" not in r.err, r
    assert sorted(p.name for p in (home / "backups").iterdir()) == backups


@pytest.mark.parametrize(("argv", "code", "words"), [
    (("open", "{sha}", "--to", "/proc"), 1, "nothing was written"),
    (("export", "--kind", "orders", "--format", "csv", "-o", "{tmp}"), 1, "is a folder"),
    (("export-bundle", "{tmp}/b.zip", "--as-of", "1979-12-31"), 1,
     "before the register's first history entry"),
    (("export-bundle", "{tmp}/b.zip", "--as-of", "2026-13-45"), 2, "not a date"),
    (("search", "x", "--limit", "99999999999999999999"), 2, "more than 1,000,000"),
    (("search", "x", "--limit", "9" * 100_000), 2, "(100,000 characters)"),
    (("set-ladder", "orders", "TSR-2022-00001", "99999999999999999999,1"), 2, "ten years"),
    (("set-ladder", "orders", "TSR-2022-00001", "9" * 100_000), 2, "100,000 characters"),
    (("export-bundle", "/dev/null"), 1, "not a regular file"),
    (("export", "--kind", "orders", "--format", "csv", "-o", "/dev/null"), 1,
     "not a regular file"),
    (("export-ics", "/dev/null"), 1, "not a regular file"),
])
def test_absurd_arguments_get_a_sentence(home: Path, run_cli: Any, argv: tuple[str, ...],
                                         code: int, words: str,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    with Register.open(home) as reg:
        sha = reg.conn.execute("SELECT sha256 FROM documents LIMIT 1").fetchone()[0]
    argv = tuple(a.format(sha=sha, tmp=home.parent) for a in argv)
    r = run_cli("--data-dir", str(home), *argv)
    text = r.err + capsys.readouterr().err
    assert r.code == code, (r, text)
    assert words in text and "Traceback" not in text, text
    assert len(text) < 2000
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)  # the device is still a device


# --- item 3: a torn CSV is an error naming FILE:ROW, and nothing is written ----------------


def exported(home: Path, run_cli: Any) -> bytes:
    out = home.parent / "orders-export.csv"
    assert run_cli("--data-dir", str(home), "export", "--kind", "orders", "--format", "csv",
                   "-o", str(out)).code == 0
    return out.read_bytes()


@pytest.mark.parametrize("cut", ["mid-row", "mid-quote", "short-row"])
def test_a_torn_export_does_not_import(home: Path, run_cli: Any, cut: str) -> None:
    data = exported(home, run_cli)
    lines = data.split(b"\r\n")
    last = lines[-2]  # the last row (the file ends with a line end)
    if cut == "mid-row":
        torn = data[:len(data) - 2 - len(last) // 2]  # cut in the middle of the last row
    elif cut == "mid-quote":
        torn = b"\r\n".join(lines[:-2]) + b'\r\n' + last.split(b",")[0] + b',"Smith\r\n'
    else:
        torn = b"\r\n".join(lines[:-2]) + b"\r\n" + b",".join(last.split(b",")[:5]) + b"\r\n"
    path = home.parent / "torn.csv"
    path.write_bytes(torn)
    before = run_cli("--data-dir", str(home), "list", "orders", "--json").out
    r = run_cli("--data-dir", str(home), "import", str(path), "--kind", "orders")
    assert r.code == 1, r
    rows = len(lines) - 1  # the header is row 1: the last row's number
    assert f"{path}:{rows}:" in r.err, r.err
    assert "nothing was imported" in r.err
    assert run_cli("--data-dir", str(home), "list", "orders", "--json").out == before
    whole = home.parent / "whole.csv"
    whole.write_bytes(data)
    assert run_cli("--data-dir", str(home), "import", str(whole), "--kind", "orders"
                   ).code == 0


# --- item 13: bounded reading, one message, escaped printing ----------------------------


def test_a_million_column_header_is_one_message(home: Path, run_cli: Any) -> None:
    path = home.parent / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n1\n", encoding="utf-8")
    r = run_cli("--data-dir", str(home), "import", str(path), "--kind", "orders")
    assert r.code == 1 and "1,000,000 columns" in r.err
    assert len(r.err.splitlines()) == 2, r.err[:500]


def test_many_bad_rows_print_a_bounded_list(home: Path, run_cli: Any) -> None:
    path = home.parent / "bad.csv"
    path.write_text("request_number,request_date,order_type,contractor\n" + "".join(
        f"B-{i},not a date,new,AT&T\n" for i in range(5000)), encoding="utf-8")
    r = run_cli("--data-dir", str(home), "import", str(path), "--kind", "orders")
    assert r.code == 1 and "5,000 problem(s); nothing was imported" in r.err
    assert len(r.err.splitlines()) < 210 and "4,800 more" in r.err


def test_huge_cells_and_huge_values_are_bounded_and_escaped(home: Path, run_cli: Any) -> None:
    path = home.parent / "huge.csv"
    path.write_text("request_number,request_date,order_type,contractor,monthly_cost\n"
                    f"H-1,2026-01-01,new,{'x' * 200_000},1\n"
                    f"H-2,2026-01-01,new,AT&T,{'9' * 100_000}\n"
                    "H-3,2026-01-01,bad\x1b[31mred\r,AT&T,1\n", encoding="utf-8")
    r = run_cli("--data-dir", str(home), "import", str(path), "--kind", "orders")
    # row 2's 200,000-character text is a CSV cell like any (bounded by the file's size:
    # test_input_limits); row 3's 100,000 digits are named, shortened, never echoed whole
    assert r.code == 1 and f"{path}:2:" not in r.err, r.err[:1000]
    assert f"{path}:3:monthly_cost: '999" in r.err and "(100,066 characters)" in r.err
    assert len(r.err) < 5000 and "\x1b" not in r.err and "\r" not in r.err


def test_utf16_files_are_read(home: Path, run_cli: Any) -> None:
    text = "request_number\trequest_date\torder_type\tcontractor\n"
    csv_text = "request_number,request_date,order_type,contractor\nU-1,2026-01-01,new,Énergie\n"
    for encoding in ("utf-16", "utf-16-le"):
        path = home.parent / f"{encoding}.csv"
        path.write_bytes(csv_text.encode(encoding))
        r = run_cli("--data-dir", str(home), "import", str(path), "--kind", "orders",
                    "--dry-run")
        assert r.code == 0, (encoding, r.err)
    assert text  # the tab-separated form is Excel's "Unicode Text": not CSV, not read here


def test_a_zip_bomb_xlsx_is_refused_before_it_is_unpacked(home: Path, run_cli: Any) -> None:
    import zipfile

    path = home.parent / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/sharedStrings.xml", "w") as fh:
            for _ in range(300):  # 300 MB of zeros, about 300 KB packed
                fh.write(b"\0" * (1 << 20))
    assert path.stat().st_size < 2 << 20
    r = run_cli("--data-dir", str(home), "import", str(path), "--kind", "orders")
    assert r.code == 1 and "zip bomb" in r.err, r.err


# --- items 2, 6, 7: checkpoints, the heads file, triggers, the search index, one snapshot --


def outside_edit(home: Path, *sql: str) -> None:
    """An edit with an SQLite browser: the guard triggers dropped first (then left so)."""
    con = sqlite3.connect(home / "register.sqlite3")
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND "
                               "(name LIKE '%guard%' OR name LIKE 'history_%')").fetchall():
        con.execute(f"DROP TRIGGER {name}")
    for statement in sql:
        con.execute(statement)
    con.commit()
    con.close()


def test_after_a_write_command_the_main_file_holds_every_commit(home: Path, run_cli: Any
                                                                ) -> None:
    assert run_cli("--data-dir", str(home), "import", str(orders_csv(home.parent)), "--kind",
                   "orders").code == 0
    wal = Path(str(home / "register.sqlite3") + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    wal.unlink(missing_ok=True)  # a sync tool deletes it
    Path(str(home / "register.sqlite3") + "-shm").unlink(missing_ok=True)
    orders = json.loads(run_cli("--data-dir", str(home), "list", "orders", "--json").out)
    assert len(orders) == 35
    assert run_cli("--data-dir", str(home), "verify").code == 0


def test_the_last_entry_deleted_with_its_row_is_found_by_the_heads_file(
        home: Path, run_cli: Any) -> None:
    assert run_cli("--data-dir", str(home), "import", str(orders_csv(home.parent)), "--kind",
                   "orders").code == 0
    outside_edit(home, "DELETE FROM orders WHERE request_number = 'NEW-4'",
                 "DELETE FROM history WHERE id = (SELECT max(id) FROM history)")
    r = run_cli("--data-dir", str(home), "verify")
    assert r.code == 1 and "entries were deleted" in r.out, r.out


def test_a_restore_shortens_the_chain_without_a_false_alarm(home: Path, run_cli: Any) -> None:
    assert run_cli("--data-dir", str(home), "import", str(orders_csv(home.parent)), "--kind",
                   "orders").code == 0
    assert run_cli("--data-dir", str(home), "restore").code == 0
    assert run_cli("--data-dir", str(home), "verify").code == 0


def test_dropped_guard_triggers_and_a_gap_in_the_search_index_are_found_and_repaired(
        home: Path, run_cli: Any) -> None:
    outside_edit(home, "DELETE FROM search_index WHERE kind = 'orders' AND key = "
                       "'TSR-2022-00001'")
    r = run_cli("--data-dir", str(home), "verify", "--json")
    assert r.code == 1
    found = json.loads(r.out)["findings"]
    assert {f["check"] for f in found} == {"triggers", "search"}, found
    assert any(f["key"] == "TSR-2022-00001" for f in found if f["check"] == "search")
    fixed = run_cli("--data-dir", str(home), "rebuild-search")
    assert fixed.code == 0, fixed.err
    assert run_cli("--data-dir", str(home), "verify").code == 0
    hits = json.loads(run_cli("--data-dir", str(home), "search", "TSR-2022-00001",
                              "--json").out)
    assert any(h["key"] == "TSR-2022-00001" for h in hits)


def test_verify_reads_one_snapshot_while_another_connection_writes(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from calnet_desk.records import KINDS
    from calnet_desk.store.verify import verify

    writer = Register.open(home, write=True)
    reader = Register.open(home)
    original = reader.agency
    wrote = []

    def agency_then_a_commit_elsewhere() -> Any:  # between the history and the records
        if not wrote:
            with writer.transaction("meanwhile") as tx:
                tx.put(KINDS["orders"], {"request_number": "MEANWHILE",
                                         "request_date": "2026-01-01", "order_type": "new",
                                         "contractor": "AT&T"})
            wrote.append(1)
        return original()

    monkeypatch.setattr(reader, "agency", agency_then_a_commit_elsewhere)
    findings, _ = verify(reader)
    writer.close()
    reader.close()
    assert wrote and findings == [], findings


def test_orphan_documents_are_reported_and_removed_only_by_clean_up(home: Path, run_cli: Any
                                                                    ) -> None:
    letter = home.parent / "orphan.pdf"
    letter.write_bytes(b"%PDF-1.4 orphan" * 500)
    assert killed_cli(home, "document-stored", "attach", str(letter), "--to",
                      "orders:TSR-2022-00001") == -9
    r = run_cli("--data-dir", str(home), "verify", "--json")
    assert r.code == 0 and json.loads(r.out)["counts"]["orphan_documents"] == 1
    r = run_cli("--data-dir", str(home), "verify")
    assert "1 stored file(s) in documents/ are named by no record" in r.out
    assert run_cli("--data-dir", str(home), "delete", "orders", "TSR-2022-00002").code in (0, 1)
    assert json.loads(run_cli("--data-dir", str(home), "verify", "--json").out
                      )["counts"]["orphan_documents"] == 1  # never removed on its own
    cleaned = run_cli("--data-dir", str(home), "clean-up")
    assert cleaned.code == 0 and "1 unreferenced file(s) removed" in cleaned.out
    assert json.loads(run_cli("--data-dir", str(home), "verify", "--json").out
                      )["counts"]["orphan_documents"] == 0


# --- item 8: look-alike keys -----------------------------------------------------------------

LOOK_ALIKES = ["TSR-2022-00001\n", "TSR-2022\t00001", "TSR-2022-00001\r", "TSR-2022-00001\x85",
               "TSR-2022-00001\u2028", "\u202eTSR-2022-00001", "\ufeffTSR-2022-00001",
               "TSR-2022-\u200b00001", "ＴＳＲ-2022-00001", "tsr-2022-00001"]


@pytest.mark.parametrize("key", LOOK_ALIKES)
def test_a_key_that_looks_like_another_or_hides_characters_is_refused(
        home: Path, run_cli: Any, key: str) -> None:
    from calnet_desk.records import KINDS
    from calnet_desk.store.register import RecordError

    with Register.open(home, write=True) as reg:
        with pytest.raises(RecordError) as caught, reg.transaction() as tx:
            tx.put(KINDS["orders"], {"request_number": key, "request_date": "2026-01-01",
                                     "order_type": "new", "contractor": "AT&T"})
        assert reg.get(KINDS["orders"], key) is None
    text = str(caught.value)
    assert "nothing was written" in text.lower()
    assert not any(ch in text for ch in "\n\r\x85\u2028\u202e\ufeff\u200b")  # escaped


def test_text_is_stored_in_nfc_so_nfd_and_nfc_keys_are_one(home: Path) -> None:
    import unicodedata

    from calnet_desk.records import KINDS

    nfd = unicodedata.normalize("NFD", "CAFÉ-1")
    with Register.open(home, write=True) as reg:
        with reg.transaction() as tx:
            tx.put(KINDS["orders"], {"request_number": nfd, "request_date": "2026-01-01",
                                     "order_type": "new", "contractor": "Énergie"})
        with reg.transaction() as tx:
            assert tx.put(KINDS["orders"], {"request_number": "CAFÉ-1",
                                            "request_date": "2026-01-01", "order_type": "new",
                                            "contractor": "Énergie"}) == "unchanged"
        stored = reg.get(KINDS["orders"], "CAFÉ-1")
    assert stored is not None and stored["contractor"] == "Énergie"


def test_look_alike_keys_already_in_a_register_are_reported_not_merged(
        home: Path, run_cli: Any) -> None:
    from calnet_desk.store import schema

    with Register.open(home, write=True) as reg:
        schema.drop_triggers(reg.db)
        reg.conn.execute("INSERT INTO orders (request_number, request_date, order_type, "
                         "contractor) SELECT 'ＴＳＲ-2022-00001', request_date, order_type, "
                         "contractor FROM orders WHERE request_number = 'TSR-2022-00001'")
        schema.install_triggers(reg.db)
    r = run_cli("--data-dir", str(home), "verify", "--json")
    found = json.loads(r.out)["findings"]
    assert any(f["check"] == "keys" and "look the same" in f["message"] for f in found), found
    assert len(json.loads(run_cli("--data-dir", str(home), "list", "orders", "--json").out)
               ) == 31


# --- item 5: backups in the same second, one at a time, published after their check -------


def test_backups_in_the_same_second_get_their_own_names_and_all_restore(home: Path) -> None:
    import datetime as dt

    moment = dt.datetime(2031, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
    with Register.open(home) as reg:
        made = [bk.make_backup(reg, "manual", clock=lambda: moment) for _ in range(5)]
    assert len({b.name for b in made}) == 5
    assert all(bk.check_backup(b) == [] for b in made)


def test_the_daily_backup_raced_by_two_commands_is_made_once(home: Path) -> None:
    import datetime as dt

    day = dt.datetime(2031, 6, 2, 9, 0, tzinfo=dt.UTC)
    with Register.open(home) as one, Register.open(home) as two:
        # both saw no backup today (the cheap check), then both ask under the lock
        first = bk._make_backup(one, "daily", clock=lambda: day, only_if_none_today=True)
        second = bk._make_backup(two, "daily", clock=lambda: day, only_if_none_today=True)
    assert first is not None and second is None
    assert [b.reason for b in bk.list_backups(home / "backups")
            if b.created.date() == day.date()] == ["daily"]


def test_a_second_backup_waits_for_the_first_and_says_so_when_it_cannot(home: Path) -> None:
    from calnet_desk.paths import RegisterPaths

    with bk._BackupLock(RegisterPaths(home)), pytest.raises(bk.BackupBusy) as caught:
        with bk._BackupLock(RegisterPaths(home), wait=0):
            pass
    assert "another backup of this register is still running" in str(caught.value)


def test_a_backup_whose_database_fails_its_check_is_never_published(
        home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = bk.list_backups(home / "backups")
    monkeypatch.setattr(bk, "_check_database", lambda path: ["integrity check: injected"])
    with Register.open(home) as reg, pytest.raises(bk.BackupError) as caught:
        bk.make_backup(reg, "manual")
    assert "failed its check" in str(caught.value) and "nothing was kept" in str(caught.value)
    assert bk.list_backups(home / "backups") == before
    assert not (home / "temp").exists() or list((home / "temp").iterdir()) == []
