"""The register: schema, migrations, triggers, history chain, verify, one writer."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Migrations

from calnet_desk.records import KINDS
from calnet_desk.store import NoRegister, RecordError, Register, RegisterExists, TooNew, schema
from calnet_desk.store.history import GENESIS, HistoryWriter, canonical_json, entry_hash
from calnet_desk.store.lock import PosixLocker, RegisterLocked, WindowsLocker, WriterLock
from calnet_desk.store.register import NeedsUpgrade
from calnet_desk.store.verify import verify

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ORDERS, DELEGATIONS = KINDS["orders"], KINDS["delegations"]
SQL_TYPES = {"text": "TEXT", "date": "TEXT", "money": "INTEGER", "integer": "INTEGER",
             "yesno": "INTEGER", "choice": "TEXT", "list": "TEXT"}


def order(key: str = "HO-1", **extra: Any) -> dict[str, Any]:
    return {"request_number": key, "request_date": "2026-01-02", "order_type": "new",
            "contractor": "AT&T", **extra}


def load_fixture(sql_file: Path, root: Path) -> Path:
    root.mkdir(parents=True)
    db = root / "register.sqlite3"
    conn = sqlite3.connect(db)
    conn.executescript(sql_file.read_text(encoding="utf-8"))
    conn.close()
    return root


# --- schema and migrations --------------------------------------------------------------


def test_schema_matches_the_record_declarations(reg: Register) -> None:
    for kind in KINDS.values():
        cols = {c.name: c.type for c in reg.db[kind.table].columns}
        assert list(cols) == kind.columns
        for f in kind.fields:
            assert cols[f.name] == SQL_TYPES[f.type], (kind.name, f.name)
        fks = {fk.column: fk.other_table for fk in reg.db[kind.table].foreign_keys}
        assert fks == {f.name: KINDS[f.references].table for f in kind.fields if f.references}


def test_pragmas_of_the_write_connection(reg: Register) -> None:
    assert reg.conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
    assert reg.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert reg.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert reg.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL


def test_trigger_list_is_exactly_the_expected_one(reg: Register) -> None:
    names = {r[0] for r in reg.conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert names == schema.expected_triggers()
    assert "orders_guard_update" in names and "history_append_only_delete" in names


def test_triggers_are_recreated_after_being_dropped(reg: Register) -> None:
    schema.drop_triggers(reg.db)
    assert reg.conn.execute("SELECT count(*) FROM sqlite_master WHERE type='trigger'"
                            ).fetchone()[0] == 0
    schema.install_triggers(reg.db)
    names = {r[0] for r in reg.conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert names == schema.expected_triggers()


def test_every_migration_is_applied_from_empty(reg: Register) -> None:
    assert reg.applied_migrations() == [m.name for m in schema.migrations._migrations]
    assert schema.migrations.pending(reg.db) == []


def row_counts(db: Path) -> dict[str, int]:
    """Rows per table of a database (the search index and migration bookkeeping aside)."""
    conn = sqlite3.connect(db)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name NOT LIKE 'search_index%' AND name != '_sqlite_migrations'")]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()


@pytest.mark.parametrize("fixture", sorted(FIXTURES.glob("schema-*.sql")), ids=lambda p: p.stem)
def test_every_released_schema_migrates_to_the_current_one(fixture: Path, tmp_path: Path) -> None:
    root = load_fixture(fixture, tmp_path / "old")
    before = row_counts(root / "register.sqlite3")
    assert before["orders"] > 0 and before["history"] > 0
    with Register.open(root, write=True) as reg:
        assert schema.migrations.pending(reg.db) == []
        names = {r[0] for r in reg.conn.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger'")}
        assert names == schema.expected_triggers()
        # The fixture is the database alone: its documents' files are not part of it.
        findings, counts = verify(reg, rehash=False)
        assert findings == []
        assert counts["history_entries"] == before["history"]
        for kind in KINDS.values():
            assert counts[kind.name] == before.get(kind.table, 0), kind.name  # new: none
            assert [c.name for c in reg.db[kind.table].columns] == kind.columns
    after = row_counts(root / "register.sqlite3")
    assert {t: after[t] for t in before} == before  # migrating keeps every row


def test_a_data_migration_backs_up_first_and_writes_its_history(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = load_fixture(FIXTURES / "schema-0001.sql", tmp_path / "old")
    newer = Migrations(schema.MIGRATION_SET)
    for m in schema.migrations._migrations:
        newer(name=m.name)(m.fn)

    @newer(name="9999_uppercase_contractors")
    def upper(db: Any) -> None:
        history = HistoryWriter(db.conn, "calnet-desk-migration", lambda: __import__(
            "datetime").datetime(2026, 11, 21, tzinfo=__import__("datetime").UTC))
        for key, contractor in db.conn.execute(
                "SELECT request_number, contractor FROM orders").fetchall():
            db.conn.execute("UPDATE orders SET contractor = ? WHERE request_number = ?",
                            (contractor.upper(), key))
            history.append("orders", key, "update",
                           {"contractor": [contractor, contractor.upper()]},
                           "migration 9999_uppercase_contractors")
        history.flush()

    monkeypatch.setattr(schema, "migrations", newer)
    with Register.open(root, write=True) as reg:
        assert reg.applied_migrations()[-1] == "9999_uppercase_contractors"
        assert reg.get(ORDERS, "HO-1001")["contractor"] == "AT&T"
        assert verify(reg)[0] == []
    backups = list((root / "backups").glob("*-pre-migration/register.sqlite3"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert old.execute("SELECT contractor FROM orders WHERE request_number='HO-1002'"
                       ).fetchone() == ("Verizon",)
    assert old.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    old.close()


def test_a_register_from_a_newer_version_is_refused_read_write(reg: Register) -> None:
    root = reg.paths.root
    with reg.transaction():
        reg.conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                         "VALUES (?, '0042_from_the_future', '2030-01-01')",
                         (schema.MIGRATION_SET,))
    reg.close()
    before = (root / "register.sqlite3").read_bytes()
    with pytest.raises(TooNew, match="newer CALNET Desk.*0042_from_the_future"):
        Register.open(root, write=True)
    assert (root / "register.sqlite3").read_bytes() == before
    with Register.open(root, write=False) as ro:  # still readable
        assert ro.agency()["name"] == "Department of Testing"


def test_an_old_register_opened_read_only_asks_for_an_upgrade(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = load_fixture(FIXTURES / "schema-0001.sql", tmp_path / "old")
    newer = Migrations(schema.MIGRATION_SET)
    for m in schema.migrations._migrations:
        newer(name=m.name)(m.fn)
    newer(name="9998_noop")(lambda db: None)
    monkeypatch.setattr(schema, "migrations", newer)
    with pytest.raises(NeedsUpgrade):
        Register.open(root, write=False)


def test_a_file_that_is_not_a_register_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "other"
    root.mkdir()
    sqlite3.connect(root / "register.sqlite3").execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(Exception, match="not a CALNET Desk register"):
        Register.open(root)


def test_no_register_and_existing_register(tmp_path: Path, reg: Register) -> None:
    with pytest.raises(NoRegister, match="init --agency"):
        Register.open(tmp_path / "nothing-here")
    assert not (tmp_path / "nothing-here").exists()
    with pytest.raises(RegisterExists):
        Register.create(reg.paths.root, agency="Again", agency_class="exempt-state")


# --- writes and history -----------------------------------------------------------------


def test_outside_writes_are_refused_by_the_guard_triggers(reg: Register) -> None:
    with reg.transaction() as tx:
        tx.put(ORDERS, order())
    outside = sqlite3.connect(reg.paths.database)
    with pytest.raises(sqlite3.OperationalError, match="calnet_desk_writing"):
        outside.execute("UPDATE orders SET contractor = 'X'")
    outside.create_function("calnet_desk_writing", 0, lambda: 0)
    with pytest.raises(sqlite3.IntegrityError, match="only through CALNET Desk"):
        outside.execute("DELETE FROM orders")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        outside.execute("DELETE FROM history")
    outside.close()


def test_every_change_lands_in_the_history_with_field_level_detail(
        reg: Register, clock: Any) -> None:
    with reg.transaction("new line") as tx:
        assert tx.put(ORDERS, order(monthly_cost=41250)) == "insert"
    with reg.transaction("price change") as tx:
        assert tx.put(ORDERS, order(monthly_cost=45000, status="approved")) == "update"
        assert tx.put(ORDERS, order(monthly_cost=45000)) == "unchanged"
    with reg.transaction("duplicate entry") as tx:
        tx.delete(ORDERS, "HO-1")
    entries = reg.history("orders", "HO-1")
    assert [e["action"] for e in entries] == ["insert", "update", "delete"]
    assert entries[1]["changes"] == {"monthly_cost": [41250, 45000],
                                     "status": ["draft", "approved"]}
    assert entries[1]["reason"] == "price change"
    assert entries[2]["changes"]["contractor"] == ["AT&T", None]
    assert all(e["at"] == "2026-11-21T18:30:00Z" and e["user"] for e in entries)
    assert reg.get(ORDERS, "HO-1") is None


def test_the_chain_is_sha256_over_the_documented_canonical_json(reg: Register) -> None:
    """Chain version 2 recomputed from its description (docs/history-chain.md) with
    hashlib and json alone."""
    with reg.transaction() as tx:
        tx.put(ORDERS, order(description="Café line — 2"))
    entries = reg.history()
    assert entries[0]["prev"] == GENESIS
    for before, entry in zip(entries, entries[1:], strict=False):
        assert entry["prev"] == before["hash"]
    import hashlib

    def cj(value: object) -> str:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def sha(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()

    e = entries[-1]
    assert re.fullmatch(r"[0-9a-f]{32}", e["salt"])
    refs = {"delegation_id", "exemption_id"}  # an order's scope references stay in plain
    leaves = [e["user"], e["reason"]]
    for _name, pair in sorted((n, p) for n, p in e["changes"].items() if n not in refs):
        leaves += pair
    texts = [x for x in leaves if isinstance(x, str | list)]
    stream = hashlib.shake_256(e["salt"].encode("ascii")).digest(32 * len(texts))
    salts = iter(stream[i:i + 32] for i in range(0, len(stream), 32))

    def shown(value: object) -> object:  # a text or list by its salted commitment
        if isinstance(value, str | list):
            return sha(next(salts) + cj(value).encode("utf-8"))
        return value

    user, reason = shown(e["user"]), shown(e["reason"])
    changes = {n: [shown(o), shown(v)] for n, (o, v) in sorted(e["changes"].items())
               if n not in refs}
    body = sha(cj({"changes": changes, "reason": reason, "user": user}).encode("utf-8"))
    assert body == e["body"]
    digest = sha(cj({"id": e["id"], "at": e["at"], "kind": e["kind"], "key": e["key"],
                     "action": e["action"], "body": body,
                     "refs": {n: p for n, p in e["changes"].items() if n in refs}}
                    ).encode("utf-8"))
    assert sha((e["prev"] + digest).encode("ascii")) == e["hash"] == entry_hash(e)
    # version 1 (before migration 0007) hashed the whole entry, prev included
    v1 = {k: e[k] for k in ("id", "at", "user", "kind", "key", "action", "changes",
                            "reason", "prev")}
    assert canonical_json(v1) == cj(v1)
    assert entry_hash({k: v for k, v in e.items() if k not in ("salt", "body")}) == sha(
        cj(v1).encode("utf-8"))


def test_a_failed_transaction_writes_nothing(reg: Register) -> None:
    before = len(reg.history())
    with pytest.raises(RecordError, match="Delegation D-404 is not in the register"), \
            reg.transaction() as tx:
        tx.put(ORDERS, order("HO-1"))
        tx.put(ORDERS, order("HO-2", delegation_id="D-404"))
    assert reg.get(ORDERS, "HO-1") is None
    assert len(reg.history()) == before
    assert verify(reg)[0] == []


def test_required_fields_and_choices_are_enforced(reg: Register) -> None:
    with pytest.raises(RecordError, match="Contractor is required"), reg.transaction() as tx:
        tx.put(ORDERS, order(contractor=None))
    with pytest.raises(RecordError, match="Order type must be one of"), reg.transaction() as tx:
        tx.put(ORDERS, order(order_type="rent"))


def test_delete_is_refused_while_other_records_refer(reg: Register) -> None:
    with reg.transaction() as tx:
        tx.put(DELEGATIONS, {"delegation_id": "D-1", "type": "general", "project": "PBX"})
        tx.put(ORDERS, order(delegation_id="D-1"))
    with pytest.raises(RecordError, match="referred to by order HO-1"), reg.transaction() as tx:
        tx.delete(DELEGATIONS, "D-1")
    assert reg.get(DELEGATIONS, "D-1") is not None


def test_money_is_stored_exactly_in_cents(reg: Register) -> None:
    with reg.transaction() as tx:
        tx.put(ORDERS, order(one_time_cost=10, monthly_cost=123456789012))
    row = reg.conn.execute("SELECT one_time_cost, monthly_cost, typeof(monthly_cost) "
                           "FROM orders").fetchone()
    assert row == (10, 123456789012, "integer")


# --- verify -----------------------------------------------------------------------------


def test_verify_passes_on_a_clean_register(reg: Register) -> None:
    with reg.transaction() as tx:
        tx.put(ORDERS, order())
    findings, counts = verify(reg)
    assert findings == []
    assert counts["orders"] == 1 and counts["history_entries"] == 2


def test_verify_finds_a_row_edited_outside_the_app(reg: Register) -> None:
    with reg.transaction() as tx:
        tx.put(ORDERS, order("HO-1"))
        tx.put(ORDERS, order("HO-2"))
    schema.drop_triggers(reg.db)
    reg.conn.execute("UPDATE orders SET monthly_cost = 99 WHERE request_number = 'HO-2'")
    reg.conn.execute("INSERT INTO orders (request_number, request_date, order_type, contractor)"
                     " VALUES ('HO-9', '2026-01-01', 'new', 'Sneaky')")
    schema.install_triggers(reg.db)
    findings, _ = verify(reg)
    replay = [f for f in findings if f.check == "replay"]
    by_key = {(f.kind, f.key): f for f in replay}
    assert set(by_key) == {("orders", "HO-2"), ("orders", "HO-9")}
    assert "monthly_cost" in by_key[("orders", "HO-2")].message
    # the insert bypassed the search triggers too: the index lacks HO-9 (a cost is not
    # indexed, so HO-2's entry still matches)
    assert {(f.check, f.key) for f in findings if f.check != "replay"} == {("search", "HO-9")}


def test_verify_finds_an_altered_history_entry(reg: Register) -> None:
    with reg.transaction() as tx:
        tx.put(ORDERS, order("HO-1", monthly_cost=100))
    schema.drop_triggers(reg.db)
    reg.conn.execute("UPDATE history SET changes = replace(changes, '100', '999') "
                     "WHERE key = 'HO-1'")
    schema.install_triggers(reg.db)
    findings, _ = verify(reg)
    checks = {(f.check, f.key) for f in findings}
    assert ("chain", "HO-1") in checks


def test_verify_finds_a_deleted_history_entry(reg: Register) -> None:
    with reg.transaction() as tx:
        tx.put(ORDERS, order("HO-1"))
        tx.put(ORDERS, order("HO-2"))
    schema.drop_triggers(reg.db)
    reg.conn.execute("DELETE FROM history WHERE key = 'HO-1'")
    schema.install_triggers(reg.db)
    findings, _ = verify(reg)
    assert any(f.check == "chain" and "missing" in f.message for f in findings)
    assert any(f.check == "replay" and f.key == "HO-1" for f in findings)


def test_verify_cli_exit_codes_and_json(reg: Register, run_cli: Any) -> None:
    root = str(reg.paths.root)
    with reg.transaction() as tx:
        tx.put(ORDERS, order())
    ok = run_cli("--data-dir", root, "verify", "--json")
    assert ok.code == 0
    assert json.loads(ok.out)["ok"] is True
    schema.drop_triggers(reg.db)
    reg.conn.execute("UPDATE orders SET contractor = 'Tampered'")
    schema.install_triggers(reg.db)
    bad = run_cli("verify", "--data-dir", root)
    assert bad.code == 1
    assert "orders HO-1 differs from its history in contractor" in bad.out
    data = json.loads(run_cli("--data-dir", root, "verify", "--json").out)
    assert data["ok"] is False
    assert data["findings"][0]["kind"] == "orders" and data["findings"][0]["key"] == "HO-1"


# --- one writer -------------------------------------------------------------------------


def test_a_second_writer_is_refused_with_who_holds_it(reg: Register) -> None:
    with pytest.raises(RegisterLocked) as info:
        Register.open(reg.paths.root, write=True)
    message = str(info.value)
    assert str(os.getpid()) in message and "since" in message
    with Register.open(reg.paths.root, write=False) as reader:  # readers may read
        assert reader.agency()["name"] == "Department of Testing"
    reg.close()
    Register.open(reg.paths.root, write=True).close()


def test_the_lock_says_the_hosts_name_as_socket_does(reg: Register) -> None:
    """The holder's host comes from uname(2) on POSIX (no socket module on the desktop's
    way to its first page): the same name socket.gethostname() gives."""
    import socket

    from calnet_desk.store.lock import host_name

    assert host_name() == socket.gethostname()
    assert WriterLock(reg.paths.lock, reg.paths.lock_info).holder()["host"] == host_name()


HOLDER = """
import sys
from pathlib import Path
from calnet_desk.store import Register
reg = Register.open(Path(sys.argv[1]), write=True)
print("locked", flush=True)
sys.stdin.read()
"""


def test_a_writer_in_another_process_locks_until_it_dies_even_by_kill_9(
        reg: Register, run_cli: Any) -> None:
    root = reg.paths.root
    reg.close()
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(root)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        refused = run_cli("--data-dir", str(root), "delete", "orders", "HO-1")
        assert refused.code == 1
        assert f"(process {holder.pid})" in refused.err and "nothing was changed" in refused.err
        assert run_cli("--data-dir", str(root), "list", "orders", "--json").code == 0
    finally:
        if sys.platform != "win32":
            os.kill(holder.pid, signal.SIGKILL)
        else:
            holder.kill()
        holder.wait()
    with Register.open(root, write=True) as again:
        assert again.agency()["name"] == "Department of Testing"


class FakeMsvcrt:
    """Stands in for Windows' msvcrt: a byte-range lock table shared by 'processes'."""

    LK_NBLCK, LK_UNLCK = 2, 0

    def __init__(self) -> None:
        self.held: dict[tuple[int, int], int] = {}
        self.calls: list[tuple[int, int, int]] = []

    def locking(self, fd: int, mode: int, nbytes: int) -> None:
        self.calls.append((fd, mode, nbytes))
        ino = os.fstat(fd).st_ino
        if mode == self.LK_NBLCK:
            if (ino, 0) in self.held:
                raise OSError(36, "Resource deadlock avoided")
            self.held[(ino, 0)] = fd
        elif mode == self.LK_UNLCK:
            self.held.pop((ino, 0), None)


def test_the_windows_lock_branch_through_injection(tmp_path: Path) -> None:
    fake = FakeMsvcrt()
    first = WriterLock(tmp_path / "r.lock", tmp_path / "r.lock.json", WindowsLocker(fake))
    second = WriterLock(tmp_path / "r.lock", tmp_path / "r.lock.json", WindowsLocker(fake))
    first.acquire()
    with pytest.raises(RegisterLocked, match=f"process {os.getpid()}"):
        second.acquire()
    first.release()
    assert not (tmp_path / "r.lock.json").exists()
    second.acquire()
    second.release()
    assert [c[1:] for c in fake.calls] == [(2, 1), (2, 1), (0, 1), (2, 1), (0, 1)]


def test_the_posix_lock_branch_through_injection(tmp_path: Path) -> None:
    class FakeFcntl:
        LOCK_EX, LOCK_NB, LOCK_UN = 2, 4, 8

        def __init__(self) -> None:
            self.calls: list[int] = []

        def flock(self, fd: int, op: int) -> None:
            self.calls.append(op)
            if op & self.LOCK_EX and self.calls.count(op) > 1:
                raise BlockingIOError(11, "Resource temporarily unavailable")

    fake = FakeFcntl()
    locker = PosixLocker(fake)
    lock = WriterLock(tmp_path / "r.lock", tmp_path / "r.lock.json", locker)
    lock.acquire()
    with pytest.raises(RegisterLocked):
        WriterLock(tmp_path / "r.lock", tmp_path / "r.lock.json", locker).acquire()
    lock.release()
    assert fake.calls == [6, 6, 8]


def test_an_unknown_field_is_refused_not_silently_dropped(reg: Register) -> None:
    with pytest.raises(RecordError, match="unknown field.*colour"), reg.transaction() as tx:
        tx.put(ORDERS, order(colour="blue"))
    assert reg.get(ORDERS, "HO-1") is None
    assert verify(reg)[0] == []


def test_a_register_made_before_chain_version_2_is_migrated(tmp_path: Path) -> None:
    """Chain version 1 registers get salts and a recomputed chain; the content stays."""
    from calnet_desk.store.history import entry_hash_v1

    root = load_fixture(FIXTURES / "schema-0001.sql", tmp_path / "old")
    conn = sqlite3.connect(root / "register.sqlite3")
    v1 = conn.execute("SELECT id, hash FROM history ORDER BY id").fetchall()
    conn.close()
    with Register.open(root, write=True) as reg:
        assert "0007_history_chain_v2" in reg.applied_migrations()
        assert schema.migrations.pending(reg.db) == []
        entries = reg.history()
        assert [e["id"] for e in entries] == [i for i, _ in v1]
        assert all(len(e["salt"]) == 32 for e in entries)
        assert verify(reg, rehash=False)[0] == []
        # the version 1 hashes are still what the content gives under the version 1 rules
        prev = "0" * 64
        for entry, (_, old) in zip(entries, v1, strict=True):
            assert entry_hash_v1({**entry, "prev": prev}) == old
            prev = old


def test_verify_finds_a_stored_body_that_is_not_its_entrys(reg: Register) -> None:
    """The body kept for bundles (chain.csv) is checked against the content too."""
    with reg.transaction() as tx:
        tx.put(ORDERS, order())
    root = reg.paths.root
    reg.close()
    conn = sqlite3.connect(root / "register.sqlite3")
    (sql,) = conn.execute("SELECT sql FROM sqlite_master WHERE name = "
                          "'history_append_only_update'").fetchone()
    conn.execute("DROP TRIGGER history_append_only_update")
    conn.execute("UPDATE history SET body = ? WHERE id = 2", ("0" * 64,))
    conn.execute(sql)
    conn.commit()
    conn.close()
    with Register.open(root) as again:
        messages = [f.message for f in verify(again, rehash=False)[0]]
    assert "entry 2 was altered (its hash does not match its content)" in messages


def test_work_within_a_time_limit_is_stopped_when_it_is_up(tmp_path: Path) -> None:
    """Register.within: SQLite's work in the block stops once the time is up (the first
    page's deadlines give up this way and are done in the background); after the block the
    connection works as before."""
    from calnet_desk.store.register import Interrupted

    reg = Register.create(tmp_path / "r", agency="A", agency_class="non-exempt-state")
    endless = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
               "SELECT count(*) FROM n")
    with pytest.raises(Interrupted, match="stopped after 0.05 s"), reg.within(0.05):
        reg.conn.execute(endless).fetchone()
    with reg.within(60):
        assert reg.conn.execute("SELECT 1").fetchone()[0] == 1
    assert reg.conn.execute("SELECT 2").fetchone()[0] == 2  # no handler left behind
    reg.close()


def test_a_wait_for_another_connections_lock_is_held_to_the_same_time(tmp_path: Path) -> None:
    """SQLite calls no progress handler while it waits for a lock (a register in a shared
    folder, in rollback-journal mode, while another computer commits): the wait gave up
    only after the connection's 5 s busy timeout, before the window was built."""
    from calnet_desk.store.register import Interrupted

    reg = Register.create(tmp_path / "r", agency="A", agency_class="non-exempt-state")
    before = reg.conn.execute("PRAGMA busy_timeout").fetchone()[0]
    assert before == 5000
    with reg.within(0.05):
        assert reg.conn.execute("PRAGMA busy_timeout").fetchone()[0] == 50
    reg.conn.execute("PRAGMA journal_mode = DELETE")
    other = sqlite3.connect(reg.paths.database, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    with pytest.raises(Interrupted), reg.within(0.05):  # the lock's wait, as Interrupted
        reg.conn.execute("SELECT count(*) FROM orders").fetchone()
    assert reg.conn.execute("PRAGMA busy_timeout").fetchone()[0] == before
    other.execute("ROLLBACK")
    other.close()
    reg.close()
