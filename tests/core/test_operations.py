"""The core operations the CLI and the desktop share (calnet_desk.operations), the one
Cancelled, and the one atomic-write helper."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pytest
from factories import order

from calnet_desk import operations as ops
from calnet_desk.files import atomic_output, write_atomically
from calnet_desk.progress import Cancelled
from calnet_desk.records import KINDS
from calnet_desk.store import RecordError, Register

ORDERS = KINDS["orders"]



def test_an_edit_is_refused_when_the_record_changed_since_it_was_opened(reg: Register) -> None:
    ops.save_record(reg, ORDERS, order(), "new", None, reason="new order")
    opened_at = reg.last_entry_id("orders", "HO-1")
    ops.save_record(reg, ORDERS, order(contractor="Verizon"), "edit", opened_at,
                    reason="someone else")
    with pytest.raises(RecordError, match="changed elsewhere"):
        ops.save_record(reg, ORDERS, order(contractor="Lumen"), "edit", opened_at)
    assert reg.get(ORDERS, "HO-1")["contractor"] == "Verizon"  # type: ignore[index]


def test_a_new_record_with_a_key_in_use_is_refused(reg: Register) -> None:
    ops.save_record(reg, ORDERS, order(), "new", None)
    with pytest.raises(RecordError, match="already in the register"):
        ops.save_record(reg, ORDERS, order(contractor="Lumen"), "duplicate", None)


def test_undo_writes_back_the_values_before_the_save(reg: Register) -> None:
    ops.save_record(reg, ORDERS, order(), "new", None)
    saved = ops.save_record(reg, ORDERS, order(contractor="Verizon"), "edit",
                            reg.last_entry_id("orders", "HO-1"), reason="fix")
    assert ops.undo_save(reg, saved) == "HO-1"
    assert reg.get(ORDERS, "HO-1")["contractor"] == "AT&T"  # type: ignore[index]
    assert reg.history("orders", "HO-1")[-1]["reason"] == "undo: fix"
    with pytest.raises(RecordError, match="not undone"):  # that save is no longer the last
        ops.undo_save(reg, saved)


def test_undo_of_a_new_record_deletes_it(reg: Register) -> None:
    saved = ops.save_record(reg, ORDERS, order(), "new", None)
    ops.undo_save(reg, saved)
    assert reg.get(ORDERS, "HO-1") is None


def test_a_cancelled_import_raises_cancelled_and_writes_nothing(reg: Register,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    path.write_text("request_number,request_date,order_type,contractor\n"
                    + "".join(f"O-{i},2026-01-05,new,AT&T\n" for i in range(1500)),
                    encoding="utf-8")
    reports: list[tuple[int, int]] = []
    with pytest.raises(Cancelled):
        ops.import_spreadsheet(reg, path, ORDERS, progress=lambda d, t: reports.append((d, t)),
                               cancelled=lambda: bool(reports))
    assert reports == [(1000, 1500)]  # stopped at the report after the first
    assert reg.count(ORDERS) == 0


def test_attach_links_once_and_detach_keeps_the_stored_file(reg: Register,
                                                           tmp_path: Path) -> None:
    ops.save_record(reg, ORDERS, order(), "new", None)
    scan = tmp_path / "std20.pdf"
    scan.write_bytes(b"%PDF-1.4 signed")
    [first] = ops.attach(reg, [scan], ORDERS, "HO-1", "signed form")
    [again] = ops.attach(reg, [scan], ORDERS, "HO-1")
    assert first.linked and not again.linked
    doc = ops.detach(reg, first.document.sha256[:8], ORDERS, "HO-1", "wrong record")
    assert doc == first.document
    assert reg.history("document-links")[-1]["reason"] == "wrong record"
    with pytest.raises(RecordError, match="nothing was attached"):
        ops.attach(reg, [scan], ORDERS, "HO-404")


def test_attach_cancelled_before_the_transaction_links_nothing(reg: Register,
                                                              tmp_path: Path) -> None:
    ops.save_record(reg, ORDERS, order(), "new", None)
    scan = tmp_path / "a.pdf"
    scan.write_bytes(b"a")
    with pytest.raises(Cancelled):
        ops.attach(reg, [scan], ORDERS, "HO-1", cancelled=lambda: True)
    assert reg.history("document-links") == []


def test_delete_with_a_reason_and_create_from_check(reg: Register) -> None:
    delegations = KINDS["delegations"]
    key = ops.create_from_check(reg, delegations, {"delegation_id": "D-1", "project": "P",
                                                   "type": "general", "decision": "pending"})
    assert key == "D-1"
    assert reg.history("delegations", "D-1")[-1]["reason"] == \
        "created from the procurement check"
    with pytest.raises(RecordError, match="already in the register"):
        ops.create_from_check(reg, delegations, {"delegation_id": "D-1", "project": "Q"})
    ops.delete_record(reg, delegations, "D-1", "made by mistake")
    assert reg.get(delegations, "D-1") is None
    assert reg.history("delegations", "D-1")[-1]["reason"] == "made by mistake"


def test_atomic_output_replaces_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "out" / "deadlines.ics"
    write_atomically(target, [b"one", b"two"])
    assert target.read_bytes() == b"onetwo"
    os.chmod(target, 0o640)
    with pytest.raises(RuntimeError), atomic_output(target) as tmp:
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"onetwo"
    assert sorted(p.name for p in target.parent.iterdir()) == ["deadlines.ics"]
    write_atomically(target, [b"three"])
    assert target.read_bytes() == b"three"
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the replaced file's mode kept


# --- acknowledging several deadlines is one change (issue 16) -------------------------------

def _deadlines_of_three_exemptions(reg: Register) -> list[tuple[str, str, str]]:
    with reg.transaction() as tx:
        for n in (1, 2, 3):
            tx.put(KINDS["exemptions"], {"exemption_id": f"EX-{n}", "project": "Sat",
                                         "decision": "approved",
                                         "term_end": f"2026-02-0{n}"})
    return [("exemptions", f"EX-{n}", "exemption-term-end") for n in (1, 2, 3)]


def test_acknowledging_several_deadlines_is_one_transaction_and_one_undo(
        reg: Register) -> None:
    from calnet_desk.policy.deadlines import deadlines, mark_deadline
    from calnet_desk.store.heads import heads_path

    targets = _deadlines_of_three_exemptions(reg)
    day = dt.date(2026, 1, 20)
    mark_deadline(reg, *targets[2], "snoozed", until=dt.date(2026, 1, 25))
    commits = heads_path(reg.paths.root).read_text().count("\n")
    before = reg.newest_entry_id()
    marked = ops.acknowledge_deadlines(reg, targets)
    assert heads_path(reg.paths.root).read_text().count("\n") == commits + 1  # one commit
    written = reg.entries_between(*marked.entries)
    assert marked.entries[0] == before and marked.count == 3
    assert [(e["kind"], e["key"]) for e in written] == [
        ("deadline-marks", f"exemptions:EX-{n}:exemption-term-end") for n in (1, 2, 3)]
    assert {e["reason"] for e in written} == {"acknowledge 3 deadline(s)"}
    assert [d.status for d in deadlines(reg, day)] == ["acknowledged"] * 3
    assert ops.undo_marks(reg, marked) == 3  # one step back: the snooze is back too
    assert [d.status for d in deadlines(reg, day)] == ["due-soon", "due-soon", "snoozed"]
    assert heads_path(reg.paths.root).read_text().count("\n") == commits + 2


def test_undo_of_acknowledging_is_refused_when_a_mark_changed_since(reg: Register) -> None:
    from calnet_desk.policy.deadlines import deadlines, mark_deadline

    targets = _deadlines_of_three_exemptions(reg)
    marked = ops.acknowledge_deadlines(reg, targets[:2])
    mark_deadline(reg, *targets[1], "snoozed", until=dt.date(2026, 1, 30))
    entries = reg.newest_entry_id()
    with pytest.raises(RecordError, match="EX-2 .* changed since; nothing was undone"):
        ops.undo_marks(reg, marked)
    assert reg.newest_entry_id() == entries
    assert [d.status for d in deadlines(reg, dt.date(2026, 1, 20))] == [
        "acknowledged", "snoozed", "due-soon"]


def test_acknowledging_a_deadline_that_is_gone_writes_nothing(reg: Register) -> None:
    targets = _deadlines_of_three_exemptions(reg)
    entries = reg.newest_entry_id()
    with pytest.raises(RecordError, match="EX-9 has no exemption-term-end deadline now"):
        ops.acknowledge_deadlines(reg, [targets[0], ("exemptions", "EX-9",
                                                     "exemption-term-end")])
    with pytest.raises(RecordError, match="unknown deadline kind"):
        ops.acknowledge_deadlines(reg, [("exemptions", "EX-1", "no-such-kind")])
    assert reg.newest_entry_id() == entries
