"""Reading and writing spreadsheet files (CSV and XLSX) as plain rows of cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..files import atomic_output
from ..values import FORMULA_TRIGGERS

Row = Sequence[object]
FORMULA_LOOKING = (*FORMULA_TRIGGERS, "'")


class SheetError(Exception):
    """The file as a whole cannot be read; the message names it."""


def sheet_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return "xlsx"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise SheetError(f"{path}: unknown file type {suffix or '(none)'}; use .csv or .xlsx")


# Bounds on what an import reads (design choices): a register's largest sheets are some
# thousands of rows of some dozens of columns; Excel's own limit on a cell is 32,767
# characters (Microsoft, "Excel specifications and limits"), so an export always fits.
MAX_SHEET_BYTES = 256 * (1 << 20)   # a CSV file, or an XLSX once unpacked
MAX_COLUMNS = 1_000
MAX_CELL_CHARS = 32_767
XLSX_MAX_ENTRIES = 10_000
XLSX_MAX_RATIO = 200  # unpacked / packed, past 1 MiB: a zip bomb otherwise


def _utf16(data: bytes) -> str | None:
    """UTF-16 text (Excel's "Unicode Text", Notepad's "Unicode"): by its byte-order mark,
    or by the zero bytes of mostly-ASCII text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    head = data[:4096]
    if len(head) >= 4 and b"\x00" in head:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > len(head) // 4 and even == 0:
            return data.decode("utf-16-le")
        if even > len(head) // 4 and odd == 0:
            return data.decode("utf-16-be")
    return None


def _decode(data: bytes, name: str) -> str:
    try:
        text = _utf16(data)
    except UnicodeDecodeError as e:
        raise SheetError(f"{name}: looks like UTF-16 text but is not (byte {e.start})") from e
    if text is not None:
        return text
    if b"\x00" in data:
        raise SheetError(f"{name}: holds zero bytes: not a text (CSV) file; save it as CSV "
                         "UTF-8 and import that")
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8")
        except UnicodeDecodeError as e:
            raise SheetError(f"{name}: starts with a UTF-8 byte-order mark but is not UTF-8 "
                             f"text (byte {e.start + 3})") from e
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")  # what Excel's "CSV" (not "CSV UTF-8") writes
    except UnicodeDecodeError as e:
        raise SheetError(f"{name}: neither UTF-8 nor Windows-1252 text (byte {e.start})") from e


def _csv_rows(text: str, label: str) -> Iterator[list[str]]:
    """CSV rows, strictly: an unterminated quote, a quote in the wrong place or a file that
    ends in the middle of a row (no line end after the last one: cut short?) is a SheetError
    naming FILE:ROW, so a torn export never imports."""
    # a cell as long as the file may be read whole (the file is bounded): the importer then
    # names a cell past MAX_CELL_CHARS by ROW:COLUMN, as for an XLSX (not csv's 131,072)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_SHEET_BYTES))
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    row = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            why = str(e)
            if "unexpected end of data" in why:
                why = "a quoted cell is never closed (the file may have been cut short)"
            elif "field larger than field limit" in why:
                why = f"a cell longer than {MAX_CELL_CHARS:,} characters"
            raise SheetError(f"{label}:{row + 1}: {why}; nothing was imported") from e
        row += 1
        yield cells
    if text and not text.endswith(("\n", "\r")):
        raise SheetError(f"{label}:{row}: the file ends in the middle of row {row} (no line "
                         "end after it): it may have been cut short. If the file is whole, "
                         "end it with a line break; nothing was imported")


def _check_xlsx(path: Path, label: str) -> None:
    """Refuse a zip bomb before openpyxl unpacks anything: entries counted, and every
    entry inflated once, without keeping it, with its size and ratio bounded."""
    import zipfile

    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile, ValueError) as e:
        raise _unreadable(label, e) from e
    with zf:
        infos = zf.infolist()
        if len(infos) > XLSX_MAX_ENTRIES:
            raise SheetError(f"{label}: {len(infos):,} parts in the workbook, more than "
                             f"{XLSX_MAX_ENTRIES:,}; not imported")
        total = 0
        for info in infos:
            written = 0
            packed = max(info.compress_size, 1)
            try:
                with zf.open(info) as src:
                    while chunk := src.read(1 << 20):
                        written += len(chunk)
                        total += len(chunk)
                        if total > MAX_SHEET_BYTES:
                            raise SheetError(
                                f"{label}: unpacks to more than {MAX_SHEET_BYTES >> 20} MB, "
                                "the most an import reads; not imported")
                        if written > (1 << 20) and written > XLSX_MAX_RATIO * packed:
                            raise SheetError(
                                f"{label}: part {info.filename} unpacks to more than "
                                f"{XLSX_MAX_RATIO} times its packed size (a zip bomb?); not "
                                "imported")
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError,
                    EOFError) as e:
                raise _unreadable(label, e) from e


def _unreadable(label: str, e: Exception) -> SheetError:
    # openpyxl's messages can run over several lines; an error is reported on one
    return SheetError(f"{label}: not a readable .xlsx workbook ({' '.join(str(e).split())})")


def _guarded(rows: Iterable[Row], label: str) -> Iterator[Row]:
    """A worksheet found damaged half-way through (bad XML, a cell openpyxl cannot read)
    ends in a SheetError rather than a traceback."""
    try:
        yield from rows
    except Exception as e:
        raise _unreadable(label, e) from e


@contextmanager
def read_rows(path: Path, name: str | None = None) -> Iterator[Iterator[tuple[int, Row]]]:
    """Rows of the file (CSV, or an XLSX's first sheet) numbered as a spreadsheet shows
    them: the header is row 1."""
    label = name or str(path)
    fmt = sheet_format(path)
    try:
        if fmt == "csv":
            with open(path, "rb") as fh:
                data = fh.read(MAX_SHEET_BYTES + 1)
            if len(data) > MAX_SHEET_BYTES:
                raise SheetError(f"{label}: larger than {MAX_SHEET_BYTES >> 20} MB, the most "
                                 "an import reads; split it into smaller files")
            yield enumerate(_csv_rows(_decode(data, label), label), start=1)
            return
        import openpyxl  # loaded when first used: start-up stays fast

        _check_xlsx(path, label)
        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as e:  # zipfile.BadZipFile, KeyError, InvalidFileException, …
            raise _unreadable(label, e) from e
        try:
            if not wb.worksheets:
                raise SheetError(f"{label}: the workbook has no worksheet")
            ws = wb.worksheets[0]
            ws.reset_dimensions()  # some writers record a wrong used range ("A1"): read all
            yield enumerate(_guarded(ws.iter_rows(values_only=True), label), start=1)
        finally:
            wb.close()  # read-only workbooks keep the file open (Windows could not move it)
    except OSError as e:
        raise SheetError(f"{label}: cannot read ({e.strerror or e})") from e
    except csv.Error as e:
        raise SheetError(f"{label}: not a well-formed CSV file ({e})") from e


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
    """A one-sheet workbook (see :func:`xlsx_bytes`), written beside ``path`` first."""
    with atomic_output(path) as tmp:
        _write_workbook(tmp, title, header, rows, number_formats, None)


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[object]],
               number_formats: Sequence[str | None],
               fixed_time: dt.datetime | None = None) -> bytes:
    """The workbook's bytes. With ``fixed_time`` every timestamp inside (the document
    properties and the zip entries) is that time, so the same data gives the same bytes."""
    buffer = io.BytesIO()
    _write_workbook(buffer, title, header, rows, number_formats, fixed_time)
    content = buffer.getvalue()
    return content if fixed_time is None else _fix_times(content, fixed_time)


def _write_workbook(target: Path | io.BytesIO, title: str, header: Sequence[str],
                    rows: Iterable[Sequence[object]], number_formats: Sequence[str | None],
                    fixed_time: dt.datetime | None) -> None:
    """One sheet: a bold, frozen header with an autofilter, columns as wide as their
    content, dates and money as numbers with their formats, texts as string cells (never
    formulas). XlsxWriter in constant-memory mode streams the rows (benchmarks/
    xlsx_writers.py has the evidence for it over openpyxl)."""
    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    in_memory = isinstance(target, io.BytesIO)
    try:
        _fill_workbook(xlsxwriter, target, in_memory, title, header, rows, number_formats,
                       fixed_time)
    except FileCreateError as e:  # disk full, read-only…: the OSError it wraps
        raise e.args[0] if e.args and isinstance(e.args[0], OSError) else OSError(str(e)) \
            from None


def _fill_workbook(xlsxwriter: Any, target: Path | io.BytesIO, in_memory: bool, title: str,
                   header: Sequence[str], rows: Iterable[Sequence[object]],
                   number_formats: Sequence[str | None], fixed_time: dt.datetime | None
                   ) -> None:
    wb = xlsxwriter.Workbook(target, {"constant_memory": not in_memory,
                                      "in_memory": in_memory, "strings_to_formulas": False,
                                      "strings_to_numbers": False, "strings_to_urls": False,
                                      "default_date_format": "mm/dd/yyyy"})
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
                if isinstance(value, str):
                    ws.write_string(n, col, value,
                                    quoted if value.startswith(FORMULA_LOOKING) else text)
                    shown = len(value)
                elif isinstance(value, dt.date):
                    ws.write_datetime(n, col, value, formats[col])
                    shown = 10
                else:
                    number = float(value) if isinstance(value, Decimal) else value
                    ws.write_number(n, col, number, formats[col])
                    shown = len(f"${number:,.2f}") if fmt == MONEY_FORMAT else len(str(value))
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
    import zipfile

    from defusedxml import ElementTree

    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("docProps/custom.xml")
            if info.file_size > 1 << 20:
                return None
            root = ElementTree.fromstring(zf.read(info))
    except (KeyError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return None
    for prop in root:
        if prop.get("name") == LAYOUT_PROPERTY:
            return "".join(prop.itertext()).strip() or None
    return None


def _fix_times(content: bytes, when: dt.datetime) -> bytes:
    """Every zip entry's time and docProps/core.xml's created/modified set to ``when``."""
    import re
    import zipfile

    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)",
                              rb"\g<1>" + stamp + rb"\g<2>", data)
            fixed = zipfile.ZipInfo(info.filename, when.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.create_system = 3  # Unix: the same bytes on every platform
            fixed.external_attr = 0o100644 << 16
            dest.writestr(fixed, data)
    return out.getvalue()
