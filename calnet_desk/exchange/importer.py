"""Import: a CSV or XLSX file of one record kind into the register, all or nothing.

Every bad cell is reported as ``FILE:ROW:COLUMN: reason`` (ROW as the spreadsheet shows
it, header = row 1) and nothing is written unless the whole file is good.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import cache
from itertools import zip_longest
from pathlib import Path

from ..policy.catalog import completer_for
from ..progress import Progress, collector_paused
from ..records import (
    BILLING_KINDS,
    KEY_SEPARATOR,
    KINDS,
    Field,
    Kind,
    Record,
    Value,
    order_problems,
)
from ..store import Register
from ..store.errors import printable
from ..store.history import Sealer
from ..store.register import Upsert
from ..values import BadValue, parser_for
from .sheet_reader import Row
from .sheets import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    SheetError,
    cut_with_note,
    read_rows,
    sheet_format,
    texts_as_typed,
)


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    written: bool = False
    notes: list[str] = field(default_factory=list)  # e.g. the columns an import ignored
    problem_rows: int = 0  # rows with at least one problem (a header problem: row 1)
    warnings: list[str] = field(default_factory=list)  # FILE:ROW:COLUMN: imported, but odd
    # the history entries the import wrote: ids after entries[0] up to entries[1]
    entries: tuple[int, int] | None = None


# Records of a file held in memory before an import starts writing them while it reads (a
# design choice: about 100 MB of records; a larger file is written in batches, in one
# transaction rolled back when a problem is found later, so memory stays flat).
HOLD_ROWS = 50_000
# A file at least this large has its new records' history entries sealed in a process of
# their own (history.Sealer) while this one checks the next: about 10,000 rows of the
# benchmark's 23-column XLSX, 5,000 of such a CSV (a design choice: the process takes ~0.1 s
# of CPU to start, beside the reading; sealing 1,000 entries takes ~20 ms). Only with a
# second core to run it: on one, the process's overhead made the benchmark slower (4.39 s
# against 4.09 s; on two, 3.04-3.15 s against 3.20-3.23 s).
SEAL_APART_BYTES = 1 << 20

# Dates that say something already happened: one after today is most likely a typing slip
# (2062 for 2026), so the dry run warns (a design choice; nothing refuses it).
PAST_EVENT_DATES = frozenset({"completed_on", "submitted_on", "decided_on", "approved_on",
                              "notice_given_on"})


def header_key(text: str) -> str:
    return "_".join(text.strip().lower().replace("-", " ").replace("_", " ").split())


ALIASES_FILE = "header-aliases.toml"
ColumnMap = dict[int, str | None]  # column index -> field name, or None: the column is ignored


@cache
def header_aliases() -> dict[str, dict[str, str]]:
    """``{kind: {header_key(spelling): field name}}`` from data/rules/header-aliases.toml:
    the spellings agencies' own sheets use ("Req #", "MRC", "Circuit ID"). Checked as it
    loads: every kind and field exists, and no spelling names two columns of a kind or
    another column's own name or label."""
    import tomllib
    from importlib import resources

    text = (resources.files("calnet_desk") / "data" / "rules" / ALIASES_FILE).read_text("utf-8")
    data = tomllib.loads(text)
    out: dict[str, dict[str, str]] = {}
    declared = {**KINDS, **BILLING_KINDS}
    for kind_name, table in data.get("header-aliases", {}).items():
        if kind_name not in declared:
            raise ValueError(f"{ALIASES_FILE}: header-aliases.{kind_name}: no such record kind")
        kind = declared[kind_name]
        own = {k: f.name for f in kind.fields for k in (f.name, header_key(f.label))}
        found: dict[str, str] = {}
        for field_name, spellings in table.items():
            if field_name not in kind.by_name:
                raise ValueError(f"{ALIASES_FILE}: header-aliases.{kind_name}.{field_name}: "
                                 f"{kind_name} has no such column")
            for spelling in spellings:
                key = header_key(str(spelling))
                other = found.get(key) or own.get(key)
                if other is not None and other != field_name:
                    raise ValueError(f"{ALIASES_FILE}: {spelling!r} names both {other} and "
                                     f"{field_name} of {kind_name}")
                found[key] = field_name
        out[kind_name] = found
    return out


def _header_index(kind: Kind) -> dict[str, Field]:
    """Header spellings of a kind's columns: names, then labels, then the aliases."""
    by_key: dict[str, Field] = {}
    for f in kind.fields:
        by_key[f.name] = f
        by_key.setdefault(header_key(f.label), f)
    for key, name in header_aliases().get(kind.name, {}).items():
        by_key.setdefault(key, kind.by_name[name])
    return by_key


def _cell_text(cell: object) -> str:
    text = "" if cell is None else str(cell).strip()
    return text[1:] if text.startswith("\ufeff") else text


def match_header(kind: Kind, header: list[object]) -> tuple[list[tuple[int, Field]], list[str],
                                                            list[int]]:
    """Map header cells to fields: (column index, field) pairs, errors, ignored blanks."""
    by_key = _header_index(kind)
    mapped: list[tuple[int, Field]] = []
    errors: list[str] = []
    blank: list[int] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(header):
        text = _cell_text(cell)
        if not text:
            blank.append(i)
            continue
        found = by_key.get(header_key(text))
        if found is None:
            errors.append(f"1:{text}: unknown column for {kind.name}; the columns are "
                          f"{', '.join(kind.columns)}")
            continue
        if found.name in seen:
            errors.append(f"1:{text}: column {found.name} appears twice "
                          f"(columns {seen[found.name] + 1} and {i + 1})")
            continue
        seen[found.name] = i
        mapped.append((i, found))
    for f in kind.fields:
        if f.required and f.name not in seen:
            errors.append(f"1:{f.name}: required column is missing")
    return mapped, errors, blank


def propose_mapping(kind: Kind, header: list[object]) -> ColumnMap:
    """The mapping import would use for this header, as a starting point to correct:
    ``{column index: field name}``, None for a blank, unknown or repeated column."""
    by_key = _header_index(kind)
    proposal: ColumnMap = {}
    taken: set[str] = set()
    for i, cell in enumerate(header):
        text = _cell_text(cell)
        found = by_key.get(header_key(text)) if text else None
        if found is None or found.name in taken:
            proposal[i] = None
        else:
            proposal[i] = found.name
            taken.add(found.name)
    return proposal


def column_name(header: list[object], i: int) -> str:
    """How a column is named in messages: its header text, or "(column N)" when blank."""
    text = _cell_text(header[i]) if i < len(header) else ""
    return text or f"(column {i + 1})"


def apply_mapping(kind: Kind, header: list[object], mapping: ColumnMap
                  ) -> tuple[list[tuple[int, Field]], list[str], list[str]]:
    """An explicit mapping checked: (column index, field) pairs, errors, notes (one per
    ignored column that has a header)."""
    mapped: list[tuple[int, Field]] = []
    errors: list[str] = []
    notes: list[str] = []
    seen: dict[str, int] = {}
    for i in range(len(header)):
        name = mapping.get(i)
        col = column_name(header, i)
        if name is None:
            if _cell_text(header[i]):
                notes.append(f"1:{col}: column {i + 1} is not imported (mapped to no field)")
            continue
        f = kind.by_name.get(name)
        if f is None:
            errors.append(f"1:{col}: {kind.name} has no column {name}")
            continue
        if name in seen:
            errors.append(f"1:{col}: column {name} is mapped twice "
                          f"(columns {seen[name] + 1} and {i + 1})")
            continue
        seen[name] = i
        mapped.append((i, f))
    for f in kind.fields:
        if f.required and f.name not in seen:
            errors.append(f"1:{f.name}: required column is missing (map a column to it)")
    return mapped, errors, notes


def read_header(path: Path, name: str | None = None) -> list[object]:
    """The header row (row 1) of a CSV or XLSX; [] for an empty file."""
    with read_rows(path, name) as rows:
        first = next(rows, None)
    return list(first[1]) if first else []


def preview(path: Path, kind: Kind, mapping: ColumnMap, limit: int = 20,
            name: str | None = None) -> list[tuple[int, Record, dict[str, str]]]:
    """The first data rows as import would store them: (row number, values by field,
    {field: problem} for cells that would not import). References are not checked here
    (the dry run does)."""
    label = name or str(path)
    out: list[tuple[int, Record, dict[str, str]]] = []
    typed = texts_as_typed(path)
    with read_rows(path, label) as rows:
        first = next(rows, None)
        if first is None:
            return out
        mapped, _, _ = apply_mapping(kind, list(first[1]), mapping)
        for rownum, row in rows:
            if not any(c is not None and c != "" for c in row):
                continue
            record: Record = {}
            problems: dict[str, str] = {}
            for i, f in mapped:
                raw = row[i] if i < len(row) else None
                try:
                    value = None if raw is None else parser_for(f, typed)(raw)
                except BadValue as e:
                    problems[f.name] = str(e)
                    continue
                if value is None and f.required:
                    problems[f.name] = "required, but blank"
                record[f.name] = value
            out.append((rownum, record, problems))
            if len(out) >= limit:
                break
    return out



_MISS = object()
# Cells of these types parsed as a table of a column's distinct cells: no cell equals one
# of another type, but for the numbers (1 == 1.0 == True), so a column holding more than
# one of those is parsed cell by cell. (A NaN is found by identity: each parsed alone.)
_TABLE_TYPES = frozenset({str, dt.date, type(None), int, float, bool})
_NUMBERS = frozenset({int, float, bool})
_CACHE_LIMIT = 4096  # distinct raw values remembered per column (a design choice)
CHUNK_ROWS = 2048  # rows parsed together, column by column


@dataclass
class _Column:
    """One mapped column, with its parser picked once and the values it already parsed
    (a column of choices, names or dates repeats a few values many times)."""
    index: int
    name: str
    parse: Callable[[object], Value]
    required: bool
    label: str
    cache: dict[object, Value] | None
    # the one kind of number the cache holds: 0 == False and 1 == 1.0 == True across chunks
    # too, so a chunk with another kind of number starts the table afresh
    cache_numbers: type | None = None

    def values(self, cells: tuple[object, ...] | list[object],
               problems: list[tuple[int, int, str]], rownums: list[int],
               bad: set[int]) -> list[Value]:
        """The column's values, None for a cell that does not parse (its problem noted,
        its row marked bad)."""
        parse, cache = self.parse, self.cache
        failed_at: dict[int, str] = {}  # position in the chunk -> why it does not parse
        out: list[Value]
        types = set(map(type, cells))
        numbers = types & _NUMBERS
        if cache is not None and types <= _TABLE_TYPES and len(numbers) <= 1:
            # each distinct cell parsed once
            number = next(iter(numbers), None)
            if len(cache) >= _CACHE_LIMIT or (
                    number is not None and self.cache_numbers not in (None, number)):
                cache.clear()
                self.cache_numbers = None
            if number is not None:
                self.cache_numbers = number
            cache[None] = None  # every parser reads an empty cell as blank
            failed: dict[object, str] = {}
            for raw in set(cells).difference(cache):
                try:
                    cache[raw] = parse(raw)
                except BadValue as e:
                    failed[raw] = str(e)
            out = list(map(cache.get, cells))  # a failed cell: None
            if failed:
                failed_at = {j: failed[raw] for j, raw in enumerate(cells) if raw in failed}
        else:  # cell by cell
            out = []
            append = out.append
            for j, raw in enumerate(cells):
                if raw is None:
                    append(None)
                    continue
                try:
                    append(parse(raw))
                except BadValue as e:
                    failed_at[j] = str(e)
                    append(None)
        for j, why in failed_at.items():
            problems.append((rownums[j], self.index, f"{self.label}: {why}"))
            bad.add(j)
        if self.required:
            for j in [j for j, v in enumerate(out) if v is None]:
                if j not in failed_at:
                    problems.append((rownums[j], self.index,
                                     f"{self.label}: required, but blank"))
                    bad.add(j)
        return out


def _longest_text(column: tuple[object, ...]) -> int:
    """The length of the column's longest text cell (0 if none), over its distinct cells."""
    try:
        distinct: Iterable[object] = set(column)
    except TypeError:  # a cell that cannot be hashed (no reader gives one)
        distinct = column
    return max(map(len, [c for c in distinct if type(c) is str]), default=0)


def _chunks(rows: Iterator[tuple[int, Row]], size: int) -> Iterator[list[tuple[int, Row]]]:
    """The rows that hold something (a blank line between blocks is not an error), in
    lists of ``size``."""
    chunk: list[tuple[int, Row]] = []
    for numbered in rows:
        row = numbered[1]
        lead = row[0] if row else None
        if (lead is None or lead == "") and not any(c is not None and c != "" for c in row):
            continue
        chunk.append(numbered)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk




def read_records(path: Path, kind: Kind, reg: Register, name: str | None = None,
                 mapping: ColumnMap | None = None, notes: list[str] | None = None,
                 *, problem_rows: set[int] | None = None, today: dt.date | None = None,
                 warnings: list[str] | None = None,
                 sink: Callable[[list[Record]], None] | None = None,
                 expected: list[int] | None = None
                 ) -> tuple[list[Record], list[str], int]:
    """Parse and check the whole file: (good records, error lines, data rows). With a
    mapping (see propose_mapping) the header is not matched: the mapped columns are read
    and the others ignored, each noted in ``notes``. ``problem_rows`` receives the row
    numbers with a problem; with ``today``, ``warnings`` receives the cells of
    PAST_EVENT_DATES after it.

    With ``sink``, a file of more than HOLD_ROWS good records hands them on in batches
    while no problem has been found (the caller writes them in a transaction it rolls
    back if one is found later), so memory does not grow with the file; the records
    returned are those not handed on. ``expected`` receives, before the first batch, how
    many data rows the file holds at most, when its reader can tell (for progress)."""
    label = name or str(path)
    records: list[Record] = []
    problems: list[tuple[int, int, str]] = []  # (row, column index, "COLUMN: reason")
    rows_seen = 0
    with read_rows(path, label) as rows:
        first = next(rows, None)
        if first is None:
            return [], [f"{label}: the file is empty (no header row)"], 0
        header = list(first[1])
        if expected is not None and rows.total is not None:
            expected.append(max(rows.total - 1, 0))
        if len(header) > MAX_COLUMNS:
            return [], [f"{label}:1: the header has {len(header):,} columns, more than "
                        f"{MAX_COLUMNS:,}; nothing was imported"], 0
        if mapping is None:
            mapped, header_errors, blank = match_header(kind, header)
        else:
            mapped, header_errors, ignored = apply_mapping(kind, header, mapping)
            blank = []  # an unmapped column is ignored, blank header or not
            if notes is not None:
                notes.extend(f"{label}:{n}" for n in ignored)
        # A bad header does not stop the cell checks: every error is reported at once.
        typed = texts_as_typed(path)
        columns = [_Column(i, f.name, parser_for(f, typed), f.required, column_name(header, i),
                           None if f.type == "list" else {})
                   for i, f in mapped]
        names = [c.name for c in columns]
        key_name = kind.key_names[-1]  # a composite key: its last part's column
        key_index, key_col = next(((c.index, c.label) for c in columns if c.name == key_name),
                                  (0, key_name))  # no key column: no duplicate check
        seen_keys: dict[str, int] = {}
        # References must name records already in the register (in rows with other
        # errors too); the register's keys are read once per referenced kind.
        references = [(i, f.name, KINDS[f.references], column_name(header, i))
                      for i, f in mapped if f.references]
        known = {target.name: reg.keys(target) for _, _, target, _ in references}
        past = ([(f.name, column_name(header, i)) for i, f in mapped
                 if f.name in PAST_EVENT_DATES] if today is not None and warnings is not None
                else [])
        now = today.isoformat() if today is not None else ""
        streaming = sink is not None
        width = len(header)
        is_csv = sheet_format(path) == "csv"
        ordered = any(f.later_than for f in kind.fields)
        single_key = len(kind.key_names) == 1
        for chunk in _chunks(rows, CHUNK_ROWS):
            rownums = [n for n, _ in chunk]
            cells = [row for _, row in chunk]
            rows_seen += len(chunk)
            bad: set[int] = set()  # positions in the chunk of rows with a problem
            ncols = max(map(len, cells))
            if is_csv or ncols != min(map(len, cells)):
                for j, row in enumerate(cells):
                    ncells = len(row)
                    if is_csv and ncells < width:
                        problems.append((rownums[j], ncells, f"(column {ncells + 1}): the "
                                         f"row has {ncells} cell(s), the header {width}: a "
                                         "row cut short?"))
                        bad.add(j)
                    if ncells > width and any(c not in (None, "") for c in row[width:]):
                        problems.append((rownums[j], width, f"(column {width + 1}): a value "
                                         "beyond the last header"))
                        bad.add(j)
                by_column = list(zip_longest(*cells))
            else:
                by_column = list(zip(*cells, strict=True))
                if ncols > width:
                    for j, row in enumerate(cells):
                        if any(c not in (None, "") for c in row[width:]):
                            problems.append((rownums[j], width, f"(column {width + 1}): a "
                                             "value beyond the last header"))
                            bad.add(j)
            for i, column in enumerate(by_column):
                longest = _longest_text(column)
                if longest > MAX_CELL_CHARS and not is_csv:
                    for j, c in enumerate(column):
                        if isinstance(c, str) and len(c) > MAX_CELL_CHARS:
                            problems.append((rownums[j], i, f"{column_name(header, i)}: "
                                             f"longer than {MAX_CELL_CHARS:,} characters "
                                             "(Excel's limit)"))
                            bad.add(j)
                if longest > MAX_CELL_CHARS // 2:  # a bundle's cut cell is this long at least
                    for j, c in enumerate(column):
                        if isinstance(c, str) and cut_with_note(c):
                            problems.append((rownums[j], i, f"{column_name(header, i)}: "
                                             "holds only the beginning of a longer text, cut "
                                             "where a spreadsheet cell ends (the note at its "
                                             "end says so); import the CSV or JSON beside "
                                             "this workbook, which holds it whole"))
                            bad.add(j)
            empty: tuple[object, ...] = (None,) * len(cells)
            values = [c.values(by_column[c.index] if c.index < ncols else empty, problems,
                               rownums, bad) for c in columns]
            for i in blank:
                if i < ncols:
                    for j, c in enumerate(by_column[i]):
                        if c not in (None, ""):
                            problems.append((rownums[j], i, f"(column {i + 1}): a value "
                                             "under a blank header"))
                            bad.add(j)
            records_here: list[Record] = (
                [dict(zip(names, vs, strict=True)) for vs in zip(*values, strict=True)]
                if values else [{} for _ in cells])
            for j, record in enumerate(records_here):
                rownum = rownums[j]
                if ordered:
                    for name, why in order_problems(kind, record):
                        at, col = next(((c.index, c.label) for c in columns
                                        if c.name == name), (0, name))
                        problems.append((rownum, at, f"{col}: {why}"))
                        bad.add(j)
                if single_key:
                    key = record.get(key_name)
                    if type(key) is not str or not key:
                        key = None
                else:
                    problem = kind.key_problem(record)
                    key = kind.record_key(record) if problem is None else None
                    if problem and all(record.get(n) for n in kind.key_names):
                        # a separator inside a part of a composite key: point at that cell
                        at, col = next(((c.index, c.label) for c in columns
                                        for n in kind.key_names[:-1]
                                        if c.name == n and KEY_SEPARATOR in str(record.get(n))),
                                       (key_index, key_col))
                        problems.append((rownum, at, f"{col}: {problem}"))
                        bad.add(j)
                if key is not None:
                    first_on = seen_keys.setdefault(key, rownum)
                    if first_on != rownum:
                        problems.append((rownum, key_index, f"{key_col}: {key} appears again "
                                         f"(first on row {first_on})"))
                        bad.add(j)
            for i, fname, target, col in references:
                names_known = known[target.name]
                for j, v in enumerate(values[names.index(fname)]):
                    if isinstance(v, str) and v not in names_known:
                        problems.append((rownums[j], i, f"{col}: {target.singular} {v} is not "
                                         "in the register"))  # (the record still counts good)
            for fname, col in past:
                for j, day in enumerate(values[names.index(fname)]):
                    if isinstance(day, str) and day > now:  # ISO dates compare as text
                        assert warnings is not None
                        warnings.append(f"{label}:{rownums[j]}:{col}: {day} is after today "
                                        f"({now}); check the date")
            if bad:
                records.extend(r for j, r in enumerate(records_here) if j not in bad)
            else:
                records.extend(records_here)
            if streaming and len(records) > HOLD_ROWS:
                if problems or header_errors:
                    streaming = False  # nothing more is written: the caller rolls back
                    records.clear()
                else:
                    assert sink is not None
                    sink(records)
                    records = []
            elif not streaming and sink is not None and problems:
                records.clear()  # no import now: what is kept is only counted
    problems.sort(key=lambda p: (p[0], p[1]))
    if problem_rows is not None:
        problem_rows.update(r for r, _, _ in problems)
        if header_errors:
            problem_rows.add(1)
    # printed to a terminal: control characters escaped, a 100,000-digit value shortened
    return records, ([printable(f"{label}:{e}", 500) for e in header_errors]
                     + [printable(f"{label}:{r}:{msg}", 500) for r, _, msg in problems]
                     ), rows_seen


def import_file(reg: Register, path: Path, kind: Kind, *, dry_run: bool = False,
                name: str | None = None, progress: Progress | None = None,
                mapping: ColumnMap | None = None, today: dt.date | None = None
                ) -> ImportResult:
    """Import the file, all rows or none. ``mapping`` (column index -> field or None)
    replaces matching the header: unmapped columns are ignored, each noted. With ``today``,
    dates of things done (PAST_EVENT_DATES) after it are warned about."""
    with collector_paused():
        return _import_file(reg, path, kind, dry_run, name, progress, mapping, today)


def _cores() -> int:
    """The CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # Windows, macOS
        return os.cpu_count() or 1


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:  # the reader says why
        return 0


class _Rejected(Exception):
    """A problem found after the import started writing: the transaction rolls back."""


def _import_file(reg: Register, path: Path, kind: Kind, dry_run: bool, name: str | None,
                 progress: Progress | None, mapping: ColumnMap | None,
                 today: dt.date | None = None) -> ImportResult:
    result = ImportResult(kind.name)
    bad_rows: set[int] = set()
    expected: list[int] = []  # the data rows the file holds at most, when its reader tells
    before = reg.newest_entry_id()
    try:
        with ExitStack() as stack:
            upsert: list[Upsert] = []
            sealer: Sealer | None = None
            if not dry_run and _size(path) >= SEAL_APART_BYTES and _cores() > 1:
                sealer = Sealer()  # started now, ready by the first batch
                stack.callback(sealer.close)  # after the transaction (entered later) ends

            def sink(batch: list[Record]) -> None:
                if not upsert:  # a large file: the transaction starts with its first batch
                    tx = stack.enter_context(reg.transaction(f"import {path.name}"))
                    # the bar's total: the file's rows (0 when unknown: the bar shows that
                    # it is busy), never the rows done so far
                    upsert.append(tx.upsert(kind, progress=progress, background=True,
                                            total=expected[0] if expected else 0,
                                            complete=completer_for(reg, kind.name, True),
                                            sealer=sealer))
                upsert[0].add(batch)

            try:
                records, errors, rows = read_records(
                    path, kind, reg, name, mapping, result.notes, problem_rows=bad_rows,
                    today=today, warnings=result.warnings, sink=None if dry_run else sink,
                    expected=expected)
            except SheetError as e:
                result.errors.append(str(e))
                if upsert:
                    raise _Rejected from e
                return result
            result.rows = rows
            result.errors = errors
            result.problem_rows = len(bad_rows)
            if errors or dry_run:
                if upsert:
                    raise _Rejected
                return result
            if upsert:
                upsert[0].add(records)
                counts = upsert[0].finish()
            else:
                tx = stack.enter_context(reg.transaction(f"import {path.name}"))
                counts = tx.put_many(kind, records, progress=progress, total=len(records),
                                     complete=completer_for(reg, kind.name, True),
                                     background=True, sealer=sealer)
    except _Rejected:
        return result
    result.entries = (before, reg.newest_entry_id())
    result.inserted, result.updated = counts["insert"], counts["update"]
    result.unchanged = counts["unchanged"]
    result.written = True
    return result
