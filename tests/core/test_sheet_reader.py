"""The spreadsheet reader (calnet_desk.exchange.sheet_reader): what it yields, and the
hostile workbooks it refuses (or streams) before any parser expands them."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calnet_desk.exchange import sheet_reader
from calnet_desk.exchange.sheet_reader import SheetError, read_rows

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.'
        'org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
        'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.'
        'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
        f'{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/workbook.xml": (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{_NS}" xmlns:r="{_REL}">'
        '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
        f'{_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
}


def workbook(path: Path, rows_xml: str, dimension: str | None = None) -> Path:
    """A one-sheet workbook whose sheetData is ``rows_xml``, as given (no checks)."""
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{_NS}">{dim}'
             f"<sheetData>{rows_xml}</sheetData></worksheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in _PARTS.items():
            zf.writestr(name, text)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return path


def text(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def rows_of(path: Path) -> list[tuple[int, list[object]]]:
    with read_rows(path) as rows:
        return [(n, list(r)) for n, r in rows]


def blank(cell: object) -> bool:
    return cell is None or cell == ""


def test_cells_come_back_as_the_values_a_spreadsheet_shows(tmp_path: Path) -> None:
    path = workbook(tmp_path / "v.xlsx",
                    f'<row r="1">{text("A1", "name")}<c r="B1" t="b"><v>1</v></c>'
                    '<c r="C1"><v>23</v></c><c r="D1"><v>1234.5</v></c></row>'
                    f'<row r="3">{text("B3", "late")}</row>')
    got = rows_of(path)
    assert [n for n, _ in got] == [1, 2, 3]
    assert got[0][1] == ["name", True, 23, 1234.5]
    assert all(blank(c) for c in got[1][1])
    assert blank(got[2][1][0]) and got[2][1][1] == "late"


def test_a_sheet_starting_past_column_a_keeps_its_columns(tmp_path: Path) -> None:
    """calamine starts its rows at the first column used; the reader pads them back, so
    columns and rows are where a spreadsheet shows them."""
    path = workbook(tmp_path / "off.xlsx",
                    f'<row r="2">{text("C2", "h1")}{text("D2", "h2")}</row>'
                    f'<row r="4">{text("D4", "x")}</row>')
    got = rows_of(path)
    assert [n for n, _ in got] == [1, 2, 3, 4]
    assert got[1][1][2:4] == ["h1", "h2"] and all(blank(c) for c in got[1][1][:2])
    assert got[3][1][3] == "x" and all(blank(c) for c in got[3][1][:3])


def test_dates_come_back_as_dates(tmp_path: Path) -> None:
    import openpyxl  # a workbook with real date formats, as Excel writes them

    wb = openpyxl.Workbook()
    wb.active.append(["when", "at"])
    wb.active.append([dt.date(2026, 1, 5), dt.datetime(2026, 2, 1, 14, 30)])
    path = tmp_path / "d.xlsx"
    wb.save(path)
    [_, (_, row)] = rows_of(path)
    day, moment = row[0], row[1]
    assert isinstance(day, dt.date) and day.isoformat()[:10] == "2026-01-05"
    assert isinstance(moment, dt.datetime) and moment == dt.datetime(2026, 2, 1, 14, 30)


def test_cells_without_positions_are_streamed_by_the_fallback(tmp_path: Path) -> None:
    """Cells without ``r="…"`` (positions implied by order) cannot be bounded by a look at
    the bytes: such a sheet goes to the streaming reader, and reads the same."""
    path = workbook(tmp_path / "noref.xlsx",
                    '<row r="1"><c t="inlineStr"><is><t>a</t></is></c>'
                    '<c t="inlineStr"><is><t>b</t></is></c></row>'
                    '<row r="2"><c><v>1</v></c><c><v>2</v></c></row>')
    got = rows_of(path)
    assert [list(r) for _, r in got] == [["a", "b"], [1, 2]]


@pytest.mark.parametrize(("case", "cells", "message"), [
    ("column-beyond-xfd", text("A1", "a") + text("XFE1", "b"), "beyond column XFD"),
    ("row-beyond-excel", f'<row r="1">{text("A1", "a")}</row>'
     f'<row r="1048577">{text("A1048577", "b")}</row>', "beyond row 1,048,576"),
    ("row-overflow", f'<row r="1">{text("A99999999999999", "b")}</row>', "beyond row"),
])
def test_positions_past_excels_limits_are_refused(tmp_path: Path, case: str, cells: str,
                                                  message: str) -> None:
    rows_xml = cells if cells.startswith("<row") else f'<row r="1">{cells}</row>'
    path = workbook(tmp_path / f"{case}.xlsx", rows_xml)
    with pytest.raises(SheetError, match=message), read_rows(path) as rows:
        list(rows)


def test_a_declared_dimension_past_excels_limits_is_refused_first(tmp_path: Path) -> None:
    path = workbook(tmp_path / "dim.xlsx", f'<row r="1">{text("A1", "a")}</row>',
                    dimension="A1:B2000000")
    with pytest.raises(SheetError, match="says it spans A1:B2000000"), read_rows(path) as rows:
        list(rows)


_CHILD = """
import sys
from pathlib import Path
from calnet_desk.exchange.sheet_reader import SheetError, read_rows
try:
    with read_rows(Path(sys.argv[1])) as rows:
        n = sum(1 for _ in rows)
    print("read", n)
except SheetError as e:
    print("refused", e)
"""


def test_two_far_apart_cells_do_not_take_the_process_down(tmp_path: Path) -> None:
    """A1 and XFD1048576: calamine would allocate a grid of 17 billion cells and abort the
    process. The look at the bytes measures the grid first: past the Excel-sized
    column limit of an import the sheet is refused; a grid too large for memory is
    streamed. Run in a child process, so a regression fails this test, not the suite."""
    far = workbook(tmp_path / "far.xlsx", f'<row r="1">{text("A1", "a")}</row>'
                   f'<row r="1048576">{text("XFD1048576", "b")}</row>')
    tall = workbook(tmp_path / "tall.xlsx", f'<row r="1">{text("A1", "a")}</row>'
                    f'<row r="1048576">{text("B1048576", "b")}</row>')
    for path, expected in ((far, "refused"), (tall, "read 1048576")):
        done = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True,
                              text=True, timeout=600, cwd=Path(__file__).parents[2])
        assert done.returncode == 0, done.stderr[-2000:]
        assert done.stdout.startswith(expected), done.stdout


def test_a_grid_too_large_for_memory_is_streamed(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = sheet_reader._openpyxl

    def spy(path: Path, label: str):  # type: ignore[no-untyped-def]
        calls.append(label)
        return real(path, label)

    monkeypatch.setattr(sheet_reader, "_openpyxl", spy)
    path = workbook(tmp_path / "wide.xlsx", f'<row r="1">{text("A1", "a")}</row>'
                    f'<row r="500000">{text("Z500000", "b")}</row>')
    monkeypatch.setattr(sheet_reader, "CALAMINE_MAX_CELLS", 1_000_000)
    with read_rows(path) as rows:
        first = next(rows)
    assert first[0] == 1 and first[1][0] == "a"
    assert calls == [str(path)]


def test_a_zip_bomb_is_refused_from_its_declared_sizes(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, part in _PARTS.items():
            zf.writestr(name, part)
        zf.writestr("xl/sharedStrings.xml", b"\0" * (50 << 20))
    with pytest.raises(SheetError, match="zip bomb"), read_rows(path) as rows:
        list(rows)


def test_a_zip_bomb_is_caught_while_inflating_whatever_it_declares(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The declared sizes are only a first look: the bytes are counted while inflating.
    (The check of the declared sizes is switched off here, as a lying central directory
    would get past it.)"""
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, part in _PARTS.items():
            zf.writestr(name, part)
        zf.writestr("xl/sharedStrings.xml", b"\0" * (50 << 20))
    monkeypatch.setattr(sheet_reader, "_check_declared", lambda zf, label: None)
    with pytest.raises(SheetError, match="unpacks to more than 200 times its packed size"), \
            read_rows(path) as rows:
        list(rows)


def test_a_doctype_is_refused_before_any_parser(tmp_path: Path) -> None:
    path = workbook(tmp_path / "dtd.xlsx", f'<row r="1">{text("A1", "&a;")}</row>')
    with zipfile.ZipFile(path) as zin:
        parts = {i.filename: zin.read(i) for i in zin.infolist()}
    parts["xl/worksheets/sheet1.xml"] = parts["xl/worksheets/sheet1.xml"].replace(
        b"<worksheet", b'<!DOCTYPE w [<!ENTITY a "aaaa">]><worksheet', 1)
    with zipfile.ZipFile(path, "w") as zout:
        for name, data in parts.items():
            zout.writestr(name, data)
    with pytest.raises(SheetError, match="DOCTYPE"), read_rows(path) as rows:
        list(rows)


def test_error_cells_read_as_their_text(tmp_path: Path) -> None:
    """calamine reads an error cell (``t="e"``) as empty; the reader gives its text, as
    openpyxl did (CALNET Desk's exports before layout 2 wrote the text "#N/A" as one)."""
    path = workbook(tmp_path / "err.xlsx",
                    f'<row r="1">{text("A1", "a")}<c r="B1" t="e"><v>#N/A</v></c></row>'
                    '<row r="2"><c r="C2" s="0" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>')
    got = rows_of(path)
    assert got[0][1][:2] == ["a", "#N/A"]
    assert got[1][1][2] == "#DIV/0!"


def _look_every_length(block: bytes, shape: sheet_reader._SheetShape, part: str = "") -> None:
    """The look at a block as it was before it searched only for longer positions: every
    length of letters and digits searched for, every kind of cell start counted."""
    t = block.translate(sheet_reader._SHAPES)
    starts = sum(t.count(s) for s in sheet_reader._CELL_STARTS)
    if not starts and b":c" not in t:
        return
    if b't="e"' in block:
        sheet_reader._error_cells(block, shape.errors.setdefault(part, {}))
    before = shape.bound()
    shape.cells += starts
    shape.positioned += t.count(b'<c r="')
    if any(p in t for p in sheet_reader._PREFIXED_CELLS):
        shape.prefixed = True
    for n in range(4, shape.letters, -1):
        if b'<c r="' + b"A" * n in t:
            shape.letters = n
            break
    for d in range(8, shape.digits, -1):
        if any(b'<c r="' + b"A" * n + b"0" * d in t for n in (1, 2, 3)):
            shape.digits = d
            break
    rows, columns = shape.bound()
    if not shape.measured and (rows * columns > sheet_reader.CALAMINE_MAX_CELLS
                               or shape.letters > 2):
        shape.measured = True
        shape.exact_rows, shape.exact_columns = before
    if shape.measured:
        sheet_reader._measure(block, shape)


_CELL_XML = st.sampled_from([
    '<c r="{ref}"><v>1</v></c>', '<c r="{ref}" t="s"><v>0</v></c>', '<c\nr="{ref}"/>',
    '<c r="{ref}" t="e"><v>#N/A</v></c>', "<c><v>2</v></c>", "<c/>", '<x:c r="{ref}"/>',
    '<cols><col min="1" max="3" width="9"/></cols>', '<c r="{ref}" s="12345678"/>',
    '<c r="{ref}" t="inlineStr"><is><t>AB1234567 x:c </t></is></c>'])
_REF = st.builds(lambda letters, row: f"{letters}{row}",
                 st.text("ABCXYZ", min_size=1, max_size=5),
                 st.integers(0, 10**9) | st.integers(1, 200))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.tuples(_CELL_XML, _REF), max_size=12), min_size=1, max_size=4))
def test_the_look_at_a_sheets_bytes_finds_what_a_search_for_every_length_finds(
        blocks: list[list[tuple[str, str]]]) -> None:
    """Searching each block only for positions longer than those already seen gives the
    shape a search for every length gives (cells, positions, letters, digits, measured
    bounds, error cells), block after block."""
    fast, every = sheet_reader._SheetShape(), sheet_reader._SheetShape()
    for cells in blocks:
        block = "".join(xml.format(ref=ref) for xml, ref in cells).encode()
        sheet_reader._look(block, fast, "s")
        _look_every_length(block, every, "s")
        assert fast == every
