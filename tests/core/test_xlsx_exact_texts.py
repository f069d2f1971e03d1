"""A text an XLSX cell would give back changed, though it fits, is refused by the XLSX
exports as a long one is, pointing to CSV: U+FFFE and U+FFFF (no XML file holds them: a
reader gives back "_xFFFE_"), and texts that read as XLSX's own character escape once
written ("_x005F_x0041_" came back as "_x005FA"; "_x0041" before a control character as
"A" and the rest). Every other text comes back as it was."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from factories import orders_described, refused_xlsx_export
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calnet_desk.exchange.exporter import export_kind
from calnet_desk.exchange.sheet_reader import read_rows
from calnet_desk.exchange.sheets import (
    TextNotKeptByXlsx,
    TextTooLongForXlsx,
    changed_in_xlsx,
    write_xlsx,
)
from calnet_desk.records import KINDS
from calnet_desk.store import Register

ORDERS = KINDS["orders"]
# the pieces XLSX's escapes are made of, and the characters that are escaped
PIECES = ["_", "x", "0", "4", "1", "5", "F", "f", "a", "\x01", "\r", "\n", "\ufffe", "\uffff",
          "_x0041_", "_x005F_", "_x0041", "_x00", "41_", " "]


def _round_trip(texts: list[str], path: Path) -> list[str]:
    write_xlsx(path, "t", ["text"], [[t] for t in texts], [None])
    with read_rows(path) as rows:
        return [str(cells[0]) for _, cells in rows][1:]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from(PIECES), min_size=1, max_size=10).map(
    lambda parts: "z" + "".join(parts)), min_size=1, max_size=40))
def test_an_xlsx_export_gives_back_every_text_it_writes(tmp_path: Path,
                                                        texts: list[str]) -> None:
    path = tmp_path / "t.xlsx"
    path.unlink(missing_ok=True)
    kept = [t for t in texts if changed_in_xlsx(t) is None]
    if len(kept) < len(texts):
        with pytest.raises(TextNotKeptByXlsx):
            _round_trip(texts, path)
        assert not path.exists()
    if kept:
        assert _round_trip(kept, path) == kept


@pytest.mark.parametrize(("text", "read_back"), [
    ("a\ufffeb", "a_xFFFE_b"), ("c\uffffd", "c_xFFFF_d"), ("_x005F_x0041_", "_x005FA"),
    ("_x0041\x01", "Ax0001_")])
def test_the_texts_a_cell_changes_are_the_ones_refused(tmp_path: Path, text: str,
                                                       read_back: str) -> None:
    """What a cell does to each when written anyway (XlsxWriter's own escaping, which the
    export used until this check): why they are refused."""
    import xlsxwriter

    path = tmp_path / "raw.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet().write_string(0, 0, text)
    wb.close()
    with read_rows(path) as rows:
        assert [cells[0] for _, cells in rows] == [read_back]
    assert changed_in_xlsx(text) is not None
    assert changed_in_xlsx("_x0041_ and _x005F_ alone, \x01, tabs\tand lines\n") is None


def test_export_refuses_a_text_a_cell_would_change_and_writes_nothing(
        reg: Register, tmp_path: Path, run_cli: Any) -> None:
    orders_described(reg, **{"O-1": "plain", "O-2": "Line\ufffe7"})
    out = tmp_path / "orders.xlsx"
    root, err = refused_xlsx_export(reg, run_cli, out)
    assert (f"calnet-desk-cli: {out} was not written: the description of order O-2 holds "
            "U+FFFE at character 5, which is not a character and which no XLSX file can "
            "hold. Export as CSV instead: it keeps every character as it is.") in err
    r = run_cli("--data-dir", str(root), "export", "--kind", "orders", "--format", "csv",
                "-o", str(tmp_path / "orders.csv"))
    assert r.code == 0, r
    assert "Line\ufffe7" in (tmp_path / "orders.csv").read_text(encoding="utf-8-sig")


def test_an_escape_look_alike_is_named_with_its_text(reg: Register, tmp_path: Path) -> None:
    orders_described(reg, **{"O-1": "see _x005F_x0041_ here"})
    out = tmp_path / "o.xlsx"
    with pytest.raises(TextNotKeptByXlsx) as e:
        export_kind(reg, ORDERS, "xlsx", out)
    assert not isinstance(e.value, TextTooLongForXlsx)
    assert ("the description of order O-1 holds '_x005F_x0041_' at character 5, which a "
            "spreadsheet reads back as XLSX's own escape for another character") in str(e.value)
    assert not out.exists()
