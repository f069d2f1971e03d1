"""Texts an XLSX cell cannot hold as they are: past Excel's 32,767 UTF-16 units (XlsxWriter
cuts them) and the non-characters U+FFFE and U+FFFF (written as Excel's escapes, which the
reader leaves). A bundle keeps them whole in its CSV and JSON, its XLSX says where (a
long text's cell holds its beginning and a note), and verify expects exactly what its XLSX
holds: it reported our own bundles as changed."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl

from calnet_desk.exchange.bundle import export_bundle, parse_scope, verify, verify_bundle
from calnet_desk.exchange.sheets import XLSX_CELL_UNITS, as_xlsx_text, xlsx_units
from calnet_desk.records import KINDS
from calnet_desk.store import Register

AS_OF = dt.date(2026, 12, 1)

LONG = "x" * 40_000
ASTRAL = "\U0001F600" * 16_384  # 32,768 UTF-16 units: one character too many


def test_a_text_is_cut_for_xlsx_where_xlsxwriter_cuts_it() -> None:
    from xlsxwriter.utility import _utf16_truncate

    for text in (LONG, ASTRAL, "a" + ASTRAL, "a" * 32_767, "a" * 32_766 + "\U0001F600",
                 "é" * 40_000, ""):
        assert as_xlsx_text(text) == _utf16_truncate(text, XLSX_CELL_UNITS)
    assert as_xlsx_text(ASTRAL) == "\U0001F600" * 16_383


def test_a_bundle_with_a_text_longer_than_a_cell_verifies_and_keeps_it_whole(
        reg: Register, tmp_path: Path) -> None:
    """Our own bundle was reported changed ("row 2 column description differs"): XlsxWriter
    cut the text in orders.xlsx, and verify expected it whole."""
    with reg.transaction("orders") as tx:
        for key, text in (("O-1", LONG), ("O-2", ASTRAL), ("O-3", "short")):
            tx.put(KINDS["orders"], {"request_number": key, "request_date": "2026-01-05",
                                     "order_type": "new", "contractor": "AT&T",
                                     "description": text})
    out = tmp_path / "b.zip"
    export_bundle(reg, out, parse_scope("all"), AS_OF, today=AS_OF)
    assert verify_bundle(out) == []
    bag = f"calnet-bundle-{AS_OF.isoformat()}/data/records"
    with zipfile.ZipFile(out) as zf:
        records = json.loads(zf.read(f"{bag}/orders.json"))
        xlsx = zf.read(f"{bag}/orders.xlsx")
    assert [r["description"] for r in records] == [LONG, ASTRAL, "short"]  # whole
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    header = [c.value for c in sheet[1]]
    column = header.index("description")
    cells = [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)]
    # each long text's beginning, and where it is whole, within the cell's 32,767 units
    for cell, text, units in ((cells[0], LONG, "40,000"), (cells[1], ASTRAL, "32,768")):
        note = (f" [… cut here: the whole text is {units} characters long, more than an XLSX "
                "cell holds; orders.csv and orders.json beside this file hold it whole]")
        assert cell.endswith(note) and text.startswith(cell[:-len(note)])
        assert xlsx_units(cell) in (XLSX_CELL_UNITS, XLSX_CELL_UNITS - 1)  # an emoji is 2
    assert cells[2] == "short"


def _unpacked_bundle(reg: Register, tmp_path: Path, text: str) -> Path:
    """The bag's folder of a bundle of one order whose description is ``text``, unpacked."""
    with reg.transaction("orders") as tx:
        tx.put(KINDS["orders"], {"request_number": "O-1", "request_date": "2026-01-05",
                                 "order_type": "new", "contractor": "AT&T",
                                 "description": text})
    out = tmp_path / "b.zip"
    export_bundle(reg, out, parse_scope("all"), AS_OF, today=AS_OF)
    folder = tmp_path / "bag"
    with zipfile.ZipFile(out) as zf:
        zf.extractall(folder)
    return folder / f"calnet-bundle-{AS_OF.isoformat()}"


def _bag_with_description_cell(reg: Register, tmp_path: Path, text: str, cell: str) -> Path:
    """:func:`_unpacked_bundle` with its orders.xlsx cell rewritten to ``cell``."""
    root = _unpacked_bundle(reg, tmp_path, text)
    path = root / "data/records/orders.xlsx"
    book = openpyxl.load_workbook(path)
    header = [c.value for c in book.active[1]]
    book.active.cell(2, header.index("description") + 1).value = cell
    book.save(path)
    return root


def test_a_bundle_made_before_the_note_still_verifies(reg: Register, tmp_path: Path) -> None:
    """Bundles made before the cell said where the text is whole hold it cut where
    XlsxWriter cut it, with no note: still our own bundle, not a changed one."""
    root = _bag_with_description_cell(reg, tmp_path, ASTRAL, as_xlsx_text(ASTRAL))
    problems = verify.verify_bag(root)
    assert any("orders.xlsx does not match its SHA-256" in p for p in problems)  # rewritten
    assert not any("orders.xlsx:" in p for p in problems)  # but its cells are ours


def test_a_changed_long_text_in_the_xlsx_is_still_found(reg: Register, tmp_path: Path
                                                       ) -> None:
    root = _bag_with_description_cell(reg, tmp_path, LONG, "y" + LONG[1:XLSX_CELL_UNITS])
    assert any("orders.xlsx: row 2 column description differs" in p
               for p in verify.verify_bag(root))


def test_a_bundle_with_texts_no_xml_holds_verifies(reg: Register, tmp_path: Path) -> None:
    """U+FFFE and U+FFFF are written as Excel's escapes _xFFFE_ and _xFFFF_, which the
    reader leaves as they are: verify reported our own bundle's orders.xlsx as changed."""
    texts = ("a\ufffeb", "\uffff", "_xFFFE_ and \ufffe")
    with reg.transaction("orders") as tx:
        for i, text in enumerate(texts):
            tx.put(KINDS["orders"], {"request_number": f"O-{i}", "request_date": "2026-01-05",
                                     "order_type": "new", "contractor": "AT&T",
                                     "description": text})
    out = tmp_path / "b.zip"
    export_bundle(reg, out, parse_scope("all"), AS_OF, today=AS_OF)
    assert verify_bundle(out) == []
    with zipfile.ZipFile(out) as zf:
        records = json.loads(zf.read(f"calnet-bundle-{AS_OF.isoformat()}/data/records/"
                                     "orders.json"))
    assert [r["description"] for r in records] == list(texts)


def test_importing_a_bundles_cut_cell_is_refused_and_its_csv_imports_whole(
        reg: Register, tmp_path: Path, run_cli: Any) -> None:
    """A bundle's orders.xlsx imported as it is would store the cut text and its note: the
    cell is named, and the CSV beside it brings the whole text (16,384 characters: within
    the 32,767 characters import takes a cell, past the 32,767 UTF-16 units of XLSX)."""
    records = _unpacked_bundle(reg, tmp_path, ASTRAL) / "data" / "records"
    target = tmp_path / "target"
    assert run_cli("--data-dir", str(target), "init", "--agency", "Other",
                   "--agency-class", "non-exempt-state").code == 0
    sheet = records / "orders.xlsx"
    r = run_cli("--data-dir", str(target), "import", str(sheet), "--kind", "orders")
    assert r.code == 1, r
    assert (f"{sheet}:2:description: holds only the beginning of a longer text, cut where a "
            "spreadsheet cell ends (the note at its end says so); import the CSV or JSON "
            "beside this workbook, which holds it whole") in r.err, r.err
    with Register.open(target) as again:
        assert again.records(KINDS["orders"]) == []
    r = run_cli("--data-dir", str(target), "import", str(records / "orders.csv"), "--kind",
                "orders")
    assert r.code == 0, r
    with Register.open(target) as again:
        assert again.get(KINDS["orders"], "O-1")["description"] == ASTRAL  # type: ignore
