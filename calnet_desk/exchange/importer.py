"""Import: a CSV or XLSX file of one record kind into the register, all or nothing.

Every bad cell is reported as ``FILE:ROW:COLUMN: reason`` (ROW as the spreadsheet shows
it, header = row 1) and nothing is written unless the whole file is good.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..records import KINDS, Field, Kind, Record, Value
from ..store import Register
from ..values import BadValue, parser_for
from .sheets import SheetError, read_rows


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)
    written: bool = False


def header_key(text: str) -> str:
    return "_".join(text.strip().lower().replace("-", " ").replace("_", " ").split())


def match_header(kind: Kind, header: list[object]) -> tuple[list[tuple[int, Field]], list[str],
                                                            list[int]]:
    """Map header cells to fields: (column index, field) pairs, errors, ignored blanks."""
    by_key: dict[str, Field] = {}
    for f in kind.fields:
        by_key[f.name] = f
        by_key.setdefault(header_key(f.label), f)
    mapped: list[tuple[int, Field]] = []
    errors: list[str] = []
    blank: list[int] = []
    seen: dict[str, int] = {}
    for i, cell in enumerate(header):
        text = "" if cell is None else str(cell).strip()
        if text.startswith("\ufeff"):
            text = text[1:]
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


Progress = Callable[[int, int], None]


def read_records(path: Path, kind: Kind, reg: Register, name: str | None = None
                 ) -> tuple[list[Record], list[str], int]:
    """Parse and check the whole file: (good records, error lines, data rows)."""
    label = name or str(path)
    records: list[Record] = []
    checked: list[tuple[int, Record]] = []  # every data row, good or not, for references
    problems: list[tuple[int, int, str]] = []  # (row, column index, "COLUMN: reason")
    rows_seen = 0
    with read_rows(path, label) as rows:
        first = next(rows, None)
        if first is None:
            return [], [f"{label}: the file is empty (no header row)"], 0
        header = list(first[1])
        mapped, header_errors, blank = match_header(kind, header)
        # A bad header does not stop the cell checks: every error is reported at once.
        columns = [(i, f.name, parser_for(f), f.required, str(header[i]).strip())
                   for i, f in mapped]
        key_name = kind.key.name
        key_index, key_col = next(((c[0], c[4]) for c in columns if c[1] == key_name),
                                  (0, key_name))  # no key column: no duplicate check
        seen_keys: dict[str, int] = {}
        width = len(header)
        for rownum, row in rows:
            lead = row[0] if row else None
            if (lead is None or lead == "") and not any(c is not None and c != ""
                                                        for c in row):
                continue  # a blank line between blocks is not an error
            rows_seen += 1
            record: dict[str, Value] = {}
            bad = False
            ncells = len(row)
            for i, fname, parse, required, col in columns:
                raw = row[i] if i < ncells else None
                if raw is None:  # every parser reads an empty cell as blank
                    value = None
                else:
                    try:
                        value = parse(raw)
                    except BadValue as e:
                        problems.append((rownum, i, f"{col}: {e}"))
                        bad = True
                        continue
                if value is None and required:
                    problems.append((rownum, i, f"{col}: required, but blank"))
                    bad = True
                record[fname] = value
            for i in blank:
                if i < ncells and row[i] not in (None, ""):
                    problems.append((rownum, i, f"(column {i + 1}): a value under a blank "
                                     "header"))
                    bad = True
            if ncells > width and any(c not in (None, "") for c in row[width:]):
                problems.append((rownum, width, f"(column {width + 1}): a value beyond the "
                                 "last header"))
                bad = True
            key = record.get(key_name)
            if isinstance(key, str):
                if key in seen_keys:
                    problems.append((rownum, key_index, f"{key_col}: {key} appears again "
                                     f"(first on row {seen_keys[key]})"))
                    bad = True
                else:
                    seen_keys[key] = rownum
            checked.append((rownum, record))
            if not bad:
                records.append(record)
    # References must name records already in the register (in rows with other errors too).
    for i, f in mapped:
        if not f.references:
            continue
        target = KINDS[f.references]
        known = reg.keys(target)
        col = str(header[i]).strip()
        for rownum, rec in checked:
            v = rec.get(f.name)
            if isinstance(v, str) and v not in known:
                problems.append((rownum, i, f"{col}: {target.singular} {v} is not in the "
                                 "register"))
    problems.sort(key=lambda p: (p[0], p[1]))
    return records, ([f"{label}:{e}" for e in header_errors]
                     + [f"{label}:{r}:{msg}" for r, _, msg in problems]), rows_seen


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused for the block, as for a bulk load: an import keeps
    a record per row, and the collector would re-scan that growing heap again and again
    (about a tenth of a large import's time) for cycles the import does not make. What
    the block frees is freed at once all the same (reference counting)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def import_file(reg: Register, path: Path, kind: Kind, *, dry_run: bool = False,
                name: str | None = None, progress: Progress | None = None) -> ImportResult:
    with collector_paused():
        return _import_file(reg, path, kind, dry_run, name, progress)


def _import_file(reg: Register, path: Path, kind: Kind, dry_run: bool, name: str | None,
                 progress: Progress | None) -> ImportResult:
    result = ImportResult(kind.name)
    try:
        records, errors, rows = read_records(path, kind, reg, name)
    except SheetError as e:
        result.errors.append(str(e))
        return result
    result.rows = rows
    result.errors = errors
    if errors or dry_run:
        return result
    with reg.transaction(f"import {path.name}") as tx:
        counts = tx.put_many(kind, records, progress=progress, total=len(records))
    result.inserted, result.updated = counts["insert"], counts["update"]
    result.unchanged = counts["unchanged"]
    result.written = True
    return result
