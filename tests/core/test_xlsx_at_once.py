"""The register's sheets written a row at a time (sheets._sheet_at_once) are XlsxWriter's own
bytes, cell for cell: compared with XlsxWriter writing every cell, on drawn sheets; what the
quick way does not write falls back to XlsxWriter."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calnet_desk.exchange import sheets
from calnet_desk.exchange.sheets import MONEY_FORMAT, xlsx_bytes

WHEN = dt.datetime(2026, 12, 1)
FORMATS = [None, "0", "mm/dd/yyyy", MONEY_FORMAT, "@", "General"]
TEXTS = st.one_of(
    st.sampled_from(["=1+2", "'x", "+1", "-2", "@a", " lead", "trail ", "\t", "a&b<c>\"d",
                     "x\x01y", "_x0041_", "\ufffe", "line\nbreak", "plain = text", "<b>",
                     "", "é"]),
    st.text(max_size=12))
NUMBERS = st.one_of(
    st.integers(min_value=-2**63, max_value=2**63 - 1), st.booleans(),
    st.integers(min_value=-2**63, max_value=2**63 - 1).map(lambda c: Decimal(c) / 100),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 10**20, 1900, Decimal("0.10"), Decimal("1E+3")]))
DATES = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9999, 12, 31))


def cell_by_cell(*args: object) -> bytes:
    buffer = io.BytesIO()
    sheets._write_workbook(buffer, *args)  # type: ignore[arg-type]
    return sheets._fix_times(buffer.getvalue(), WHEN)


@st.composite
def sheet(draw: st.DrawFn) -> tuple[list[str], list[list[object]], list[str | None]]:
    width = draw(st.integers(1, 6))
    header = draw(st.lists(st.sampled_from(["a", "b", "ab", " h", "=h", "é"]),
                           min_size=width, max_size=width))
    formats = draw(st.lists(st.sampled_from(FORMATS), min_size=width, max_size=width))
    cells = [st.one_of(st.none(), TEXTS, NUMBERS, *([DATES] if f else [])) for f in formats]
    rows = draw(st.lists(st.tuples(*cells).map(list), max_size=40))
    return header, rows, formats


@settings(max_examples=150, deadline=None)
@given(sheet())
def test_a_sheet_at_once_is_xlsxwriters_own_bytes(
        drawn: tuple[list[str], list[list[object]], list[str | None]]) -> None:
    header, rows, formats = drawn
    quick = sheets._sheet_at_once("orders", header, rows, formats, WHEN)
    assert quick is not None
    assert sheets._fix_times(quick, WHEN) == cell_by_cell("orders", header, rows, formats, WHEN)


def test_blocks_of_sixteen_rows_and_a_sheet_of_one_cell() -> None:
    rows: list[list[object]] = [[None, None, None] for _ in range(50)]
    rows[17][2] = "far right"  # the second block's span is 3:3
    rows[40][0] = Decimal("12.30")
    for header, data in ((["a", "b", "c"], rows), (["only"], []), (["only"], [[None]])):
        formats = [MONEY_FORMAT] * len(header)
        assert xlsx_bytes("t", header, data, formats, WHEN) == cell_by_cell(
            "t", header, data, formats, WHEN)


def test_values_it_does_not_write_go_to_xlsxwriter() -> None:
    for value in ("x" * 20000, dt.datetime(2026, 1, 2, 3, 4),
                  Decimal("NaN"), float("inf"), object()):
        assert sheets._sheet_at_once("t", ["a"], [[value]], ["0"], WHEN) is None
    # a date in a column without a number format, an empty header, a short row
    assert sheets._sheet_at_once("t", ["a"], [[dt.date(2026, 1, 2)]], [None], WHEN) is None
    assert sheets._sheet_at_once("t", [], [], [], WHEN) is None
    assert sheets._sheet_at_once("t", ["a", "b"], [["x"]], [None, None], WHEN) is None
    data: list[list[object]] = [["<r>rich?"], ["x" * 20000], [dt.date(2026, 1, 2)]]
    assert xlsx_bytes("t", ["a"], data, ["mm/dd/yyyy"], WHEN) == cell_by_cell(
        "t", ["a"], data, ["mm/dd/yyyy"], WHEN)


RICH_LOOKING = ["<r>plain words</r>", "<r><t>x</t></r>",
                "<r></t></is></c></row></sheetData></r>", "=<r>formula-like</r>"]


def test_texts_xlsxwriter_would_take_for_xml_come_back_as_typed(tmp_path: Path) -> None:
    """A record's text "<r>…</r>" came back empty, or made a file no reader opens: XlsxWriter
    wrote it into the file as rich-text XML (export, bundles, the reconciliation report)."""
    header = ["description", "n"]
    rows: list[list[object]] = [[text, 1] for text in RICH_LOOKING]
    quick = xlsx_bytes("orders", header, rows, [None, "0"], WHEN)  # written at once
    cell = xlsx_bytes("orders", header, [*rows, [dt.datetime(2026, 1, 2), 2]],
                      [None, "0"], WHEN)  # a datetime: XlsxWriter cell by cell
    streamed = tmp_path / "export.xlsx"
    sheets.write_xlsx(streamed, "orders", header, rows, [None, "0"])
    report = sheets.workbook_bytes([sheets.Sheet("r", [[sheets.Cell(t)] for t in RICH_LOOKING])],
                                   "the register")
    for content in (quick, cell, streamed.read_bytes(), report):
        book = openpyxl.load_workbook(io.BytesIO(content))
        assert [r[0] for r in book.active.iter_rows(min_row=1, values_only=True)
                if r[0] in RICH_LOOKING] == RICH_LOOKING
    path = tmp_path / "quick.xlsx"
    path.write_bytes(quick)
    with sheets.read_rows(path) as numbered:
        assert [cells[0] for _n, cells in numbered][1:] == RICH_LOOKING


# Characters where XlsxWriter's escaping and its xml:space rule decide: every control
# character, Unicode spaces (\s) that are no control character, XML's specials, escapes
# that look like _xHHHH_, non-characters, characters above U+FFFF, rich-text tags.
HOSTILE = st.lists(st.one_of(
    st.sampled_from([chr(c) for c in range(0x20)] + [
        "\x7f", "\x85", "\xa0", "\u1680", "\u2000", "\u2028", "\u2029", "\u3000", "\ufeff",
        "\ufffe", "\uffff", "\U0001F600", "\U0010FFFD", "&", "<", ">", '"', "'", "]]>",
        "_x0041_", "_X004a_", "_x005F_", "_x", "<r>", "</r>", "<t>", " ", "=", "+", "-",
        "@"]),
    # no lone surrogates (category Cs): no register text holds one (the store refuses it
    # before anything is written: tests/core/test_lone_surrogates.py), so no export meets one
    st.characters(exclude_categories=("Cs",))), max_size=16).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(HOSTILE, min_size=1, max_size=12))
def test_hostile_texts_at_once_are_xlsxwriters_bytes_and_read_back_as_typed(
        tmp_path_factory: pytest.TempPathFactory, texts: list[str]) -> None:
    rows: list[list[object]] = [[t, i, dt.date(2026, 1, 1 + i % 28), Decimal(i) / 100]
                                for i, t in enumerate(texts)]
    header = ["text", "n", "day", "cost"]
    formats = [None, "0", "mm/dd/yyyy", MONEY_FORMAT]
    quick = sheets._sheet_at_once("orders", header, rows, formats, WHEN)
    assert quick is not None
    rich = [sheets._taken_as_rich_text(t) for t in texts]
    if not any(rich):  # XlsxWriter writes those as runs; the quick way as plain strings
        assert sheets._fix_times(quick, WHEN) == cell_by_cell("orders", header, rows,
                                                              formats, WHEN)
    path = tmp_path_factory.mktemp("hostile") / "quick.xlsx"
    path.write_bytes(quick)
    with sheets.read_rows(path) as numbered:  # as import and verify read it
        # U+FFFE and U+FFFF, which no XML holds, come back as Excel's escapes (the reader
        # decodes no _xFFFE_; verify expects them so)
        assert [cells[0] for _n, cells in numbered][1:] == [
            t.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_") for t in texts]


def test_texts_on_the_at_once_limit_and_past_it() -> None:
    """16,383 characters are written at once; longer ones go to XlsxWriter, whole up to a
    cell's 32,767 UTF-16 units and refused past them (XlsxWriter would cut them)."""
    for text in ("y" * 16_383, " " + "y" * 16_381 + " ", "\U0001F600" * 16_383):
        quick = sheets._sheet_at_once("t", ["a"], [[text]], [None], WHEN)
        assert quick is not None
        assert sheets._fix_times(quick, WHEN) == cell_by_cell("t", ["a"], [[text]], [None],
                                                              WHEN)
    for text in ("y" * 16_384, "y" * 32_767, "\U0001F600" * 16_383 + "y"):
        assert sheets._sheet_at_once("t", ["a"], [[text]], [None], WHEN) is None
        book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes("t", ["a"], [[text]], [None],
                                                            WHEN)))
        assert book.active["A2"].value == text
    for text in ("y" * 32_768, "y" * 40_000, "\U0001F600" * 16_384):
        with pytest.raises(sheets.TextTooLongForXlsx, match="the a of row 2 is"):
            xlsx_bytes("t", ["a"], [[text]], [None], WHEN)
