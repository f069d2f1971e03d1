"""Import a contractor's monthly statement (CSV or XLSX), all lines or none.

The file is read with the same rules and error format as ``import`` (``FILE:ROW:COLUMN:
reason``, every error at once, nothing written). Its bytes are stored as a document
(content-addressed by SHA-256); the statement's history entry names that SHA-256, the line
count and the totals, and the lines are derived from the stored file (verify re-derives
them: :func:`check_statements`).

The same file again for the same contractor and month changes nothing; a different file
for a month already imported is refused unless ``replace``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import compress
from pathlib import Path
from typing import cast

from ..policy.reconcile import TollFree
from ..progress import collector_paused
from ..records import STATEMENT_LINE_IDS, STATEMENT_LINES, Value
from ..store import Register
from ..store.billing import (
    LINE_COLUMNS,
    Statement,
    get_statement,
    line_summary,
    lines,
    put_statement,
    statements,
    writing_lines,
)
from ..store.documents import add_document, document_path, hash_file, store_file
from ..store.register import Changes
from ..store.verify import Finding
from ..values import BadValue, parse_integer, parse_money, parse_text, parser_for
from .importer import column_name, match_header
from .sheet_reader import Row, read_row_blocks
from .sheets import SheetError, sheet_format

_MONTH = re.compile(r"(\d{4})-(\d{2})")
Progress = Callable[[int, int], None]


class BadMonth(ValueError):
    pass


def parse_month(text: str) -> str:
    """A service month ``YYYY-MM`` (checked: a real month)."""
    m = _MONTH.fullmatch(text.strip())
    if not m or not 1 <= int(m[2]) <= 12 or int(m[1]) < 1900:
        raise BadMonth(f"{text!r} is not a month YYYY-MM (e.g. 2026-01)")
    return text.strip()


def previous_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


def parse_usage(raw: object) -> Value | float:
    """Usage (minutes or units): a number, 0 or more; blank stays blank (not zero)."""
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise BadValue(f"{raw!r} is not a number of minutes or units")
    if isinstance(raw, int | float):
        number = float(raw)
        text = repr(raw)
    else:
        text = str(raw).strip().replace(",", "")
        if not text:
            return None
        try:
            number = float(text)
        except ValueError:
            raise BadValue(f"{text!r} is not a number of minutes or units") from None
    if not math.isfinite(number) or number < 0:
        raise BadValue(f"{text!r} is not a number of minutes or units (0 or more)")
    return number


@dataclass
class StatementImport:
    contractor: str
    month: str
    name: str
    status: str = "bad"  # imported | replaced | unchanged | refused | checked | bad
    sha256: str = ""
    lines: int = 0
    total_mrc: int = 0
    total_nrc: int = 0
    errors: list[str] = field(default_factory=list)
    previous: Statement | None = None

    @property
    def written(self) -> bool:
        return self.status in ("imported", "replaced")


class StatementRejected(ValueError):
    """Ends a statement's transaction without writing (see StatementReading.errors)."""


@dataclass
class StatementReading:
    lines: int = 0
    total_mrc: int = 0
    total_nrc: int = 0
    errors: list[str] = field(default_factory=list)


CHUNK_ROWS = 5000  # rows checked column by column at a time

# A blank cell in a LineBatch is "" (the store writes it as NULL): Python's sqlite3 binds
# None only after looking for an adapter for it (about 0.4 µs a cell, more than binding a
# text), and a CSV's blank cells are "" already.
BLANK = ""


@dataclass(frozen=True)
class LineBatch:
    """Good lines of a statement, column by column: ``rows`` (their rows in the file) and
    one sequence per LINE_COLUMNS (BLANK for a blank cell)."""
    rows: Sequence[int]
    columns: tuple[Sequence[object], ...]

    def __len__(self) -> int:
        return len(self.rows)

    def lines(self) -> Iterator[tuple[object, ...]]:
        """The lines as (row, *LINE_COLUMNS) tuples, None for a blank cell (as stored)."""
        for line in zip(self.rows, *self.columns, strict=True):
            yield tuple(None if v == BLANK else v for v in line)


def read_statement(path: Path, label: str, reading: StatementReading
                   ) -> Iterator[LineBatch]:
    """Read and check the file, yielding batches of good lines while no error has been
    found; every error goes to ``reading.errors`` as ``FILE:ROW:COLUMN: reason`` (by row,
    then column). Raises SheetError when the file cannot be read at all.

    The rows are checked a chunk at a time, column by column: each column's cells go
    through its type's parser with a short way for the plain values statements hold
    (decided and converted over the whole column at C speed), which keeps a million-line
    import close to the speed of reading the CSV."""
    fmt = sheet_format(path)
    slot = {name: i for i, name in enumerate(LINE_COLUMNS)}
    with read_row_blocks(path, label, CHUNK_ROWS) as blocks:
        start, first = next(blocks, (1, ()))
        if not first:
            reading.errors.append(f"{label}: the file is empty (no header row)")
            return
        header = list(first[0])
        mapped, header_errors, blank = match_header(STATEMENT_LINES, header)
        errors = reading.errors
        errors.extend(f"{label}:{e}" for e in header_errors)
        names = {f.name for _, f in mapped}
        if not names & set(STATEMENT_LINE_IDS):
            errors.append(f"{label}:1:circuit_id: the statement needs a column for the "
                          "circuit id, the WTN or the SR number (at least one)")
        columns = [(i, slot[f.name], _column_parser(f.name, f.type), column_name(header, i))
                   for i, f in mapped]
        id_columns = [(i, column_name(header, i)) for i, f in mapped
                      if f.name in STATEMENT_LINE_IDS]
        id_slots = [slot[f.name] for _, f in mapped if f.name in STATEMENT_LINE_IDS]
        id_col = id_columns[0][1] if id_columns else "circuit_id"
        width = len(header)
        check_width = fmt == "csv"
        mrc_at, nrc_at = slot["mrc"], slot["nrc"]
        total_mrc = total_nrc = count = 0

        def check(nums: Sequence[int], chunk: Sequence[Sequence[object]]) -> LineBatch | None:
            nonlocal total_mrc, total_nrc
            problems: list[tuple[int, int, str]] = []
            bad_rows: set[int] = set()
            n = len(chunk)
            values: list[Sequence[object] | None] = [None] * len(LINE_COLUMNS)
            even = set(map(len, chunk)) == {width}
            full = chunk if even else [(list(row) + [None] * width)[:width] for row in chunk]
            transposed = list(zip(*full, strict=True))
            texts = check_width and even  # every cell of a CSV row is text (no padding)
            for i, at, parse, col in columns:
                parsed, failed = parse(transposed[i], texts)
                for j, message in failed:
                    problems.append((nums[j], i, f"{col}: {message}"))
                    bad_rows.add(j)
                values[at] = parsed
            # rows of another width than the header's, and values under blank headers: a
            # pass over the few such rows only
            odd = (range(n) if blank else () if even
                   else [j for j, row in enumerate(chunk) if len(row) != width])
            for j in odd:
                rownum, row = nums[j], chunk[j]
                ncells = len(row)
                if check_width and ncells < width:
                    problems.append((rownum, ncells, f"{column_name(header, ncells)}: the row "
                                     f"has {ncells} cell(s) but the header {width} (a torn or "
                                     "cut row?)"))
                    bad_rows.add(j)
                for i in blank:
                    if i < ncells and row[i] not in (None, ""):
                        problems.append((rownum, i, f"(column {i + 1}): a value under a "
                                         "blank header"))
                        bad_rows.add(j)
                if ncells > width and any(c not in (None, "") for c in row[width:]):
                    problems.append((rownum, width, f"(column {width + 1}): a value beyond "
                                     "the last header"))
                    bad_rows.add(j)
            # a blank cell is "" and parsed text is never "": a row none of whose id cells
            # is truthy has none
            present = [values[at] for at in id_slots]
            has_id = list(map(any, zip(*present, strict=True))) if present else [False] * n
            if not all(has_id):
                for j in (j for j, ok in enumerate(has_id) if not ok):
                    if j not in bad_rows:
                        problems.append((nums[j], id_columns[0][0] if id_columns else 0,
                                         f"{id_col}: a line needs a circuit id, a WTN or an "
                                         "SR number"))
            problems.sort(key=lambda p: (p[0], p[1]))
            errors.extend(f"{label}:{r}:{m}" for r, _, m in problems)
            if errors:
                return None
            mrc, nrc = values[mrc_at], values[nrc_at]
            if mrc is not None:  # a blank cell ("") is left out with the zeros
                total_mrc += sum(filter(None, cast(Sequence[int], mrc)))
            if nrc is not None:
                total_nrc += sum(filter(None, cast(Sequence[int], nrc)))
            blank_column = (BLANK,) * n
            return LineBatch(nums, tuple(v if v is not None else blank_column for v in values))

        def after_header() -> Iterator[tuple[int, Sequence[Row]]]:
            if len(first) > 1:
                yield start + 1, first[1:]
            yield from blocks

        for start_row, block in after_header():
            nums: Sequence[int] = range(start_row, start_row + len(block))
            chunk: Sequence[Row] = block
            # a blank line is not an error: any(row) decides at C speed for text cells; a
            # 0 or False cell (XLSX) needs a closer look
            kept = list(map(any, chunk))
            if not all(kept):
                kept = [k or any(c is not None and c != "" for c in row)
                        for k, row in zip(kept, chunk, strict=True)]
                nums = tuple(compress(nums, kept))
                chunk = tuple(compress(chunk, kept))
                if not chunk:
                    continue
            count += len(chunk)
            batch = check(nums, chunk)
            if batch is not None:
                yield batch
        reading.lines, reading.total_mrc, reading.total_nrc = count, total_mrc, total_nrc


# A column parser takes the cells and whether every one is known to be text (CSV cells are)
ColumnParser = Callable[[Sequence[object], bool],
                        tuple[Sequence[object], list[tuple[int, str]]]]

# A whole column of plain cells is recognised by one regular expression over the column
# joined by newlines (each cell blank or plain), then converted over the joined text where
# it can be (map at C speed) or with a comprehension; a column with anything else is parsed
# cell by cell by the same parsers ``import`` uses.
_PLAIN_MONEY = re.compile(r"(?:\d{1,13}(?:\.\d\d)?)?(?:\n(?:\d{1,13}(?:\.\d\d)?)?)*")
_PLAIN_WHOLE = re.compile(r"(?:\d{1,15})?(?:\n(?:\d{1,15})?)*")
_PLAIN_DECIMAL = re.compile(r"(?:\d{1,15}(?:\.\d{1,6})?)?(?:\n(?:\d{1,15}(?:\.\d{1,6})?)?)*")


def _all_text(cells: Sequence[object], texts: bool) -> bool:
    return texts or set(map(type, cells)) <= {str}


def _plain(cells: Sequence[object], texts: bool, pattern: re.Pattern[str]
           ) -> tuple[str, int] | None:
    """(the cells joined by newlines, how many are blank) when every cell is text and
    blank or plain (matches ``pattern``)."""
    if not _all_text(cells, texts):
        return None
    joined = "\n".join(cast(Sequence[str], cells))
    # (a cell holding a line end would read as two values)
    if joined.count("\n") != len(cells) - 1 or pattern.fullmatch(joined) is None:
        return None
    return joined, cells.count("")


def _few_plain(cells: Sequence[object], texts: bool, pattern: re.Pattern[str],
               convert: Callable[[str], object]) -> list[object] | None:
    """A column that repeats itself (amounts, quantities, minutes: at most a quarter of
    its cells distinct), every cell text and blank or plain (``pattern``): each distinct
    cell checked and converted once (BLANK for a blank one) and the column mapped through
    them at C speed. None for any other column."""
    if not _all_text(cells, texts):
        return None
    distinct = set(cast(Sequence[str], cells))
    if len(distinct) * 4 > len(cells):
        return None
    joined = "\n".join(distinct)
    if joined.count("\n") != len(distinct) - 1 or pattern.fullmatch(joined) is None:
        return None
    converted: dict[str, object] = {c: convert(c) if c else BLANK for c in distinct}
    return list(map(converted.__getitem__, cast(Sequence[str], cells)))


def _cents(plain: str) -> int:
    """A plain amount (``_PLAIN_MONEY``: digits, maybe a point and two more) in cents."""
    return int(plain.replace(".", "")) if "." in plain else int(plain) * 100


def _money_column(cells: Sequence[object], texts: bool
                  ) -> tuple[Sequence[object], list[tuple[int, str]]]:
    few = _few_plain(cells, texts, _PLAIN_MONEY, _cents)
    if few is not None:
        return few, []
    plain = _plain(cells, texts, _PLAIN_MONEY)
    if plain is None:
        return _each(cells, parse_money)
    joined, blanks = plain
    dots = joined.count(".")
    if dots == len(cells) - blanks:  # every amount has its cents: drop the points
        cents = joined.replace(".", "").split("\n")
        return (list(map(int, cents)) if not blanks
                else [int(c) if c else BLANK for c in cents]), []
    if dots == 0:  # whole dollars
        return [int(c) * 100 if c else BLANK for c in cast(Sequence[str], cells)], []
    return [_cents(c) if c else BLANK for c in cast(Sequence[str], cells)], []


def _number_column(pattern: re.Pattern[str], convert: Callable[[str], object],
                   parse: Callable[[object], object]) -> ColumnParser:
    """A column of numbers: plain cells (``pattern``) converted with ``convert`` (over the
    whole column when none is blank), anything else parsed cell by cell with ``parse``."""
    def column(cells: Sequence[object], texts: bool
               ) -> tuple[Sequence[object], list[tuple[int, str]]]:
        few = _few_plain(cells, texts, pattern, convert)
        if few is not None:
            return few, []
        plain = _plain(cells, texts, pattern)
        if plain is None:
            return _each(cells, parse)
        words = cast(Sequence[str], cells)
        return (list(map(convert, words)) if not plain[1]
                else [convert(c) if c else BLANK for c in words]), []
    return column


_whole_column = _number_column(_PLAIN_WHOLE, int, parse_integer)
_usage_column = _number_column(_PLAIN_DECIMAL, float, parse_usage)


def _each(cells: Sequence[object], parse: Callable[[object], object]
          ) -> tuple[list[object], list[tuple[int, str]]]:
    out: list[object] = []
    failed: list[tuple[int, str]] = []
    for j, cell in enumerate(cells):
        try:
            value = None if cell is None or cell == "" else parse(cell)
        except BadValue as e:
            value = None
            failed.append((j, str(e)))
        out.append(BLANK if value is None else value)
    return out, failed


_SEPARATOR = "\x1f"


def _clean(texts: Collection[str]) -> bool:
    """Every cell printable, none starting with an apostrophe or with whitespace at either
    end: each is stored as it is. Decided over the joined column at C speed: printable text
    holds no whitespace but the space (tabs, line ends, no-break and other Unicode spaces
    are not printable), so only a space can sit at a cell's edge."""
    joined = _SEPARATOR.join(texts)
    return (joined.count(_SEPARATOR) == len(texts) - 1
            and joined.replace(_SEPARATOR, "").isprintable()
            and not joined.startswith(("'", " ")) and not joined.endswith(" ")
            and f"{_SEPARATOR}'" not in joined and f" {_SEPARATOR}" not in joined
            and f"{_SEPARATOR} " not in joined)


def _text_column(cells: Sequence[object], texts: bool
                 ) -> tuple[Sequence[object], list[tuple[int, str]]]:
    if _all_text(cells, texts):
        words = cast(Sequence[str], cells)
        # a column that repeats itself (BANs, products, cities) is decided by its
        # distinct cells
        distinct = set(words)
        if _clean(distinct if len(distinct) * 4 <= len(words) else words):
            return words, []  # each as it is, a blank one "" (BLANK)
        stripped = [c.strip() for c in words]
        out: list[object] = list(stripped)
        joined = "".join(stripped)
        if joined.isprintable() and "'" not in joined:
            return out, []
        odd = [j for j, s in enumerate(stripped) if s and (s[0] == "'" or not s.isprintable())]
    else:
        out = list(cells)
        odd = list(range(len(cells)))
    failed: list[tuple[int, str]] = []
    for j in odd:
        try:
            value = parse_text(cells[j])
        except BadValue as e:
            value = None
            failed.append((j, str(e)))
        out[j] = BLANK if value is None else value
    return out, failed


def _column_parser(name: str, type_: str) -> ColumnParser:
    if name == "usage":
        return _usage_column
    if type_ == "money":
        return _money_column
    if type_ == "integer":
        return _whole_column
    if type_ == "text":
        return _text_column
    parser = parser_for(STATEMENT_LINES.by_name[name])
    return lambda cells, _texts: _each(cells, parser)


def import_statement(reg: Register, path: Path, contractor: str, month: str, *,
                     dry_run: bool = False, replace: bool = False, name: str | None = None,
                     progress: Progress | None = None) -> StatementImport:
    """Import one statement (``contractor`` already canonical, ``month`` YYYY-MM)."""
    with collector_paused():
        return _import(reg, path, contractor, month, dry_run, replace, name, progress)


def _import(reg: Register, path: Path, contractor: str, month: str, dry_run: bool,
            replace: bool, name: str | None, progress: Progress | None) -> StatementImport:
    label = name or str(path)
    result = StatementImport(contractor, month, label)
    try:
        sheet_format(path)
        sha, _size = hash_file(path)
    except SheetError as e:
        result.errors.append(str(e))
        return result
    except OSError as e:
        result.errors.append(f"{label}: cannot read ({e.strerror or e})")
        return result
    result.sha256 = sha
    existing = get_statement(reg, contractor, month)
    result.previous = existing
    if existing is not None and existing.sha256 == sha:
        result.status = "unchanged"
        result.lines, result.total_mrc = existing.lines, existing.total_mrc
        result.total_nrc = existing.total_nrc
        return result
    if existing is not None and not replace:
        result.status = "refused"
        result.errors.append(
            f"{label}: {contractor} {month} was already imported from {existing.name} "
            f"(SHA-256 {existing.sha256[:12]}…, {existing.lines} lines); this is a different "
            "file. Nothing was written; to replace the statement, add --replace")
        return result
    reading = StatementReading()
    try:
        if dry_run:
            for _batch in read_statement(path, label, reading):
                pass
        else:
            with reg.transaction(f"import-billing {Path(label).name}") as tx:
                write_statement(tx, path, label, contractor, month, sha, reading,
                                existing is not None, progress)
    except SheetError as e:
        result.errors.append(str(e))
        return result
    except StatementRejected:
        if not reading.errors:
            reading.errors.append(f"{label}: the file changed while it was imported; "
                                  "nothing was written. Import it again")
    result.errors = reading.errors
    result.lines, result.total_mrc, result.total_nrc = (reading.lines, reading.total_mrc,
                                                        reading.total_nrc)
    if result.errors:
        return result
    result.status = "checked" if dry_run else ("replaced" if existing else "imported")
    return result


def _digest(lines: Iterable[Sequence[object]]) -> str:
    import hashlib

    h = hashlib.sha256()
    for line in lines:
        h.update(repr(tuple(line)).encode("utf-8"))
    return h.hexdigest()


def write_statement(tx: Changes, path: Path, label: str, contractor: str, month: str,
                    sha: str, reading: StatementReading, replacing: bool = False,
                    progress: Progress | None = None) -> None:
    """Inside the caller's transaction: the lines read from ``path`` (SHA-256 ``sha``), the
    file stored as a document and the statement with its history entry. Raises StatementRejected
    (after noting every error in ``reading``) when the file has bad lines or changed while
    it was read; the caller's transaction then writes nothing."""
    written = 0
    with writing_lines(tx, contractor, month, replacing=replacing) as insert:
        for batch in read_statement(path, label, reading):
            insert(batch.rows, batch.columns)
            written += len(batch)
            if progress:
                progress(written, 0)
    if reading.errors:
        raise StatementRejected
    stored_sha, size = store_file(tx.register.paths, path)
    if stored_sha != sha:
        raise StatementRejected  # the file changed while it was read
    name = Path(label).name
    add_document(tx, sha, name, size)
    put_statement(tx, Statement(contractor, month, sha, name, reading.lines, reading.total_mrc,
                                reading.total_nrc))


def check_statements(reg: Register) -> list[Finding]:
    """verify's billing part: every statement's stored file, read again, gives exactly
    the stored lines, and their count and totals are the statement's (its history)."""
    import shutil
    import tempfile

    problems: list[Finding] = []
    for st in statements(reg):
        ident = f"{st.contractor}:{st.month}"
        where = f"statement {st.contractor} {st.month}"
        stored = line_summary(reg, st.contractor, st.month)
        if stored != (st.lines, st.total_mrc, st.total_nrc):
            problems.append(Finding("billing", f"{where}: its stored lines ({stored[0]} lines) "
                                    "differ from the statement's count or totals "
                                    "(changed outside CALNET Desk)", "statements", ident))
            continue
        path = document_path(reg.paths, st.sha256)
        if not path.is_file():
            continue  # the document check reports a missing file
        reading = StatementReading()
        with tempfile.TemporaryDirectory(prefix="calnet-statement-") as tmp:
            # the reader tells CSV from XLSX by the suffix of the file's original name
            source = Path(tmp) / f"statement{Path(st.name).suffix or '.csv'}"
            try:
                shutil.copyfile(path, source)
                derived = _digest(line for batch in read_statement(source, st.name, reading)
                                  for line in batch.lines())
            except (SheetError, OSError) as e:
                problems.append(Finding("billing", f"{where}: its file {st.name} cannot be "
                                        f"read again ({e})", "statements", ident))
                continue
        if reading.errors or derived != _digest(lines(reg, st.contractor, st.month)):
            problems.append(Finding("billing", f"{where}: its file {st.name}, read again, "
                                    "does not give the stored lines (changed outside CALNET "
                                    "Desk)", "statements", ident))
    return problems


TOLL_FREE_COLUMNS = ("number", "contractor", "ban", "monthly_cost", "sources")


def write_toll_free(target: Path, found: list[TollFree]) -> None:
    """The toll-free list as CSV, or XLSX when the name ends in .xlsx (written whole or
    not at all)."""
    from ..values import cents_to_text, escape_cell
    from .sheets import XLSX_FORMATS, write_csv, write_xlsx

    if target.suffix.lower() == ".xlsx":
        from decimal import Decimal

        write_xlsx(target, "Toll-free numbers", TOLL_FREE_COLUMNS,
                   ([t.number, t.contractor, t.ban,
                     None if t.monthly_cost is None else Decimal(t.monthly_cost) / 100,
                     "; ".join(sorted(t.sources))] for t in found),
                   [None, None, None, XLSX_FORMATS["money"], None])
        return
    write_csv(target, TOLL_FREE_COLUMNS,
              ([t.number, escape_cell(t.contractor or ""), escape_cell(t.ban or ""),
                "" if t.monthly_cost is None else cents_to_text(t.monthly_cost),
                "; ".join(sorted(t.sources))] for t in found))
