"""A text longer than an XLSX cell holds (Excel's 32,767 UTF-16 units) is refused by every
XLSX export, before anything is written, with a sentence naming the record, the field and
its length and pointing to CSV: XlsxWriter cut it silently, so export-then-import shortened
the record. CSV keeps any length."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from factories import orders_described, refused_xlsx_export

from calnet_desk.exchange.exporter import export_kind
from calnet_desk.exchange.sheets import TextTooLongForXlsx, write_xlsx
from calnet_desk.records import KINDS
from calnet_desk.store import Register

ORDERS = KINDS["orders"]
LONG = "x" * 40_000
ASTRAL = "\U0001F600" * 16_384  # 16,384 characters, 32,768 UTF-16 units: one too many


def test_export_refuses_a_text_longer_than_a_cell_and_writes_nothing(
        reg: Register, tmp_path: Path, run_cli: Any) -> None:
    orders_described(reg, **{"O-1": "short", "O-2": LONG})
    out = tmp_path / "orders.xlsx"
    root, err = refused_xlsx_export(reg, run_cli, out)
    assert (f"calnet-desk-cli: {out} was not written: the description of order O-2 is "
            "40,000 characters long (as Excel counts them), more than the 32,767 an XLSX "
            "cell holds, and would be cut short. Export as CSV instead: it keeps texts of "
            "any length.") in err
    assert list(tmp_path.iterdir()) == [root]  # no file, no partial one
    r = run_cli("--data-dir", str(root), "export", "--kind", "orders", "--format", "csv",
                "-o", str(tmp_path / "orders.csv"))
    assert r.code == 0, r
    with open(tmp_path / "orders.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [row["description"] for row in rows] == ["short", LONG]  # whole
    target = tmp_path / "target"  # the advice holds: the CSV imports back whole
    assert run_cli("--data-dir", str(target), "init", "--agency", "Other",
                   "--agency-class", "non-exempt-state").code == 0
    r = run_cli("--data-dir", str(target), "import", str(tmp_path / "orders.csv"), "--kind",
                "orders")
    assert r.code == 0, r
    with Register.open(target) as again:
        assert again.get(ORDERS, "O-2")["description"] == LONG  # type: ignore[index]


def test_the_limit_is_counted_in_utf16_units_as_excel_counts(reg: Register,
                                                           tmp_path: Path) -> None:
    """16,384 characters above U+FFFF are 32,768 units: one more than a cell holds."""
    orders_described(reg, **{"O-1": ASTRAL})
    out = tmp_path / "o.xlsx"
    with pytest.raises(TextTooLongForXlsx, match="order O-1 is 32,768 characters long"):
        export_kind(reg, ORDERS, "xlsx", out)
    assert not out.exists()
    orders_described(reg, **{"O-1": ASTRAL[1:], "O-2": "y" * 32_767})  # exactly a cell's worth
    export_kind(reg, ORDERS, "xlsx", out)
    import openpyxl

    sheet = openpyxl.load_workbook(out, read_only=True).worksheets[0]
    column = ORDERS.columns.index("description")
    cells = [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert cells == [ASTRAL[1:], "y" * 32_767]


def test_an_existing_file_is_left_as_it_was(reg: Register, tmp_path: Path) -> None:
    orders_described(reg, **{"O-1": LONG})
    out = tmp_path / "o.xlsx"
    out.write_bytes(b"the old export")
    with pytest.raises(TextTooLongForXlsx):
        export_kind(reg, ORDERS, "xlsx", out)
    assert out.read_bytes() == b"the old export"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [reg.paths.root.name, "o.xlsx"])


def test_a_sheet_without_records_names_the_row(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    with pytest.raises(TextTooLongForXlsx) as e:
        write_xlsx(out, "t", ["a", "note"], [["1", "fine"], ["2", LONG]], [None, None])
    assert "the note of row 3 is 40,000 characters long" in str(e.value)
    assert e.value.field == "note" and e.value.units == 40_000
    assert not out.exists()


def test_the_reconciliation_workbook_cuts_a_long_note_and_says_where_it_is_whole() -> None:
    """The report is made from the register, which keeps the note whole: its cell holds the
    note's beginning and says so (XlsxWriter cut it unseen)."""
    import io

    import openpyxl

    from calnet_desk.exchange.billing_report import workbook_bytes
    from calnet_desk.policy.billing_codes import CODES
    from calnet_desk.policy.reconcile import Finding
    from calnet_desk.store.billing import Mark

    mark = Mark("2026-01", "AT&T", CODES[0], "L-1", "disputed", None, LONG, "me",
                "2026-02-01T00:00:00Z")
    found = [Finding(CODES[0], "error", "AT&T", "2026-01", "B-1", "L-1", None, 100, "why",
                     "design choice", mark=mark)]
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes(found, "2026-01", "Agency")))
    notes = [c for row in book[CODES[0][:31]].iter_rows(values_only=True) for c in row
             if isinstance(c, str) and c.startswith("xxx")]
    note = (" [… cut here: the whole text is 40,000 characters long, more than an XLSX cell "
            "holds; `calnet-desk-cli reconcile --json` and the register hold it whole]")
    assert notes == [LONG[:32_767 - len(note)] + note]  # a cell's worth, note included
