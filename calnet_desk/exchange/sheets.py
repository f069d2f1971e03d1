"""Spreadsheet files (CSV and XLSX): writing them here, reading them in :mod:`.sheet_reader`
(re-exported below, so callers keep importing from this module)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..files import atomic_output, write_atomically
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
           "workbook_bytes",
           "texts_as_typed", "xlsx_layout"]
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


def write_xlsx(path: Path, title: str, header: Sequence[str], rows: Iterable[Sequence[object]],
               number_formats: Sequence[str | None]) -> None:
    """A one-sheet workbook (see :func:`xlsx_bytes`), written beside ``path`` first.

    The rows stream through XlsxWriter's temporary files (constant memory); the zip they
    end in is built in memory and written here. Written by XlsxWriter itself, a full disk
    left its zip half-closed, and its retry when collected printed a traceback after our
    message (the zip is a fraction of the rows' size: their XML compressed)."""
    buffer = io.BytesIO()
    _write_workbook(buffer, title, header, rows, number_formats, None, streamed=True)
    write_atomically(path, [buffer.getvalue()])


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[object]],
               number_formats: Sequence[str | None],
               fixed_time: dt.datetime | None = None) -> bytes:
    """The workbook's bytes. With ``fixed_time`` every timestamp inside (the document
    properties and the zip entries) is that time, so the same data gives the same bytes."""
    buffer = io.BytesIO()
    _write_workbook(buffer, title, header, rows, number_formats, fixed_time)
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
        ws.write_string(row, col, value, quoted if value.startswith(FORMULA_LOOKING) else text)
    elif isinstance(value, dt.date):
        ws.write_datetime(row, col, value, fmt)
    elif isinstance(value, int | Decimal) and not _kept_by_spreadsheets(value):
        ws.write_string(row, col, str(value), text)
    else:
        ws.write_number(row, col, float(value) if isinstance(value, Decimal) else value, fmt)


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


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """A workbook of several report sheets (the reconciliation report), written by the same
    engine and the same cell rules as the register's sheets: the one module that knows the
    XLSX library."""
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
                    fixed_time: dt.datetime | None, *, streamed: bool = False) -> None:
    """One sheet: a bold, frozen header with an autofilter, columns as wide as their
    content, dates and money as numbers with their formats, texts as string cells (never
    formulas). XlsxWriter in constant-memory mode streams the rows (benchmarks/
    xlsx_writers.py has the evidence for it over openpyxl)."""
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    try:
        _fill_workbook(xlsxwriter, target, not streamed, title, header, rows, number_formats,
                       fixed_time)
    except FileCreateError as e:  # disk full, read-only…: the OSError it wraps
        raise e.args[0] if e.args and isinstance(e.args[0], OSError) else OSError(str(e)) \
            from None


def _fill_workbook(xlsxwriter: Any, target: io.BytesIO, in_memory: bool, title: str,
                   header: Sequence[str], rows: Iterable[Sequence[object]],
                   number_formats: Sequence[str | None], fixed_time: dt.datetime | None
                   ) -> None:
    wb = xlsxwriter.Workbook(target, {"constant_memory": not in_memory,
                                      "in_memory": in_memory, **_OPTIONS})
    try:
        wb.set_properties({"author": "CALNET Desk", "title": title,
                           **({"created": fixed_time} if fixed_time else {})})
        wb.set_custom_property(LAYOUT_PROPERTY, LAYOUT)
        ws = wb.add_worksheet(title[:31])
        bold = wb.add_format({"bold": True, "num_format": "@"})
        text = wb.add_format({"num_format": "@"})
        quoted = wb.add_format({"num_format": "@", "quote_prefix": True})
        formats = [wb.add_format({"num_format": f}) if f else None for f in number_formats]
        widths = [len(h) + 3 for h in header]  # the filter button takes about three
        for col, name in enumerate(header):
            ws.write_string(0, col, name, bold)
        ws.freeze_panes(1, 0)
        n = 0
        for n, row in enumerate(rows, start=1):
            for col, (value, fmt) in enumerate(zip(row, number_formats, strict=True)):
                if value is None:
                    continue
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
        for col, width in enumerate(widths):
            ws.set_column(col, col, min(width, _WIDEST) + 1)
        ws.autofilter(0, 0, max(n, 1), max(len(header) - 1, 0))
    finally:
        wb.close()


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
