"""A lone surrogate ("\\ud800": half of a UTF-16 pair, not a character) cannot be stored:
UTF-8, SQLite's and the history's encoding, has no bytes for it, and SQLite's binding raised
a raw UnicodeEncodeError (a traceback on the command line). Python text gets one from a
JSON "\\ud800" escape, or from an argument or file name whose bytes were not UTF-8
(surrogateescape). The store's own checks now name the record and field in a sentence, and
nothing is written, whichever path brought it."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest

from calnet_desk.exchange.importer import import_file
from calnet_desk.records import KINDS
from calnet_desk.store import RecordError, Register

ORDERS = KINDS["orders"]
NOT_STORED = ("the register stores only whole characters, so nothing was written. Type or "
              "paste the text again, or save its file as UTF-8")


def _order(**values: object) -> dict[str, object]:
    return {"request_number": "O-1", "request_date": "2026-01-05", "order_type": "new",
            "contractor": "AT&T", **values}


def test_a_record_text_names_the_record_and_field(reg: Register) -> None:
    before = len(reg.history())
    with pytest.raises(RecordError) as e, reg.transaction("orders") as tx:
        tx.put(ORDERS, _order(description="café \ud800 here"))
    assert str(e.value) == ("order O-1: Description holds U+D800 at character 6, which is not "
                            "a character (half of a UTF-16 pair, or a byte that was not UTF-8 "
                            f"text); {NOT_STORED}")
    assert reg.get(ORDERS, "O-1") is None and len(reg.history()) == before


def test_many_records_an_update_a_key_and_a_list_are_named_too(reg: Register) -> None:
    with reg.transaction("orders") as tx:
        tx.put_many(ORDERS, [_order(request_number=f"O-{i}") for i in range(100)])
    before = len(reg.history())
    rows = [_order(request_number=f"O-{i}", city="Fresno") for i in range(100)]
    rows[70]["city"] = "Fres\udcffno"  # an update, among many (the import's bulk path)
    with pytest.raises(RecordError, match=r"^order O-70: City holds U\+DCFF at character 5"):
        with reg.transaction("orders") as tx:
            tx.put_many(ORDERS, rows)
    with pytest.raises(RecordError, match=r"^order O-\\udc80: Request number holds U\+DC80"):
        with reg.transaction("orders") as tx:
            tx.put(ORDERS, _order(request_number="O-\udc80"))
    exemptions = KINDS["exemptions"]
    with pytest.raises(RecordError, match=r"^exemption EX-1: Services holds U\+D83D"):
        with reg.transaction("exemptions") as tx:
            tx.put(exemptions, {"exemption_id": "EX-1", "project": "Phones",
                                "services": ["voice", "data \ud83d"]})
    assert len(reg.history()) == before
    assert all(r["city"] is None for r in reg.records(ORDERS))


def test_a_reason_and_a_document_name_are_named(reg: Register, tmp_path: Path) -> None:
    from calnet_desk.store.documents import add_document, store_bytes

    with pytest.raises(RecordError, match=r"^the reason given holds U\+DCE9 at character 4"):
        with reg.transaction("caf\udce9"):
            pass
    sha, size = store_bytes(reg.paths, b"scan")
    with pytest.raises(RecordError, match=r"^documents [0-9a-f]{64}: its name holds U\+DCFE"):
        with reg.transaction("documents") as tx:
            add_document(tx, sha, "scan\udcfe.pdf", size)
    assert reg.history()[-1]["reason"] == "register created"


def test_a_csv_that_would_decode_to_one_is_refused_by_file(reg: Register,
                                                          tmp_path: Path) -> None:
    """A CSV cannot bring one: UTF-16 with a lone surrogate is not UTF-16 (named by file),
    and the bytes of a UTF-8-encoded surrogate are not UTF-8 (read as Windows-1252)."""
    text = ("request_number,request_date,order_type,contractor,description\r\n"
            "O-1,2026-01-05,new,AT&T,aXb\r\n").encode("utf-16-le")
    path = tmp_path / "o.csv"
    path.write_bytes(b"\xff\xfe" + text.replace("X".encode("utf-16-le"), b"\x00\xd8"))
    result = import_file(reg, path, ORDERS, name="o.csv")
    assert result.errors == ["o.csv: looks like UTF-16 text but is not (byte 178)"]
    assert reg.get(ORDERS, "O-1") is None


def test_the_cli_says_so_for_arguments_that_were_not_utf8(reg: Register, tmp_path: Path,
                                                         run_cli: Any) -> None:
    """Linux hands Python an argument's bytes that are not UTF-8 as lone surrogates
    ($'\\xff' becomes '\\udcff'): a reason, a file's name, an agency, and keys to look up
    ended in a traceback."""
    with reg.transaction("orders") as tx:
        tx.put(ORDERS, _order())
    root = str(reg.paths.root)
    reg.close()
    scan = tmp_path / "scan\udcfe.pdf"
    scan.write_bytes(b"%PDF-1.4")
    runs = {
        "reason": run_cli("--data-dir", root, "delete", "orders", "O-1", "--reason",
                          "bad\udcffreason"),
        "attach": run_cli("--data-dir", root, "attach", str(scan), "--to", "orders:O-1"),
        "init": run_cli("--data-dir", str(tmp_path / "new"), "init", "--agency", "A\udcffB",
                        "--agency-class", "non-exempt-state"),
        "show": run_cli("--data-dir", root, "show", "orders", "O\udcff"),
        "search": run_cli("--data-dir", root, "search", "O\udcff"),
    }
    for name, r in runs.items():
        assert r.code == 1 and r.err.count("\n") == 1 and "Traceback" not in r.err, (name, r)
    assert runs["reason"].err.startswith(
        "calnet-desk-cli: the reason given holds U+DCFF at character 4, which is not a "
        "character")
    shown = str(scan).replace("\udcfe", "\\udcfe")  # escaped as printed
    assert f"{shown}: the file's name holds U+DCFE" in runs["attach"].err
    assert "nothing was attached" in runs["attach"].err
    assert runs["init"].err.startswith("calnet-desk-cli: agency: Agency name holds U+DCFF")
    assert runs["show"].err == "calnet-desk-cli: no order O\\udcff in the register\n"
    assert runs["search"].err == (
        "calnet-desk-cli: the argument O\\udcff holds U+DCFF at character 2, which is not a "
        "character (half of a UTF-16 pair, or a byte that was not UTF-8 text); the register "
        "holds only whole characters, so it names nothing there; nothing was written; the "
        "register is as it was. Type it again.\n")
    with Register.open(Path(root)) as again:
        assert again.get(ORDERS, "O-1") is not None  # not deleted
        assert not list((Path(root) / "documents").rglob("*"))  # nothing stored


def test_a_json_import_with_a_surrogate_escape_is_named_by_file_and_line(
        reg: Register, tmp_path: Path, run_cli: Any) -> None:
    """merge-bundle reads a bundle's JSON, and json.loads turns "\\ud800" into a lone
    surrogate: named by file and line, nothing merged."""
    from calnet_desk.exchange.bundle import export_bundle, parse_scope

    with reg.transaction("orders") as tx:
        tx.put(ORDERS, _order(description="QQQQ"))
    day = dt.date(2026, 12, 1)
    out = tmp_path / "b.zip"
    export_bundle(reg, out, parse_scope("all"), day, today=day)
    changed = tmp_path / "changed.zip"
    with zipfile.ZipFile(out) as zin, zipfile.ZipFile(changed, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith((".json", ".jsonl")):
                data = data.replace(b"QQQQ", b"a\\ud800b")
            zout.writestr(info, data)
    target = tmp_path / "target"
    assert run_cli("--data-dir", str(target), "init", "--agency", "Other",
                   "--agency-class", "non-exempt-state").code == 0
    r = run_cli("--data-dir", str(target), "merge-bundle", str(changed),
                "--allow-other-agency")
    assert r.code == 1 and "Traceback" not in r.err, r
    assert re.search(r"data/history/entries\.jsonl line \d+: entry \d+ holds U\+D800, a lone "
                     r"surrogate \(half of a UTF-16 pair\), which is not a character: no "
                     r"register holds one", r.err), r.err
    assert "nothing was merged" in r.err
    with Register.open(target) as merged:
        assert merged.records(ORDERS) == []
