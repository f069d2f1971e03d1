"""A large import seals its new records' history entries in a second process
(history.Sealer) while it reads the next rows: the entries are exactly those sealed in
this process (same changes, bodies, digests and links), whatever the process does."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calnet_desk.exchange import importer
from calnet_desk.exchange.importer import import_file
from calnet_desk.records import ORDERS
from calnet_desk.store import Register, history, register
from calnet_desk.store.history import (
    HistoryWriter,
    Sealer,
    canonical_value,
    diff,
    entry_hash,
)
from calnet_desk.store.verify import verify

_COLUMNS = ("id", "at", "user", "kind", "key", "action", "changes", "reason", "prev",
            "hash", "salt", "body")


@pytest.fixture(scope="module")
def sealer() -> Iterator[Sealer]:
    """One sealer process for the module's examples (each would otherwise start one)."""
    s = Sealer()
    yield s
    s.close()


_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=3),
                   st.lists(st.text(max_size=2), max_size=2))
_RECORD = st.dictionaries(st.sampled_from(["delegation_id", "exemption_id", "city",
                                           "quantity", "notes", "é"]), _VALUE, max_size=4)


@settings(max_examples=30, deadline=None)
@given(steps=st.lists(st.tuples(st.booleans(), st.lists(_RECORD, min_size=1, max_size=4),
                                st.booleans()), min_size=1, max_size=5),
       reason=st.one_of(st.none(), st.text(max_size=3)))
def test_entries_sealed_in_the_sealer_process_are_those_sealed_here(
        sealer: Sealer, steps: list[tuple[bool, list[dict[str, Any]], bool]],
        reason: str | None) -> None:
    """Batches of inserts (sealed in the process, linked when the next entry comes or at
    a flush) mixed with single entries (an update appends at once) and flushes that leave
    the batch in flight: the rows written are those of a writer sealing everything here,
    in the same order, and each is what the verifier recomputes."""
    import datetime as dt
    import sqlite3

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE history (id INTEGER PRIMARY KEY, at, user, kind, key, action, "
                 "changes, reason, prev, hash, salt, body)")
    clock = lambda: dt.datetime(2026, 12, 1, 6, 0, tzinfo=dt.UTC)  # noqa: E731
    written: list[list[Any]] = [[], []]
    writers = []
    for rows in written:
        writer = HistoryWriter(conn, "clerk", clock)
        salts = (f"{n:032x}" for n in itertools.count(11))
        writer._salt = lambda salts=salts: next(salts)  # type: ignore[method-assign]
        writer.execute = lambda _sql, params, rows=rows: rows.extend(params)
        writers.append(writer)
    here, apart = writers
    apart.sealer = sealer
    before = sealer.sealed
    keys = (f"K{n}" for n in itertools.count())
    for batch, records, flush in steps:
        names = sorted({n for r in records for n in r})
        step_keys = [next(keys) for _ in records]
        for writer in writers:
            if batch:
                writer.append_inserts("orders", step_keys, reason,
                                      [canonical_value(n) for n in names],
                                      [[None if r.get(n) is None else canonical_value(r[n])
                                        for r in records] for n in names])
            else:
                changes = diff({"city": "Fresno"}, records[0]) or {"city": ["Fresno", None]}
                writer.append("orders", step_keys[0], "update", changes, reason)
            if flush:
                writer.flush(settle=False)
    for writer in writers:
        writer.flush()
    apart.sealer = None
    assert written[1] == written[0]
    assert sealer.sealed > before or not any(batch for batch, _, _ in steps)
    assert not sealer.broken
    for start in range(0, len(written[0]), len(_COLUMNS)):
        entry = dict(zip(_COLUMNS, written[0][start:start + len(_COLUMNS)], strict=True))
        entry["changes"] = json.loads(entry["changes"])
        assert entry["hash"] == entry_hash(entry)


HEADER = "request_number,request_date,order_type,contractor,city,delegation_id\n"


def _rows(numbers: range, city: str = "Fresno") -> str:
    return "".join(f"O-{i:03d},2026-01-05,new,AT&T,{city},\n" for i in numbers)


def _history(reg: Register) -> list[tuple[Any, ...]]:
    return reg.conn.execute("SELECT * FROM history ORDER BY id").fetchall()


@pytest.fixture
def large(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any file is "large": sealed apart, written while read, a batch every 4 records."""
    monkeypatch.setattr(importer, "HOLD_ROWS", 3)
    monkeypatch.setattr(importer, "CHUNK_ROWS", 2)
    monkeypatch.setattr(register, "BATCH", 4)
    counter = itertools.count(5)
    monkeypatch.setattr(HistoryWriter, "_salt", lambda self: f"{next(counter):032x}")


def never_answers(conn: Any) -> None:
    """A sealer process that takes a batch and never answers (hung): it waits for a second
    message that never comes, until the parent ends it."""
    conn.recv()
    conn.recv()


def _import_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spoil: str = ""
                  ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[Sealer]]:
    """The same two imports (new orders, then a file changing some and adding others) into
    two registers: sealed here, and sealed apart (``spoil``: what goes wrong with the
    process). Returns both histories and the sealers used."""
    import datetime as dt

    first = tmp_path / "first.csv"
    first.write_text(HEADER + _rows(range(0, 13)), encoding="utf-8")
    second = tmp_path / "second.csv"
    second.write_text(HEADER + _rows(range(5, 9), "Alturas") + _rows(range(20, 31)),
                      encoding="utf-8")
    used: list[Sealer] = []
    processes: list[Any] = []
    real_init = Sealer.__init__

    def watched(self: Sealer) -> None:
        if spoil == "no process":
            self.sealed, self.busy, self.broken = 0, False, True
            self._conn = self._process = None
        elif spoil == "silent":
            monkeypatch.setattr(history, "SEAL_WAIT_S", 0.2)
            real_init(self, never_answers)
            processes.append(self._process)
        else:
            real_init(self)
            processes.append(self._process)
            if spoil == "killed":
                self._process.kill()
        used.append(self)

    monkeypatch.setattr(Sealer, "__init__", watched)
    histories = []
    for apart in (False, True):
        monkeypatch.setattr(importer, "SEAL_APART_BYTES", 0 if apart else 1 << 60)
        counter = itertools.count(5)
        monkeypatch.setattr(HistoryWriter, "_salt", lambda self, c=counter: f"{next(c):032x}")
        clock = lambda: dt.datetime(2026, 12, 1, 6, 30, tzinfo=dt.UTC)  # noqa: E731
        reg = Register.create(tmp_path / f"reg-{apart}", agency="Department of Testing",
                              agency_class="non-exempt-state", clock=clock)
        try:
            assert import_file(reg, first, ORDERS).inserted == 13
            again = import_file(reg, second, ORDERS)
            assert (again.inserted, again.updated, again.unchanged) == (11, 4, 0)
            findings, _ = verify(reg)
            assert findings == []
            histories.append(_history(reg))
        finally:
            reg.close()
    assert not [p for p in processes if p.is_alive()]  # every sealer process ended
    return histories[0], histories[1], used


def test_a_large_import_sealed_apart_writes_the_history_sealed_here(
        large: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here, apart, used = _import_twice(tmp_path, monkeypatch)
    assert apart == here
    assert len(used) == 2 and all(s.sealed >= 1 for s in used)  # (ended: broken now)


@pytest.mark.parametrize("spoil", ["killed", "no process", "silent"])
def test_a_sealer_process_that_dies_hangs_or_never_starts_leaves_the_sealing_here(
        large: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spoil: str) -> None:
    here, apart, used = _import_twice(tmp_path, monkeypatch, spoil)
    assert apart == here
    assert used and all(s.sealed == 0 and s.broken for s in used)


def test_a_large_import_refused_late_ends_its_sealer_and_writes_nothing(
        large: None, reg: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "SEAL_APART_BYTES", 0)
    used: list[tuple[Sealer, Any]] = []
    real_close = Sealer.close
    monkeypatch.setattr(Sealer, "close", lambda self: (used.append((self, self._process)),
                                                       real_close(self)))
    path = tmp_path / "o.csv"
    path.write_text(HEADER + _rows(range(0, 21)) + "O-900,not a date,new,AT&T,Fresno,\n",
                    encoding="utf-8")
    head = reg.newest_entry_id()
    result = import_file(reg, path, ORDERS)
    assert not result.written and result.errors[0].startswith(f"{path}:23:")
    assert reg.count(ORDERS) == 0 and reg.newest_entry_id() == head
    assert used and used[0][0].sealed >= 1
    assert not used[0][1].is_alive()
    assert verify(reg)[0] == []


@pytest.mark.parametrize(("cores", "size", "dry_run", "started"), [
    (2, 0, False, True), (1, 0, False, False), (2, 1 << 40, False, False),
    (2, 0, True, False)])
def test_a_sealer_is_started_for_a_large_import_with_a_second_core(
        large: None, reg: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        cores: int, size: int, dry_run: bool, started: bool) -> None:
    """Only a file of SEAL_APART_BYTES or more, written (not a dry run), on a machine with
    a second core to run the process (on one, it only adds its overhead)."""
    monkeypatch.setattr(importer, "SEAL_APART_BYTES", size)
    monkeypatch.setattr(importer, "_cores", lambda: cores)
    made: list[Sealer] = []
    real_init = Sealer.__init__
    monkeypatch.setattr(Sealer, "__init__", lambda self: (made.append(self), real_init(self))[1])
    path = tmp_path / "o.csv"
    path.write_text(HEADER + _rows(range(0, 9)), encoding="utf-8")
    result = import_file(reg, path, ORDERS, dry_run=dry_run)
    assert result.rows == 9 and result.written is not dry_run
    assert bool(made) is started
    assert reg.count(ORDERS) == (0 if dry_run else 9)


@pytest.mark.parametrize("rows", [8, 9])
def test_every_batch_is_sealed_by_the_process_even_the_last_one_in_flight(
        large: None, reg: Register, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        rows: int) -> None:
    """With the new records an exact number of batches, the last one was still in the
    process when the import finished: it was sealed again here and the process killed."""
    monkeypatch.setattr(importer, "SEAL_APART_BYTES", 0)
    monkeypatch.setattr(importer, "_cores", lambda: 2)
    made: list[Sealer] = []
    real_init = Sealer.__init__
    monkeypatch.setattr(Sealer, "__init__", lambda self: (made.append(self), real_init(self))[1])
    path = tmp_path / "o.csv"
    path.write_text(HEADER + _rows(range(0, rows)), encoding="utf-8")
    assert import_file(reg, path, ORDERS).inserted == rows
    [sealer] = made
    assert (sealer.sealed, sealer.broken) == (-(-rows // 4), True)  # ended after, not killed
    assert verify(reg)[0] == []


def never_reads(conn: Any) -> None:
    """A sealer process that started but never reads (stuck before its loop): it waits
    until the parent closes the pipe."""
    conn.poll(None)


def test_no_batch_is_sent_to_a_process_that_never_said_it_reads(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch is larger than a pipe holds (8 KiB on Windows): sent to a process that never
    reads, the send waited for ever. The process must say it reads first; one that does not
    within SEAL_WAIT_S is given up, and the batch is sealed here."""
    from calnet_desk.store.history import new_salt, sealed_inserts

    monkeypatch.setattr(history, "SEAL_WAIT_S", 0.2)
    texts = [canonical_value(f"{i:04d}" + "x" * 1000) for i in range(1000)]  # ~1 MB
    job: Any = ([new_salt() for _ in texts], '"u"', "null", ['"notes"'], [texts], ())
    stuck = Sealer(never_reads)
    try:
        assert stuck.submit(job) is False and stuck.broken and not stuck.ready
        assert stuck.result(job) == sealed_inserts(*job)  # sealed here
    finally:
        stuck.close()
    working = Sealer()
    try:
        assert working.submit(job) is True and working.ready
        assert working.result(job) == sealed_inserts(*job) and working.sealed == 1
    finally:
        working.close()


def _blocks_sigint(pid: int) -> bool:
    import signal

    status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    blocked = int(next(line.split()[1] for line in status.splitlines()
                       if line.startswith("SigBlk:")), 16)
    return bool(blocked & (1 << (signal.SIGINT - 1)))


def test_ctrl_c_is_held_back_while_the_sealer_process_starts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C to the terminal's process group while Python started in the sealer process
    printed its KeyboardInterrupt traceback under the import's "nothing was written". The
    process starts with SIGINT blocked (Linux shows it in /proc); this process's own mask
    is as before. Where there are no signal masks (Windows), it starts all the same."""
    import signal

    before = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    s = Sealer()
    try:
        assert s._process is not None and _blocks_sigint(s._process.pid)
        assert signal.pthread_sigmask(signal.SIG_BLOCK, set()) == before
    finally:
        s.close()
    monkeypatch.delattr(signal, "pthread_sigmask")
    s = Sealer()
    try:
        job: Any = (["0" * 32], '"u"', "null", ['"notes"'], [['"x"']], ())
        assert s.submit(job) and s.sealed == 0 and len(s.result(job)) == 1 and s.sealed == 1
    finally:
        s.close()
