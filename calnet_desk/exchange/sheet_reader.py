"""Reading spreadsheet files (CSV and XLSX) as plain rows of cells: the one module that knows
which library reads a workbook, so a change of library touches only this file.

``read_rows(path)`` yields ``(row number, cells)``, numbered as a spreadsheet shows them (the
header is row 1), for a CSV file or an XLSX workbook's first worksheet. Cells are ``None`` or
``""`` when empty, ``str``, ``float`` or ``int``, ``bool``, ``datetime.date``/``datetime``
for date-formatted numbers and ``datetime.time``/``timedelta`` for times.

XLSX is read by python-calamine (Rust; benchmarks/import_xlsx.py has the evidence: about ten
times openpyxl's speed), which holds a whole worksheet in memory as a dense grid of cells.
So before any parser sees the file, the workbook is looked at as bytes:

1. the zip's central directory: the number of parts, their declared sizes and ratios;
2. every part inflated once, its bytes counted (the declared sizes are never trusted), with
   the size and expansion-ratio limits, and refused on a DOCTYPE (entity expansion);
3. the worksheets' XML looked at while it is inflated, at C speed (``bytes.translate`` and
   ``count``/``find``, no per-cell Python): that every cell carries its position
   (``<c r="B7"``), and how many letters and digits the positions have at most, which bounds
   the grid calamine would allocate (a sheet with one cell in A1 and one in XFD1048576 is a
   grid of 17 billion cells: calamine would abort the process). A sheet whose bound is too
   large is measured exactly (every position read), and refused past Excel's own limits.

A sheet whose grid would not fit in ``CALAMINE_MAX_CELLS`` (about 260,000 rows of 23
columns), or whose cells do not all carry a plain position, is read by openpyxl in read-only
mode instead: it streams rows in constant memory, at about a tenth of the speed (a
documented fallback, chosen on evidence: calamine took 1.6 GB for a 1,048,576-row sheet).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

Row = Sequence[object]


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
# characters, on a sheet 1,048,576 rows and 16,384 columns (Microsoft, "Excel
# specifications and limits"), so an XLSX export always fits. A CSV cell is bounded only by
# the file's size: a text longer than an XLSX cell holds is exported as CSV (the XLSX
# exports refuse it and say so), and that CSV imports back whole.
MAX_SHEET_BYTES = 256 * (1 << 20)   # a CSV file, or an XLSX once unpacked
MAX_COLUMNS = 1_000
MAX_CELL_CHARS = 32_767
EXCEL_ROWS = 1_048_576
EXCEL_COLUMNS = 16_384
XLSX_MAX_ENTRIES = 10_000
XLSX_MAX_RATIO = 200  # unpacked / packed, past 1 MiB: a zip bomb otherwise
_RATIO_FLOOR = 1 << 20
# calamine keeps a grid of rows x columns cells of 32 bytes each, plus the texts: past this
# many cells a sheet is streamed by openpyxl instead (a design choice: ~200 MB of grid).
CALAMINE_MAX_CELLS = 6_000_000
_BLOCK = 1 << 20


# --- CSV ----------------------------------------------------------------------------


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


def _csv_reader(text: str) -> Any:
    # a cell as long as the file may be read whole (the file is bounded), not only csv's
    # 131,072 characters
    csv.field_size_limit(max(csv.field_size_limit(), MAX_SHEET_BYTES))
    return csv.reader(io.StringIO(text, newline=""), strict=True)


def _csv_error(e: csv.Error, label: str, row: int) -> SheetError:
    """csv's complaint about row ``row`` as a SheetError naming FILE:ROW."""
    why = str(e)
    if "unexpected end of data" in why:
        why = "a quoted cell is never closed (the file may have been cut short)"
    elif "field larger than field limit" in why:
        why = f"a cell longer than the {MAX_SHEET_BYTES:,} bytes a file may hold"
    return SheetError(f"{label}:{row}: {why}; nothing was imported")


def _check_ending(text: str, label: str, rows: int) -> None:
    if text and not text.endswith(("\n", "\r")):
        raise SheetError(f"{label}:{rows}: the file ends in the middle of row {rows} (no line "
                         "end after it): it may have been cut short. If the file is whole, "
                         "end it with a line break; nothing was imported")


def _csv_rows(text: str, label: str) -> Iterator[list[str]]:
    """CSV rows, strictly: an unterminated quote, a quote in the wrong place or a file that
    ends in the middle of a row (no line end after the last one: cut short?) is a SheetError
    naming FILE:ROW, so a torn export never imports."""
    reader = _csv_reader(text)
    row = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            raise _csv_error(e, label, row + 1) from e
        row += 1
        yield cells
    _check_ending(text, label, row)


def _csv_blocks(text: str, label: str, size: int) -> Iterator[list[list[str]]]:
    """The rows of :func:`_csv_rows` (the same checks and errors), up to ``size`` at a time,
    taken off csv's reader at C speed."""
    reader = _csv_reader(text)
    row = 0
    while True:
        block: list[list[str]] = []
        try:
            block.extend(islice(reader, size))  # keeps the rows read before an error
        except csv.Error as e:
            raise _csv_error(e, label, row + len(block) + 1) from e
        if not block:
            break
        row += len(block)
        yield block
    _check_ending(text, label, row)


def _csv_text(path: Path, label: str) -> str:
    with open(path, "rb") as fh:
        data = fh.read(MAX_SHEET_BYTES + 1)
    if len(data) > MAX_SHEET_BYTES:
        raise SheetError(f"{label}: larger than {MAX_SHEET_BYTES >> 20} MB, the most "
                         "an import reads; split it into smaller files")
    return _decode(data, label)


# --- XLSX: the look at the bytes before any parser ------------------------------------

# Upper-case letters -> "A", digits -> "0", XML white space -> " ": a cell position
# ``<c r="AB12"`` reads ``<c r="AA00"``, so the longest run of letters and of digits in
# positions is found with bytes.find, at C speed.
_SHAPES = bytes.maketrans(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\t\n\r",
                          b"A" * 26 + b"0" * 10 + b"   ")
_CELL_STARTS = (b"<c ", b"<c>", b"<c/>")
_PREFIXED_CELLS = (b":c ", b":c>", b":c/>")


@dataclass
class _SheetShape:
    """What the worksheets' bytes say about the grid a reader would build."""
    cells: int = 0           # cell elements
    positioned: int = 0      # of which start with a plain position attribute
    prefixed: bool = False   # a cell element with a namespace prefix
    letters: int = 0         # the most letters in a position (column)
    digits: int = 0          # the most digits in a position (row)
    exact_rows: int = 0      # exact maxima, once measured (0: not measured)
    exact_columns: int = 0
    measured: bool = False
    # error cells (#N/A, #DIV/0!, …) by part: calamine reads them as empty, openpyxl as
    # their text (and CALNET Desk's exports before layout 2 wrote the text "#N/A" so)
    errors: dict[str, dict[int, list[tuple[int, str]]]] = field(default_factory=dict)

    def plain(self) -> bool:
        return not self.prefixed and self.cells == self.positioned

    def bound(self) -> tuple[int, int]:
        """(rows, columns) the grid cannot exceed."""
        if self.measured:
            return self.exact_rows, self.exact_columns
        rows = 10 ** self.digits - 1 if self.digits else 1
        columns = {0: 1, 1: 26, 2: 702}.get(self.letters, EXCEL_COLUMNS)
        return rows, columns


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _measure(block: bytes, shape: _SheetShape) -> None:
    """Every cell position of the block read: the exact largest row and column."""
    rows = _POSITION_ROW.findall(block)
    if rows:
        longest = len(max(rows, key=len))
        shape.exact_rows = max(shape.exact_rows,
                               int(max(r for r in rows if len(r) == longest)))
    columns = set(_POSITION_COLUMN.findall(block))
    if columns:
        shape.exact_columns = max(shape.exact_columns, *map(_column_number, columns))


_ERROR_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*?\st="e"[^>]*>'
                         rb'(?:(?!</c>).)*?<v>([^<]{1,64})</v>', re.S)
_POSITION_ROW = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
_POSITION_COLUMN = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension ref="([A-Z]{0,4})([0-9]{0,9})(?::([A-Z]{0,4})'
                        rb'([0-9]{0,9}))?"')


def _error_cells(block: bytes, found: dict[int, list[tuple[int, str]]]) -> None:
    """The error cells of a block (rare: looked for only when ``t="e"`` occurs)."""
    for m in _ERROR_CELL.finditer(block):
        found.setdefault(int(m[2]), []).append(
            (_column_number(m[1]), m[3].decode("utf-8", "replace")))


def _look(block: bytes, shape: _SheetShape, part: str = "") -> None:
    """The shape of one block of a part's XML (cut after a '>'). Each search is a scan of
    the block at C speed; a block is scanned about ten times, whatever it holds (only a
    position longer than those seen so far is looked for, then measured)."""
    t = block.translate(_SHAPES)
    opened = t.count(b"<c")  # cells, and other elements (<col>, <cols>) beside them
    if not opened and b":c" not in t:
        return
    if b't="e"' in block:
        _error_cells(block, shape.errors.setdefault(part, {}))
    before = shape.bound()
    positioned = t.count(b'<c r="')
    # every cell start is a "<c": when all of those are positioned cells, so are the starts
    starts = positioned if opened == positioned else sum(t.count(s) for s in _CELL_STARTS)
    shape.cells += starts
    shape.positioned += positioned
    if b":c" in t and any(p in t for p in _PREFIXED_CELLS):
        shape.prefixed = True
    if shape.letters < 4 and b'<c r="' + b"A" * (shape.letters + 1) in t:
        for n in range(4, shape.letters, -1):
            if b'<c r="' + b"A" * n in t:
                shape.letters = n
                break
    longer = b"0" * (shape.digits + 1)
    if shape.digits < 8 and b"A" + longer in t and any(b'<c r="' + b"A" * n + longer in t
                                                       for n in (1, 2, 3)):
        for d in range(8, shape.digits, -1):
            if any(b'<c r="' + b"A" * n + b"0" * d in t for n in (1, 2, 3)):
                shape.digits = d
                break
    rows, columns = shape.bound()
    if not shape.measured and (rows * columns > CALAMINE_MAX_CELLS or shape.letters > 2):
        # measured from here on; the blocks before are within their bound
        shape.measured = True
        shape.exact_rows, shape.exact_columns = before
    if shape.measured:
        _measure(block, shape)


def _refuse(label: str, why: str) -> SheetError:
    return SheetError(f"{label}: {why}; not imported")


def _unreadable(label: str, e: Exception) -> SheetError:
    # the readers' messages can run over several lines; an error is reported on one
    return SheetError(f"{label}: not a readable .xlsx workbook ({' '.join(str(e).split())})")


def _inspect(zf: zipfile.ZipFile, label: str) -> _SheetShape:
    """Refuse a hostile workbook before any parser expands it (see the module's text)."""
    _check_declared(zf, label)
    shape = _inflate(zf, label)
    rows, columns = shape.bound()
    if shape.letters > 3 or columns > EXCEL_COLUMNS:
        raise _refuse(label, f"a cell lies beyond column XFD ({EXCEL_COLUMNS:,} columns, "
                      "Excel's limit): a damaged or hostile workbook")
    if shape.digits > 7 or (shape.measured and rows > EXCEL_ROWS):
        raise _refuse(label, f"a cell lies beyond row {EXCEL_ROWS:,} (Excel's limit): a "
                      "damaged or hostile workbook")
    if shape.measured and columns > MAX_COLUMNS:
        raise _refuse(label, f"a cell lies in column {columns:,}, more than the "
                      f"{MAX_COLUMNS:,} columns an import reads")
    return shape


def _check_declared(zf: zipfile.ZipFile, label: str) -> None:
    """The central directory: how many parts, and their declared sizes and ratios."""
    infos = zf.infolist()
    if len(infos) > XLSX_MAX_ENTRIES:
        raise _refuse(label, f"{len(infos):,} parts in the workbook, more than "
                      f"{XLSX_MAX_ENTRIES:,}")
    for info in infos:
        if (info.file_size > _RATIO_FLOOR
                and info.file_size > XLSX_MAX_RATIO * max(info.compress_size, 1)):
            raise _refuse(label, f"part {info.filename} says it unpacks to more than "
                          f"{XLSX_MAX_RATIO} times its packed size (a zip bomb?)")
    declared = sum(i.file_size for i in infos)
    if declared > MAX_SHEET_BYTES:
        raise _refuse(label, f"says it unpacks to {declared >> 20:,} MB, more than "
                      f"{MAX_SHEET_BYTES >> 20} MB, the most an import reads")


def _inflate(zf: zipfile.ZipFile, label: str) -> _SheetShape:
    """Every part inflated once, nothing kept: its bytes counted against the size and
    ratio limits (the declared sizes are not trusted), a DOCTYPE refused, and the cells'
    positions looked at."""
    shape = _SheetShape()
    total = 0
    for info in zf.infolist():
        written = 0
        packed = max(info.compress_size, 1)
        tail = b""
        first = True
        try:
            with zf.open(info) as src:
                while chunk := src.read(_BLOCK):
                    written += len(chunk)
                    total += len(chunk)
                    if total > MAX_SHEET_BYTES:
                        raise _refuse(label, f"unpacks to more than {MAX_SHEET_BYTES >> 20} "
                                      "MB, the most an import reads")
                    if written > _RATIO_FLOOR and written > XLSX_MAX_RATIO * packed:
                        raise _refuse(label, f"part {info.filename} unpacks to more than "
                                      f"{XLSX_MAX_RATIO} times its packed size (a zip bomb?)")
                    data = tail + chunk
                    if first:
                        _declared_dimension(data[:4096], label)
                        first = False
                    if b"<!" in data and (b"<!DOCTYPE" in data or b"<!ENTITY" in data):
                        raise _unreadable(label, ValueError(
                            f"part {info.filename} declares a DOCTYPE or entities, which a "
                            "workbook never needs"))
                    cut = data.rfind(b">") + 1
                    _look(data[:cut], shape, info.filename)
                    tail = data[cut:]
                    if len(tail) > _BLOCK:  # no '>' in a whole block: look at it anyway
                        _look(tail, shape, info.filename)
                        tail = b""
            if tail:
                _look(tail, shape, info.filename)
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError,
                EOFError, ValueError) as e:
            raise _unreadable(label, e) from e
    return shape


def _declared_dimension(head: bytes, label: str) -> None:
    """A worksheet's declared used range (``<dimension ref="A1:W50001"/>``) past Excel's
    limits is refused before anything is read; one within them is not trusted either."""
    m = _DIMENSION.search(head)
    if not m:
        return
    letters = max(m[1], m[3] or b"", key=len)
    digits = max((int(m[2] or 0), int(m[4] or 0)))
    if len(letters) > 3 or _column_number(letters) > EXCEL_COLUMNS or digits > EXCEL_ROWS:
        span = m[0].split(b'"')[1].decode("ascii")
        raise _refuse(label, f"its worksheet says it spans {span}, beyond Excel's "
                      f"{EXCEL_ROWS:,} rows and {EXCEL_COLUMNS:,} columns")


# --- XLSX: reading ------------------------------------------------------------------


def _guarded(rows: Iterable[Row], label: str) -> Iterator[Row]:
    """A worksheet found damaged half-way through (bad XML, a cell that cannot be read)
    ends in a SheetError rather than a traceback."""
    try:
        yield from rows
    except Exception as e:
        raise _unreadable(label, e) from e


def _calamine_rows(sheet: Any, errors: dict[int, list[tuple[int, str]]]) -> Iterator[Row]:
    """calamine's rows from row 1, each padded on the left to column A (it starts them
    at the first column that holds anything), with error cells as their text."""
    start = sheet.start
    if start is None:
        return
    pad = [""] * start[1]
    rows = (pad + row for row in sheet.iter_rows()) if pad else sheet.iter_rows()
    if not errors:
        yield from rows
        return
    for number, row in enumerate(rows, start=1):
        for column, text in errors.get(number, ()):
            if column <= len(row):
                row[column - 1] = text
        yield row


def _first_worksheet(zf: zipfile.ZipFile) -> tuple[str, str] | None:
    """(name, part) of the workbook's first worksheet (chart sheets are not read), from
    xl/workbook.xml and its relationships; None when they cannot be read."""
    import posixpath

    from defusedxml import ElementTree

    def part(name: str) -> Any:
        info = zf.getinfo(name)
        if info.file_size > 4 << 20:
            raise ValueError(f"{name} is too large")
        return ElementTree.fromstring(zf.read(info))

    try:
        book = part("xl/workbook.xml")
        rels = part("xl/_rels/workbook.xml.rels")
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, ElementTree.ParseError):
        return None
    targets = {r.get("Id"): (r.get("Type") or "", r.get("Target") or "") for r in rels}
    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    for sheet in book.iter():
        if not sheet.tag.endswith("}sheet"):
            continue
        kind, target = targets.get(sheet.get(rel_ns), ("", ""))
        if kind.endswith("/worksheet"):
            path = (target.lstrip("/") if target.startswith("/")
                    else posixpath.normpath(posixpath.join("xl", target)))
            return sheet.get("name") or "", path
    return None


@contextmanager
def _xlsx_rows(path: Path, label: str) -> Iterator[NumberedRows]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, ValueError) as e:
        raise _unreadable(label, e) from e
    with zf:
        shape = _inspect(zf, label)
        first = _first_worksheet(zf)
    rows, columns = shape.bound()
    if shape.plain() and rows * columns <= CALAMINE_MAX_CELLS:
        errors = shape.errors.get(first[1], {}) if first else {}
        with _calamine(path, label, first[0] if first else None, errors) as found:
            yield found
        return
    with _openpyxl(path, label) as found:
        yield NumberedRows(found, None)


@contextmanager
def _calamine(path: Path, label: str, name: str | None,
              errors: dict[int, list[tuple[int, str]]]) -> Iterator[NumberedRows]:
    import python_calamine

    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as e:  # CalamineError, zip or XML errors, …
        raise _unreadable(label, e) from e
    try:
        if name is None or name not in wb.sheet_names:
            kinds = [m.typ for m in wb.sheets_metadata]
            sheets = [n for n, k in zip(wb.sheet_names, kinds, strict=True)
                      if k == python_calamine.SheetTypeEnum.WorkSheet]
            if not sheets:
                raise SheetError(f"{label}: the workbook has no worksheet")
            name, errors = sheets[0], {}
        try:
            sheet = wb.get_sheet_by_name(name)
        except Exception as e:
            raise _unreadable(label, e) from e
        end = sheet.end  # (last row, last column) from 0; None for an empty sheet
        yield NumberedRows(_guarded(_calamine_rows(sheet, errors), label),
                           end[0] + 1 if end is not None else 0)
    finally:
        wb.close()


@contextmanager
def _openpyxl(path: Path, label: str) -> Iterator[Iterator[Row]]:
    import openpyxl  # loaded when first used: start-up stays fast

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # zipfile.BadZipFile, KeyError, InvalidFileException, …
        raise _unreadable(label, e) from e
    try:
        if not wb.worksheets:
            raise SheetError(f"{label}: the workbook has no worksheet")
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # some writers record a wrong used range ("A1"): read all
        yield _guarded(ws.iter_rows(values_only=True), label)
    finally:
        wb.close()  # read-only workbooks keep the file open (Windows could not move it)


class NumberedRows:
    """``(row number, cells)`` from row 1, and ``total``: how many rows the sheet holds
    (the header and blank rows among them; for a CSV file its lines, which a quoted line
    break overcounts), or None when the reader cannot tell before reading them all."""

    def __init__(self, rows: Iterable[Row], total: int | None) -> None:
        self.cells = iter(rows)  # the rows without their numbers
        self._rows = enumerate(self.cells, start=1)
        self.total = total

    def __iter__(self) -> NumberedRows:
        return self

    def __next__(self) -> tuple[int, Row]:
        return next(self._rows)


@contextmanager
def read_rows(path: Path, name: str | None = None) -> Iterator[NumberedRows]:
    """Rows of the file (CSV, or an XLSX's first worksheet) numbered as a spreadsheet shows
    them: the header is row 1 (see :class:`NumberedRows`)."""
    label = name or str(path)
    fmt = sheet_format(path)
    try:
        if fmt == "csv":
            text = _csv_text(path, label)
            yield NumberedRows(_csv_rows(text, label),
                               max(text.count("\n"), text.count("\r"))
                               + (text[-1:] not in ("\n", "\r")))
            return
        with _xlsx_rows(path, label) as rows:
            yield rows
    except OSError as e:
        raise SheetError(f"{label}: cannot read ({e.strerror or e})") from e
    except csv.Error as e:
        raise SheetError(f"{label}: not a well-formed CSV file ({e})") from e


@contextmanager
def read_row_blocks(path: Path, name: str | None = None, size: int = 5000
                    ) -> Iterator[Iterator[tuple[int, Sequence[Row]]]]:
    """The rows of :func:`read_rows` (the same checks and errors) a block of up to
    ``size`` at a time, as (the number of the block's first row, its rows): a CSV's come
    straight off csv's reader, with no Python step per row."""
    label = name or str(path)
    fmt = sheet_format(path)

    def numbered(blocks: Iterable[Sequence[Row]]) -> Iterator[tuple[int, Sequence[Row]]]:
        first = 1
        for block in blocks:
            yield first, block
            first += len(block)

    try:
        if fmt == "csv":
            yield numbered(_csv_blocks(_csv_text(path, label), label, size))
            return
        with _xlsx_rows(path, label) as found:
            rows = found.cells
            yield numbered(iter(lambda: list(islice(rows, size)), []))
    except OSError as e:
        raise SheetError(f"{label}: cannot read ({e.strerror or e})") from e
    except csv.Error as e:
        raise SheetError(f"{label}: not a well-formed CSV file ({e})") from e


def xlsx_custom_property(path: Path, name: str) -> str | None:
    """A custom document property of a workbook (docProps/custom.xml), read with
    defusedxml from the zip: None when absent or unreadable."""
    from defusedxml import ElementTree

    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("docProps/custom.xml")
            if info.file_size > 1 << 20:
                return None
            with zf.open(info) as fh:
                data = fh.read((1 << 20) + 1)
            if len(data) > 1 << 20:
                return None
            root = ElementTree.fromstring(data)
    except (KeyError, OSError, zipfile.BadZipFile, ElementTree.ParseError, ValueError):
        return None
    for prop in root:
        if prop.get("name") == name:
            return "".join(prop.itertext()).strip() or None
    return None
