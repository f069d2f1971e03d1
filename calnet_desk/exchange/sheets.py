"""Reading and writing spreadsheet files (CSV and XLSX) as plain rows of cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..files import atomic_output

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


def _decode(data: bytes, name: str) -> str:
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
            text = _decode(path.read_bytes(), label)
            yield enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
            return
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


def write_xlsx(path: Path, title: str, header: Sequence[str], rows: Iterable[Sequence[object]],
               number_formats: Sequence[str | None],
               on_workbook: Callable[[Any], None] | None = None) -> None:
    """A one-sheet workbook; text cells are forced to text (never formulas)."""
    with atomic_output(path) as tmp:
        tmp.write_bytes(xlsx_bytes(title, header, rows, number_formats, on_workbook))


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence[object]],
               number_formats: Sequence[str | None],
               on_workbook: Callable[[Any], None] | None = None,
               fixed_time: dt.datetime | None = None) -> bytes:
    """The workbook's bytes. With ``fixed_time`` every timestamp inside (the document
    properties and the zip entries, which openpyxl stamps with the clock) is that time, so
    the same data gives the same bytes."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31])

    def text_cell(value: str) -> Any:
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        cell.number_format = "@"
        return cell

    ws.append([text_cell(h) for h in header])
    for row in rows:
        out = []
        for value, fmt in zip(row, number_formats, strict=True):
            if isinstance(value, str):
                out.append(text_cell(value))
            elif value is None:
                out.append(None)
            else:
                cell = WriteOnlyCell(ws, value=value)
                if fmt:
                    cell.number_format = fmt
                out.append(cell)
        ws.append(out)
    if on_workbook:
        on_workbook(wb)
    buffer = io.BytesIO()
    wb.save(buffer)
    content = buffer.getvalue()
    return content if fixed_time is None else _fix_times(content, fixed_time)


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
