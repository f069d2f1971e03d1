"""Spreadsheet files (CSV and XLSX): writing them here, reading them in :mod:`.sheet_reader`
(re-exported below, so callers keep importing from this module)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..files import atomic_output, write_atomically
from ..store.exceptions import StoreError
from ..values import FORMULA_TRIGGERS
from .sheet_reader import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_SHEET_BYTES,
    Row,
    SheetError,
    read_rows,
    sheet_format,
    xlsx_custom_property,
)

__all__ = ["MAX_CELL_CHARS", "MAX_COLUMNS", "MAX_SHEET_BYTES", "Row", "SheetError",
           "read_rows", "sheet_format", "write_csv", "write_xlsx", "xlsx_bytes", "Cell", "Sheet",
           "XLSX_CELL_UNITS", "as_xlsx_text", "text_or_where_whole", "cut_with_note",
           "TextTooLongForXlsx", "TextNotKeptByXlsx", "changed_in_xlsx", "RowName",
           "sheet_row", "too_long_for_xlsx", "xlsx_units",
           "workbook_bytes", "texts_as_typed", "xlsx_layout"]
FORMULA_LOOKING = (*FORMULA_TRIGGERS, "'")


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    """UTF-8 with a byte-order mark, so Excel reads it right."""
    with atomic_output(path) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


# The workbook property that marks the layout of CALNET Desk's own XLSX files. Layout 2:
# every text is a string cell holding the text as typed (a spreadsheet never reads a string
# cell as a formula; one that looks like a formula gets Excel's quote-prefix style, which
# shows no apostrophe). Files without it (before) hold formula-looking texts with an
# apostrophe prefixed, as CSV still does: import removes it only from those.
LAYOUT_PROPERTY = "CALNET Desk layout"
LAYOUT = "2"
MONEY_FORMAT = '"$"#,##0.00;-"$"#,##0.00'
XLSX_FORMATS = {"money": MONEY_FORMAT, "date": "mm/dd/yyyy", "integer": "0"}
_WIDEST = 60  # characters: longer texts are cut on screen, not in the cell


RowName = Callable[[int, Sequence[object]], str]
"""How a refusal names a row: (its number in the sheet, header being 1; its cells) ->
"order O-1"."""


def sheet_row(number: int, row: Sequence[object]) -> str:
    return f"row {number}"


class TextNotKeptByXlsx(StoreError):
    """A text an XLSX cell would not give back as it is: the workbook is not written (a
    spreadsheet would show it changed, and importing it back would change the record)."""

    def __init__(self, what: str, field: str, why: str, kept: str,
                 path: Path | None = None) -> None:
        self.what, self.field, self.why, self.kept, self.path = what, field, why, kept, path
        where = "The workbook" if path is None else str(path)
        super().__init__(f"{where} was not written: the {field} of {what} {why}. Export as "
                         f"CSV instead: it keeps {kept}.")

    def at(self, path: Path) -> TextNotKeptByXlsx:
        """The same refusal, naming the file that was not written."""
        return TextNotKeptByXlsx(self.what, self.field, self.why, self.kept, path)


class TextTooLongForXlsx(TextNotKeptByXlsx):
    """A text longer than an XLSX cell holds (a spreadsheet would cut it short)."""

    def __init__(self, what: str, field: str, units: int, path: Path | None = None) -> None:
        self.units = units
        super().__init__(what, field, f"is {units:,} characters long (as Excel counts them), "
                         f"more than the {XLSX_CELL_UNITS:,} an XLSX cell holds, and would be "
                         "cut short", "texts of any length", path)

    def at(self, path: Path) -> TextTooLongForXlsx:
        return TextTooLongForXlsx(self.what, self.field, self.units, path)


# What an XLSX cell does not give back as written, though it fits: U+FFFE and U+FFFF, which
# no XML file holds (written as the escapes _xFFFE_ and _xFFFF_, which readers leave as they
# are), and a text that reads as XLSX's own character escape _xHHHH_ once written. XlsxWriter
# escapes a text's own "_xHHHH_" as "_x005F_xHHHH_", but not a second one sharing its
# underscore ("_x0041_x0042_"), nor "_xHHHH" just before a control character, whose escape
# "_x0001_" completes it. A round-trip test through XlsxWriter and the reader checks that
# every text this does not match comes back as it was.
_CHANGED_IN_XLSX = re.compile(
    "[\ufffe\uffff]|_x[0-9a-fA-F]{4}(?=_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f])")


def changed_in_xlsx(text: str) -> str | None:
    """Why an XLSX cell would not give this text back as it is (within its length), or
    None."""
    if "_x" not in text and "\ufffe" not in text and "\uffff" not in text:
        return None
    found = _CHANGED_IN_XLSX.search(text)
    if found is None:
        return None
    at = f"at character {found.start() + 1:,}"
    if found.group() in ("\ufffe", "\uffff"):
        return (f"holds U+{ord(found.group()):04X} {at}, which is not a character and which no "
                "XLSX file can hold")
    end = text.find("_", found.end() + 1)
    shown = text[found.start():end + 1 if end != -1 and end - found.start() < 14
                 else found.end() + 1]
    return (f"holds {shown!r} {at}, which a spreadsheet reads back as XLSX's own escape for "
            "another character")


def write_xlsx(path: Path, title: str, header: Sequence[str], rows: Iterable[Sequence[object]],
               number_formats: Sequence[str | None], name_row: RowName = sheet_row) -> None:
    """A one-sheet workbook (see :func:`xlsx_bytes`), written beside ``path`` first.

    The rows stream through XlsxWriter's temporary files (constant memory); the zip they
    end in is built in memory and written here. Written by XlsxWriter itself, a full disk
    left its zip half-closed, and its retry when collected printed a traceback after our
    message (the zip is a fraction of the rows' size: their XML compressed). A text longer
    than a cell holds raises :class:`TextTooLongForXlsx`, one a cell would change
    (:func:`changed_in_xlsx`) :class:`TextNotKeptByXlsx`, naming its row by ``name_row``,
    before anything is written."""
    buffer = io.BytesIO()
    try:
        _write_workbook(buffer, title, header, rows, number_formats, None, streamed=True,
                        name_row=name_row, exact=True)
    except TextNotKeptByXlsx as e:
        raise e.at(path) from None
    write_atomically(path, [buffer.getvalue()])


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[object]],
               number_formats: Sequence[str | None],
               fixed_time: dt.datetime | None = None) -> bytes:
    """The workbook's bytes. With ``fixed_time`` every timestamp inside (the document
    properties and the zip entries) is that time, so the same data gives the same bytes.
    A sheet of plain texts, dates and numbers is written at once (:func:`_sheet_at_once`),
    byte for byte what XlsxWriter writes cell by cell."""
    table: list[Sequence[Any]] = rows if isinstance(rows, list) else list(rows)
    content = _sheet_at_once(title, header, table, number_formats, fixed_time)
    if content is None:  # a value the quick way does not write: cell by cell
        buffer = io.BytesIO()
        _write_workbook(buffer, title, header, table, number_formats, fixed_time)
        content = buffer.getvalue()
    return content if fixed_time is None else _fix_times(content, fixed_time)


# every workbook: texts stay texts (never formulas, numbers or links), dates as the US writes them
_OPTIONS = {"strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False, "default_date_format": "mm/dd/yyyy"}


def _write_cell(ws: Any, row: int, col: int, value: object, text: Any, quoted: Any,
                fmt: Any) -> None:
    """One cell, typed: a text as a string cell (``quoted``, Excel's quote prefix, when it
    looks like a formula), a date as a date, a number (a Decimal too) as a number, unless
    it has more significant digits than a spreadsheet keeps: then as its exact text, which
    import reads back (the register holds whole numbers and cents up to 2**63)."""
    if isinstance(value, str):
        style = quoted if value.startswith(FORMULA_LOOKING) else text
        if _taken_as_rich_text(value):  # written as three plain runs: the same text
            ws.write_rich_string(row, col, value[:1], value[1:2], value[2:], style)
        else:
            ws.write_string(row, col, value, style)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, value, fmt)
    elif isinstance(value, int | Decimal) and not _kept_by_spreadsheets(value):
        ws.write_string(row, col, str(value), text)
    else:
        ws.write_number(row, col, float(value) if isinstance(value, Decimal) else value, fmt)


# Excel's limit on the text of a cell, in UTF-16 code units ("Total number of characters
# that a cell can contain: 32,767"); XlsxWriter cuts a longer text there.
XLSX_CELL_UNITS = 32_767


def xlsx_units(text: str) -> int:
    """The text's length as Excel counts it (UTF-16 code units)."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def too_long_for_xlsx(text: str) -> bool:
    return len(text) > XLSX_CELL_UNITS // 2 and xlsx_units(text) > XLSX_CELL_UNITS


def as_xlsx_text(text: str, limit: int = XLSX_CELL_UNITS) -> str:
    """A text cut after ``limit`` UTF-16 units, never within a character above U+FFFF, as
    XlsxWriter cuts one past a cell's 32,767 (bundles made before the cell said where the
    whole text is held this way: verify still accepts them)."""
    if len(text) <= limit // 2 or len(text.encode("utf-16-le", "surrogatepass")
                                      ) <= 2 * limit:
        return text
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return text[:index]
    return text  # pragma: no cover - the length check above returned it


# the note text_or_where_whole ends a cut text with (import refuses a cell ending in it)
_CUT_NOTE = re.compile(r" \[… cut here: the whole text is [0-9,]+ characters long, more than "
                       r"an XLSX cell holds; [^\]]+ hold it whole\]\Z")


def cut_with_note(text: str) -> bool:
    """Is this a bundle's cell holding only the beginning of a longer text
    (:func:`text_or_where_whole`)?"""
    return text.endswith("hold it whole]") and _CUT_NOTE.search(text) is not None


def text_or_where_whole(text: str, whole_in: str) -> str:
    """A text as an XLSX cell of a bundle holds it: as it is when a cell holds it, else its
    beginning and a note saying it was cut and which files (``whole_in``) hold it whole,
    within the cell's 32,767 units. A bundle keeps every text whole in its CSV and JSON
    (merge reads the JSON); its spreadsheet says so rather than cut a text unseen."""
    if not too_long_for_xlsx(text):
        return text
    note = (f" [… cut here: the whole text is {xlsx_units(text):,} characters long, more "
            f"than an XLSX cell holds; {whole_in} hold it whole]")
    return as_xlsx_text(text, XLSX_CELL_UNITS - xlsx_units(note)) + note


def _taken_as_rich_text(value: str) -> bool:
    """Would XlsxWriter write this text into the file as XML of its own? It takes a string
    cell "<r>…</r>" for rich text already in XML: a record's text "<r>plain</r>" came back
    empty, and "<r></t></is></c></row></sheetData></r>" made a file no reader opens."""
    return value.startswith("<r>") and value.endswith("</r>")


# Excel keeps 15 significant digits of a number (its specifications and limits: "Number
# precision: 15 digits"), and 15 digits always come back exactly from a double.
_SPREADSHEET_DIGITS = 15


def _kept_by_spreadsheets(number: int | Decimal) -> bool:
    if isinstance(number, int):
        return len(str(abs(number)).rstrip("0")) <= _SPREADSHEET_DIGITS
    return len(number.normalize().as_tuple().digits) <= _SPREADSHEET_DIGITS


@dataclass(frozen=True)
class Cell:
    """One cell of a report sheet: a text (always a string cell, never a formula), a
    number, a Decimal, a date or None (left empty), with its number format and weight."""
    value: object
    number_format: str | None = None
    bold: bool = False


@dataclass(frozen=True)
class Sheet:
    """A report sheet: rows of cells (an empty row is a blank line), column widths in
    characters, and whether its first row is a header kept in view."""
    name: str
    rows: list[list[Cell]]
    widths: Sequence[float] = field(default=())
    freeze_header: bool = False


def workbook_bytes(sheets: Sequence[Sheet], whole_in: str) -> bytes:
    """A workbook of several report sheets (the reconciliation report), written by the same
    engine and the same cell rules as the register's sheets: the one module that knows the
    XLSX library. A text longer than a cell holds is cut with a note that ``whole_in`` (what
    the report was made from) holds it whole (:func:`text_or_where_whole`): a report of the
    register loses nothing by it, and says so."""
    import xlsxwriter

    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True, **_OPTIONS})
    try:
        wb.set_properties({"author": "CALNET Desk"})
        wb.set_custom_property(LAYOUT_PROPERTY, LAYOUT)
        formats: dict[tuple[str | None, bool, bool], Any] = {}

        def fmt(number_format: str | None, bold: bool, quoted: bool) -> Any:
            key = (number_format, bold, quoted)
            if key not in formats:
                props: dict[str, object] = {"num_format": number_format or "General"}
                if bold:
                    props["bold"] = True
                if quoted:
                    props["quote_prefix"] = True
                formats[key] = wb.add_format(props)
            return formats[key]

        for sheet in sheets:
            ws = wb.add_worksheet(sheet.name[:31])
            for col, width in enumerate(sheet.widths):
                ws.set_column(col, col, width)
            if sheet.freeze_header:
                ws.freeze_panes(1, 0)
            for r, row in enumerate(sheet.rows):
                for c, cell in enumerate(row):
                    value = cell.value
                    if value is None:
                        continue
                    if isinstance(value, str):
                        value = text_or_where_whole(value, whole_in)
                        text = fmt(cell.number_format or "@", cell.bold,
                                   value.startswith(FORMULA_LOOKING))
                        _write_cell(ws, r, c, value, text, text, None)
                    else:
                        default = "mm/dd/yyyy" if isinstance(value, dt.date) else None
                        _write_cell(ws, r, c, value, None, None,
                                    fmt(cell.number_format or default, cell.bold, False))
    finally:
        wb.close()
    return buffer.getvalue()


def _write_workbook(target: io.BytesIO, title: str, header: Sequence[str],
                    rows: Iterable[Sequence[object]], number_formats: Sequence[str | None],
                    fixed_time: dt.datetime | None, *, streamed: bool = False,
                    name_row: RowName = sheet_row, exact: bool = False) -> None:
    """One sheet: a bold, frozen header with an autofilter, columns as wide as their
    content, dates and money as numbers with their formats, texts as string cells (never
    formulas). XlsxWriter in constant-memory mode streams the rows (benchmarks/
    xlsx_writers.py has the evidence for it over openpyxl). ``exact``: see
    :func:`_fill_workbook`."""
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    try:
        _fill_workbook(xlsxwriter, target, not streamed, title, header, rows, number_formats,
                       fixed_time, name_row, exact)
    except FileCreateError as e:  # disk full, read-only…: the OSError it wraps
        raise e.args[0] if e.args and isinstance(e.args[0], OSError) else OSError(str(e)) \
            from None


def _fill_workbook(xlsxwriter: Any, target: io.BytesIO, in_memory: bool, title: str,
                   header: Sequence[str], rows: Iterable[Sequence[object]],
                   number_formats: Sequence[str | None], fixed_time: dt.datetime | None,
                   name_row: RowName, exact: bool) -> None:
    """The sheet's cells; with ``exact`` (an export) a text a cell would change is refused
    (:func:`changed_in_xlsx`). A bundle's sheet is not refused: its CSV and JSON hold every
    text as it is, and verify knows what its cells give back."""
    wb = xlsxwriter.Workbook(target, {"constant_memory": not in_memory,
                                      "in_memory": in_memory, **_OPTIONS})
    try:
        ws, text, quoted, formats = _begin_sheet(wb, title, header, number_formats,
                                                 fixed_time)
        widths = [len(h) + 3 for h in header]  # the filter button takes about three
        n = 0
        for n, row in enumerate(rows, start=1):
            for col, (value, fmt) in enumerate(zip(row, number_formats, strict=True)):
                if value is None:
                    continue
                if isinstance(value, str):
                    if too_long_for_xlsx(value):
                        raise TextTooLongForXlsx(name_row(n + 1, row), header[col],
                                                 xlsx_units(value))
                    changed = changed_in_xlsx(value) if exact else None
                    if changed:
                        raise TextNotKeptByXlsx(name_row(n + 1, row), header[col], changed,
                                                "every character as it is")
                _write_cell(ws, n, col, value, text, quoted, formats[col])
                if isinstance(value, str):
                    shown = len(value)
                elif isinstance(value, dt.date):
                    shown = 10
                elif fmt == MONEY_FORMAT:
                    number = float(value) if isinstance(value, Decimal) else value
                    shown = len(f"${number:,.2f}")
                else:
                    shown = len(str(value))
                if shown > widths[col]:
                    widths[col] = shown
        _end_sheet(ws, header, widths, n)
    finally:
        wb.close()


def _begin_sheet(wb: Any, title: str, header: Sequence[str],
                 number_formats: Sequence[str | None], fixed_time: dt.datetime | None
                 ) -> tuple[Any, Any, Any, list[Any]]:
    """The workbook's properties, its sheet with the header written, and the cell formats:
    (sheet, text, quoted text, each column's format or None)."""
    wb.set_properties({"author": "CALNET Desk", "title": title,
                       **({"created": fixed_time} if fixed_time else {})})
    wb.set_custom_property(LAYOUT_PROPERTY, LAYOUT)
    ws = wb.add_worksheet(title[:31])
    bold = wb.add_format({"bold": True, "num_format": "@"})
    text = wb.add_format({"num_format": "@"})
    quoted = wb.add_format({"num_format": "@", "quote_prefix": True})
    formats = [wb.add_format({"num_format": f}) if f else None for f in number_formats]
    for col, name in enumerate(header):
        ws.write_string(0, col, name, bold)
    ws.freeze_panes(1, 0)
    return ws, text, quoted, formats


def _end_sheet(ws: Any, header: Sequence[str], widths: list[int], rows: int) -> None:
    """Columns as wide as their content (``widths`` in characters), the autofilter."""
    for col, width in enumerate(widths):
        ws.set_column(col, col, min(width, _WIDEST) + 1)
    ws.autofilter(0, 0, max(rows, 1), max(len(header) - 1, 0))


# --- the register's sheets at once -------------------------------------------------------------
#
# XlsxWriter spends ~10 µs of Python on each cell (0.4 s of a 5,000-order bundle's export).
# A sheet of plain values (texts, dates, numbers) is written here a row at a time into the
# XML XlsxWriter would write, with the same shared strings: XlsxWriter still writes the
# workbook around it (properties, styles, the header, widths, filter, frozen pane) from the
# header and the cell where each format is first used, and its sheet data and string table
# are then replaced by the whole ones. The bytes are XlsxWriter's own, cell for cell (the
# tests compare both ways on drawn sheets), except that a text "<r>…</r>" is a plain
# string (XlsxWriter would take it for XML: _taken_as_rich_text); any other value falls
# back to XlsxWriter.

_XLSX_ROWS = 1_048_576
_EXCEL_EPOCH = dt.date(1899, 12, 31)
_ESCAPED_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"([\x00-\x08\x0b-\x1f])")
_XML_SPECIAL = re.compile('["&<>\n]')
_SPACE_AROUND = re.compile(r"^\s|\s$")
_DIMENSION = re.compile(rb'<dimension ref="[^"]*"/>')
_SHEET_DATA = re.compile(rb"<sheetData>.*</sheetData>|<sheetData/>", re.S)
_CELL_STYLE = re.compile(rb'<c r="([A-Z]+[0-9]+)"(?: s="([0-9]+)")?')
_SHEET_PART, _STRINGS_PART = "xl/worksheets/sheet1.xml", "xl/sharedStrings.xml"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_INFINITIES = (float("inf"), float("-inf"))


def _column_letters(col: int) -> str:
    name = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        name = chr(65 + rest) + name
    return name


def _shared_string(text: str) -> str:
    """A string table entry as XlsxWriter writes it: control characters as _xHHHH_ (and a
    text that looks like such an escape escaped), spaces around kept, & < > escaped."""
    text = _ESCAPED_ESCAPE.sub(r"_x005F\1", text)
    text = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", text)
    text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    space = ' xml:space="preserve"' if _SPACE_AROUND.search(text) else ""
    if _XML_SPECIAL.search(text):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<si><t{space}>{text}</t></si>"


def _sheet_at_once(title: str, header: Sequence[str], rows: list[Sequence[Any]],
                   number_formats: Sequence[str | None], fixed_time: dt.datetime | None
                   ) -> bytes | None:
    """:func:`xlsx_bytes` (before its fixed times) without a call per cell, or None when
    a value is not a plain text, date or number (XlsxWriter then writes it cell by cell)."""
    width = len(header)
    if not width or len(rows) >= _XLSX_ROWS:
        return None
    letters = [_column_letters(c) for c in range(width)]
    widths = [len(h) + 3 for h in header]
    money = [f == MONEY_FORMAT for f in number_formats]
    strings: dict[str, int] = {}
    for name in header:
        strings.setdefault(name, len(strings))
    count = width
    # where each format is first used: "t" text, "q" quoted text, a column's number format
    first: dict[object, tuple[int, int]] = {}
    lines: list[tuple[int, int, int, str]] = []  # row, first and last column, its cells
    for r, row in enumerate(rows, start=1):
        if len(row) != width:
            return None
        cells = []
        low = high = -1
        at = str(r + 1)
        for c, value in enumerate(row):
            if value is None:
                continue
            kind = value.__class__
            key: object
            if kind is str:
                if len(value) > 16383:
                    return None  # XlsxWriter cuts it (32,767 UTF-16 units)
                key = "q" if value.startswith(FORMULA_LOOKING) else "t"
                index = strings.setdefault(value, len(strings))
                count += 1
                cells.append(f'<c r="{letters[c]}{at}" s="\0{key}\0" t="s"><v>{index}</v></c>')
                shown = len(value)
            elif kind is dt.date:
                if number_formats[c] is None:
                    return None
                key = c
                days = (value - _EXCEL_EPOCH).days
                serial = float(days + 1 if days > 59 else days)  # Excel's 29 February 1900
                cells.append(f'<c r="{letters[c]}{at}" s="\0{c}\0"><v>{serial:.16G}</v></c>')
                shown = 10
            elif kind is int or kind is Decimal or kind is float or kind is bool:
                if kind is not float and not _kept_by_spreadsheets(value):
                    key = "t"
                    index = strings.setdefault(str(value), len(strings))
                    count += 1
                    cells.append(f'<c r="{letters[c]}{at}" s="\0t\0" t="s"><v>{index}</v></c>')
                else:
                    number = float(value) if kind is Decimal else value
                    if number != number or number in _INFINITIES:
                        return None
                    key = c
                    style = "" if number_formats[c] is None else f' s="\0{c}\0"'
                    cells.append(f'<c r="{letters[c]}{at}"{style}><v>{number:.16G}</v></c>')
                if money[c]:
                    number = float(value) if kind is Decimal else value
                    shown = len(f"${number:,.2f}")
                else:
                    shown = len(str(value))
            else:
                return None
            if key not in first and (key != c or number_formats[c] is not None):
                first[key] = (r, c)
            if shown > widths[c]:
                widths[c] = shown
            if low < 0:
                low = c
            high = c
        if cells:
            lines.append((r, low, high, "".join(cells)))
    return _around_the_sheet(title, header, rows, number_formats, fixed_time, letters,
                             widths, strings, count, first, lines)


def _around_the_sheet(title: str, header: Sequence[str], rows: list[Sequence[Any]],
                      number_formats: Sequence[str | None], fixed_time: dt.datetime | None,
                      letters: list[str], widths: list[int], strings: dict[str, int],
                      count: int, first: dict[object, tuple[int, int]],
                      lines: list[tuple[int, int, int, str]]) -> bytes | None:
    """XlsxWriter's workbook of the header and each format's first cell, with the whole
    sheet data and string table put in."""
    import xlsxwriter

    skeleton = io.BytesIO()
    wb = xlsxwriter.Workbook(skeleton, {"in_memory": True, **_OPTIONS})
    try:
        ws, text, quoted, formats = _begin_sheet(wb, title, header, number_formats,
                                                 fixed_time)
        for r, c in sorted(first.values()):
            _write_cell(ws, r, c, rows[r - 1][c], text, quoted, formats[c])
        _end_sheet(ws, header, widths, len(rows))
    finally:
        wb.close()
    with zipfile.ZipFile(skeleton) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    sheet = parts.get(_SHEET_PART, b"")
    styles = dict(_CELL_STYLE.findall(sheet))
    bold = styles.get(b"A1")
    if bold is None or _STRINGS_PART not in parts:
        return None
    data = [f'<row r="1" spans="1:{len(header)}">']
    data += [f'<c r="{letters[c]}1" s="{bold.decode()}" t="s"><v>{strings[name]}</v></c>'
             for c, name in enumerate(header)]
    data.append("</row>")
    spans = _spans(len(header), lines)
    for r, _low, _high, cells in lines:
        data.append(f'<row r="{r + 1}" spans="{spans[r // 16]}">{cells}</row>')
    text_data = "".join(data)
    for key, (r, c) in first.items():
        style = styles.get(f"{letters[c]}{r + 1}".encode())
        if style is None:
            return None
        text_data = text_data.replace(f"\0{key}\0", style.decode())
    last = lines[-1][0] if lines else 0
    dimension = ("A1" if last == 0 and len(header) == 1
                 else f"A1:{letters[-1]}{last + 1}")
    sheet, found = _DIMENSION.subn(f'<dimension ref="{dimension}"/>'.encode(), sheet, 1)
    sheet, found_data = _SHEET_DATA.subn(
        lambda _m: f"<sheetData>{text_data}</sheetData>".encode(), sheet, 1)
    if not (found and found_data):
        return None
    parts[_SHEET_PART] = sheet
    parts[_STRINGS_PART] = (
        f'{_XML_DECLARATION}<sst xmlns="{_MAIN_NS}" count="{count}" '
        f'uniqueCount="{len(strings)}">' + "".join(map(_shared_string, strings))
        + "</sst>").encode("utf-8")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:  # as XlsxWriter zips them
        for name, content in parts.items():
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
    return out.getvalue()


def _spans(width: int, lines: list[tuple[int, int, int, str]]) -> dict[int, str]:
    """The ``spans`` of each block of 16 rows (first:last column holding a cell), as
    XlsxWriter writes them; the header's row is in the first block."""
    bounds: dict[int, tuple[int, int]] = {0: (0, width - 1)}
    for r, low, high, _cells in lines:
        block = r // 16
        old = bounds.get(block)
        bounds[block] = (low, high) if old is None else (min(old[0], low), max(old[1], high))
    return {block: f"{low + 1}:{high + 1}" for block, (low, high) in bounds.items()}


def texts_as_typed(path: Path) -> bool:
    """Does the file hold its texts as typed (CALNET Desk's XLSX layout 2), or with an
    apostrophe before formula-looking ones (CSV, other and older XLSX)?"""
    return sheet_format(path) == "xlsx" and xlsx_layout(path) == LAYOUT


def xlsx_layout(path: Path) -> str | None:
    """The layout CALNET Desk marked the workbook with (docProps/custom.xml), if any."""
    return xlsx_custom_property(path, LAYOUT_PROPERTY)


def _fix_times(content: bytes, when: dt.datetime) -> bytes:
    """Every zip entry's time set to ``when``, made by a Unix system, mode -rw-r--r--: the
    same bytes on every platform. Only the entries' headers change (the compressed data
    stays as written); docProps/core.xml already holds ``when`` (the ``created`` property
    XlsxWriter writes as created and modified)."""
    import struct
    import zipfile

    year, month, day, hour, minute, second = when.timetuple()[:6]
    dos_date = (year - 1980) << 9 | month << 5 | day
    dos_time = hour << 11 | minute << 5 | second // 2
    out = bytearray(content)
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        infos = zf.infolist()
        central = zf.start_dir
    for info in infos:
        # the local header: signature, versions, flags, method, then time and date
        struct.pack_into("<HH", out, info.header_offset + 10, dos_time, dos_date)
    for _ in infos:
        # the central directory's record: made by (version, system), …, time and date, …,
        # the external attributes
        assert out[central:central + 4] == b"PK\x01\x02"
        out[central + 5] = 3  # Unix
        struct.pack_into("<HH", out, central + 12, dos_time, dos_date)
        struct.pack_into("<L", out, central + 38, 0o100644 << 16)
        names, extra, comment = struct.unpack_from("<HHH", out, central + 28)
        central += 46 + names + extra + comment
    return bytes(out)
