"""Issue 14 item 2: committed data must not live only in the -wal.

The attack: a reader holds a snapshot during an import; the import's commits stay in the
-wal (the checkpoint cannot pass the reader); a sync tool deletes the -wal and the import is
gone while `verify` said OK. Now `verify` names the entries only the -wal holds and says what
to do, and the checkpoint, once the reader lets go, puts them in the main file."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from calnet_desk import cli
from calnet_desk.store import Register
from calnet_desk.store.wal import checkpoint, main_file_entries, only_in_wal


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    root = tmp_path / "reg"
    assert run("--data-dir", str(root), "demo", "--orders", "30")[0] == 0
    return root


def import_orders(home: Path, n: int) -> None:
    path = home.parent / "more.csv"
    rows = ["request_number,request_date,order_type,contractor"]
    rows += [f"WAL-{i:05d},2026-01-02,new,AT&T" for i in range(n)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, _, err = run("--data-dir", str(home), "import", str(path), "--kind", "orders")
    assert code == 0, err


def pinned_reader(home: Path) -> sqlite3.Connection:
    """Another program reading the register (an SQLite browser, a long export): an open
    read transaction that pins its snapshot."""
    uri = (home / "register.sqlite3").resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM history").fetchone()
    return conn


def history_length(home: Path) -> int:
    with Register.open(home) as reg:
        return int(reg.conn.execute("SELECT max(id) FROM history").fetchone()[0])


def main_file_alone(home: Path, tmp: Path) -> int:
    """What is left when a copy tool takes the main file and leaves the -wal behind."""
    copy = tmp / "copied"
    copy.mkdir(parents=True)
    shutil.copy2(home / "register.sqlite3", copy / "register.sqlite3")
    conn = sqlite3.connect(copy / "register.sqlite3")
    try:
        return int(conn.execute("SELECT max(id) FROM history").fetchone()[0])
    finally:
        conn.close()


def test_verify_names_commits_only_in_the_wal_while_a_reader_pins_a_snapshot(
        home: Path, tmp_path: Path) -> None:
    before = history_length(home)
    reader = pinned_reader(home)
    try:
        import_orders(home, 500)  # the write command's own checkpoint cannot pass the reader
        after = history_length(home)
        assert after == before + 500
        assert main_file_alone(home, tmp_path) == before  # the attack: the import is at risk
        code, out, _ = run("--data-dir", str(home), "verify")
        assert code == 1, out
        assert f"history entries {before + 1}–{after} (500 committed change(s)) are only in " \
               "register.sqlite3-wal" in out, out
        assert "Keep register.sqlite3-wal with the register" in out
        found = json.loads(run("--data-dir", str(home), "verify", "--json")[1])["findings"]
        assert [f["check"] for f in found] == ["wal"], found
        # while the reader holds its snapshot, a checkpoint copies nothing past it
        assert not checkpoint(home / "register.sqlite3").complete
    finally:
        reader.execute("COMMIT")
        reader.close()
    done = checkpoint(home / "register.sqlite3")  # the reader let go: now it completes
    assert done.complete, done
    assert run("--data-dir", str(home), "verify")[0] == 0
    assert main_file_alone(home, tmp_path / "again") == after


def test_a_write_command_after_the_reader_let_go_puts_every_commit_in_the_main_file(
        home: Path, tmp_path: Path) -> None:
    reader = pinned_reader(home)
    import_orders(home, 200)
    reader.execute("COMMIT")
    reader.close()
    assert run("--data-dir", str(home), "verify")[0] == 1  # still only in the -wal
    assert run("--data-dir", str(home), "rebuild-search")[0] == 0  # the advised command
    assert main_file_alone(home, tmp_path) == history_length(home)
    Path(str(home / "register.sqlite3") + "-wal").unlink(missing_ok=True)  # a sync tool
    Path(str(home / "register.sqlite3") + "-shm").unlink(missing_ok=True)
    code, out, _ = run("--data-dir", str(home), "list", "orders", "--json")
    assert code == 0 and len(json.loads(out)) == 230
    assert run("--data-dir", str(home), "verify")[0] == 0


def test_a_writer_opening_after_a_kill_checkpoints_what_the_wal_holds(home: Path) -> None:
    """A killed writer leaves its commits in the -wal (here: its close could not pass a
    reader, and the reader, read-only, does not checkpoint when it closes): the next writer
    copies them into the main file as it opens."""
    from calnet_desk.records import KINDS

    db = home / "register.sqlite3"
    writer = Register.open(home, write=True)
    reader = pinned_reader(home)
    with writer.transaction("left in the -wal") as tx:
        tx.put(KINDS["orders"], {"request_number": "KILLED-1", "request_date": "2026-01-01",
                                 "order_type": "new", "contractor": "AT&T"})
    writer.close()
    reader.execute("COMMIT")
    reader.close()
    length = history_length(home)
    assert only_in_wal(db, length) is not None
    code, out, _ = run("--data-dir", str(home), "verify")
    assert code == 1 and "only in register.sqlite3-wal" in out
    with Register.open(home, write=True):
        assert only_in_wal(db, length) is None
    assert main_file_entries(db) == length


def test_the_checkpoint_never_creates_a_database(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.Error):
        checkpoint(tmp_path / "none.sqlite3")
    assert not (tmp_path / "none.sqlite3").exists()


def test_without_a_wal_nothing_is_reported(home: Path) -> None:
    assert only_in_wal(home / "register.sqlite3", history_length(home)) is None
    assert main_file_entries(home / "nothing.sqlite3") is None

