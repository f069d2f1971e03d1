"""Contractors' statements and the marks on their findings in audit bundles.

An audit bundle carries, for the statements in its scope, ``data/billing/statements.json``
(contractor, month, the source file's SHA-256 and name, line count and totals: the file
itself is among the bundle's documents) and ``data/billing/marks.json`` (the marks on their
findings). The reconciliation is never stored: whoever reads the bundle recomputes it.

Merging adds the statements the register lacks (the lines re-derived from the bundled file,
as an import does), skips identical ones, and treats the same contractor and month with a
different file as a conflict, kept as the register's unless the bundle's is preferred, like
a record conflict. Marks merge the same way by (month, contractor, code, line).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..policy.billing_codes import CODES
from ..store import Register
from ..store.billing import Mark, Statement, get_statement, marks, put_mark, statements
from ..store.register import Changes
from .billing import StatementReading, StatementRejected, write_statement

STATEMENTS_FILE = "billing/statements.json"
MARKS_FILE = "billing/marks.json"
STATEMENT_KIND = "statements"  # as in the history and in merge conflicts
MARK_KIND = "billing-marks"
_STATEMENT_KEYS = ("contractor", "month", "sha256", "name", "lines", "total_mrc", "total_nrc")
_MARK_KEYS = ("month", "contractor", "code", "line", "mark", "amount", "note", "marked_by",
              "marked_at")


def statement_key(st: Statement) -> str:
    return f"{st.contractor}:{st.month}"


def mark_key(m: Mark) -> str:
    return f"{m.month}:{m.contractor}:{m.code}:{m.line}"


def mark_on(key: str, statement: str) -> bool:
    """Whether a mark's history key (``MONTH:CONTRACTOR:CODE:LINE``) is on a finding of the
    statement whose key (``statement_key``) is ``CONTRACTOR:MONTH``: compared whole, so a
    contractor whose name holds a colon is not taken for another ("Acme" is not "Acme:
    West")."""
    contractor, _, month = statement.rpartition(":")
    prefix = f"{month}:{contractor}:"
    return key.startswith(prefix) and key[len(prefix):].partition(":")[0] in CODES


def in_scope(reg: Register, scope_kind: str, since: str | None = None
             ) -> tuple[list[Statement], list[Mark]]:
    """The statements and marks a bundle of this scope carries: every one for ``all``;
    for ``since``, those whose history has an entry on or after the date; none for a
    single exemption, delegation or ATO (statements belong to no such record)."""
    if scope_kind == "all":
        chosen = statements(reg)
    elif scope_kind == "since" and since:
        changed = {e["key"] for e in reg.history(STATEMENT_KIND) if e["at"][:10] >= since}
        marked = [e["key"] for e in reg.history(MARK_KIND) if e["at"][:10] >= since]
        chosen = [st for st in statements(reg)
                  if statement_key(st) in changed
                  or any(mark_on(k, statement_key(st)) for k in marked)]
    else:
        chosen = []
    wanted = {(st.contractor, st.month) for st in chosen}
    kept = [m for _, m in sorted(marks(reg).items()) if (m.contractor, m.month) in wanted]
    return chosen, kept


def history_in_scope(entry_kind: str, key: str, keys: Collection[str]) -> bool:
    """Whether a history entry belongs to the bundled statements, given by their keys
    (``statement_key``): their entries and their marks' entries."""
    if entry_kind == STATEMENT_KIND:
        return key in keys
    if entry_kind == MARK_KIND:
        return any(mark_on(key, k) for k in keys)
    return False


def payload(chosen: list[Statement], kept: list[Mark]) -> list[tuple[str, bytes]]:
    """(path under data/, bytes) of the billing files; none when there is nothing."""
    if not chosen:
        return []
    st_json = [dict(zip(_STATEMENT_KEYS, (st.contractor, st.month, st.sha256, st.name, st.lines,
                                          st.total_mrc, st.total_nrc), strict=True))
               for st in chosen]
    mark_json = [dict(zip(_MARK_KEYS, (m.month, m.contractor, m.code, m.line, m.mark, m.amount,
                                       m.note, m.marked_by, m.marked_at), strict=True))
                 for m in kept]
    return [(STATEMENTS_FILE, (json.dumps(st_json, indent=2, ensure_ascii=False) + "\n")
             .encode("utf-8")),
            (MARKS_FILE, (json.dumps(mark_json, indent=2, ensure_ascii=False) + "\n")
             .encode("utf-8"))]


# --- merging --------------------------------------------------------------------------------


@dataclass
class BillingPlan:
    add: list[Statement] = field(default_factory=list)
    replace: list[Statement] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    added: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    conflicts: list[tuple[str, str, dict[str, tuple[Any, Any]]]] = field(default_factory=list)


def _load(path: Path, label: str, keys: tuple[str, ...], problems: list[str]
          ) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as e:
        problems.append(f"{label}: not readable JSON ({e})")
        return []
    if not isinstance(data, list) or not all(isinstance(o, dict) and set(o) == set(keys)
                                              for o in data):
        problems.append(f"{label}: not an array of objects with exactly {', '.join(keys)}")
        return []
    return data


def read_bundle(root: Path, problems: list[str]) -> tuple[list[Statement], list[Mark]]:
    """The billing files of an unpacked bundle, checked (none in older bundles)."""
    data = root / "data"
    found_st: list[Statement] = []
    for i, o in enumerate(_load(data / STATEMENTS_FILE, f"data/{STATEMENTS_FILE}",
                                _STATEMENT_KEYS, problems), 1):
        if not (all(isinstance(o[k], str) and o[k] for k in ("contractor", "month", "sha256",
                                                             "name"))
                and all(isinstance(o[k], int) and not isinstance(o[k], bool)
                        for k in ("lines", "total_mrc", "total_nrc"))):
            problems.append(f"data/{STATEMENTS_FILE}: statement {i}: a value of the wrong type")
            continue
        found_st.append(Statement(*(o[k] for k in _STATEMENT_KEYS)))
    found_marks: list[Mark] = []
    for i, o in enumerate(_load(data / MARKS_FILE, f"data/{MARKS_FILE}", _MARK_KEYS,
                                problems), 1):
        if not all(isinstance(o[k], str) for k in ("month", "contractor", "code", "line",
                                                    "mark", "marked_by", "marked_at")):
            problems.append(f"data/{MARKS_FILE}: mark {i}: a value of the wrong type")
            continue
        found_marks.append(Mark(*(o[k] for k in _MARK_KEYS)))
    return found_st, found_marks


def plan(reg: Register, bundled: list[Statement], bundled_marks: list[Mark],
         document_files: dict[str, Path], prefer: str, take: Collection[tuple[str, str]],
         problems: list[str]) -> BillingPlan:
    """What merging the bundle's statements and marks would do; problems for a statement
    whose file the bundle lacks."""
    out = BillingPlan()
    out.added = {STATEMENT_KIND: 0, MARK_KIND: 0}
    out.skipped = {STATEMENT_KIND: 0, MARK_KIND: 0}
    for st in bundled:
        if st.sha256 not in document_files:
            problems.append(f"statement {st.contractor} {st.month}: its file {st.name} "
                            f"({st.sha256[:12]}…) is not among the bundle's documents")
            continue
        mine = get_statement(reg, st.contractor, st.month)
        if mine is None:
            out.add.append(st)
            out.added[STATEMENT_KIND] += 1
        elif mine.sha256 == st.sha256:
            out.skipped[STATEMENT_KIND] += 1
        else:
            differ = {k: (getattr(mine, k), getattr(st, k)) for k in _STATEMENT_KEYS
                      if getattr(mine, k) != getattr(st, k)}
            out.conflicts.append((STATEMENT_KIND, statement_key(st), differ))
            if prefer == "bundle" or (STATEMENT_KIND, statement_key(st)) in take:
                out.replace.append(st)
    kept = marks(reg)
    for m in bundled_marks:
        mine_mark = kept.get((m.month, m.contractor, m.code, m.line))
        if mine_mark is None:
            out.marks.append(m)
            out.added[MARK_KIND] += 1
        elif mine_mark == m:
            out.skipped[MARK_KIND] += 1
        else:
            differ = {k: (getattr(mine_mark, k), getattr(m, k)) for k in _MARK_KEYS
                      if getattr(mine_mark, k) != getattr(m, k)}
            out.conflicts.append((MARK_KIND, mark_key(m), differ))
            if prefer == "bundle" or (MARK_KIND, mark_key(m)) in take:
                out.marks.append(m)
    return out


def write(tx: Changes, chosen: BillingPlan, document_files: dict[str, Path]) -> None:
    """Inside the merge's transaction: the statements (lines re-derived from the bundled
    file, as import-billing does) and the marks."""
    for st, replacing in [*((s, False) for s in chosen.add),
                          *((s, True) for s in chosen.replace)]:
        reading = StatementReading()
        try:
            write_statement(tx, document_files[st.sha256], st.name, st.contractor, st.month,
                            st.sha256, reading, replacing)
        except StatementRejected:
            raise ValueError(f"statement {st.contractor} {st.month}: its file "
                             f"{st.name} does not import: "
                             f"{'; '.join(reading.errors[:3]) or 'it changed'}") from None
        if (reading.lines, reading.total_mrc, reading.total_nrc) != (st.lines, st.total_mrc,
                                                                      st.total_nrc):
            raise ValueError(f"statement {st.contractor} {st.month}: its file gives "
                             f"{reading.lines} lines, the bundle says {st.lines}")
    for m in chosen.marks:
        put_mark(tx, m)
