"""Issue 14 item 2, the window: when it goes idle after a write it copies the commits from
the -wal into the main file, and keeps retrying while another program's reader pins an older
snapshot (the attack: the import lived only in the -wal, and a sync tool deleted it)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from calnet_desk.records import KINDS
from calnet_desk.store import Register
from calnet_desk.store.wal import main_file_entries, only_in_wal
from ui.session import Session


def write_orders(reg: Register, progress: Any, cancelled: Any) -> int:
    with reg.transaction("typed in the window") as tx:
        for i in range(300):
            tx.put(KINDS["orders"], {"request_number": f"IDLE-{i:04d}",
                                     "request_date": "2026-01-02", "order_type": "new",
                                     "contractor": "AT&T"})
    return int(reg.conn.execute("SELECT max(id) FROM history").fetchone()[0])


def test_the_idle_window_checkpoints_and_retries_while_a_reader_pins_a_snapshot(
        qtbot: Any, tmp_path: Path) -> None:
    root = tmp_path / "reg"
    Register.create(root, agency="Department of Testing",
                    agency_class="non-exempt-state").close()
    db = root / "register.sqlite3"
    session = Session(root)
    try:
        with qtbot.waitSignal(session.writer_ready, timeout=30_000) as ready:
            pass
        assert ready.args == [""]
        session.idle_ms = session.retry_ms = 0  # no waiting in a test: fire at once
        reader = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True,
                                 isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM history").fetchone()  # its snapshot: pinned
        written: list[int] = []
        assert session.writer is not None
        with qtbot.waitSignal(session.checkpointed, timeout=30_000) as first:
            session.writer.submit(write_orders, written.append)
        assert first.args == [False]  # the reader's snapshot stops it…
        assert written and only_in_wal(db, written[0]) is not None
        reader.execute("COMMIT")  # …until the reader lets go
        reader.close()
        with qtbot.waitSignal(session.checkpointed, timeout=30_000,
                              check_params_cb=lambda complete: complete) as retried:
            pass
        assert retried.args == [True]
        assert only_in_wal(db, written[0]) is None
        assert main_file_entries(db) == written[0]  # the main file alone holds the write
    finally:
        session.close()


def test_a_read_only_window_never_checkpoints(qtbot: Any, tmp_path: Path) -> None:
    root = tmp_path / "reg"
    Register.create(root, agency="Department of Testing",
                    agency_class="non-exempt-state").close()
    session = Session(root, read_only=True)
    try:
        session._checkpoint()  # the timer's slot: nothing to do without a writer
        assert session.background._callbacks == {}
    finally:
        session.close()
