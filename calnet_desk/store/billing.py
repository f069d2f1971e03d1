"""The store's side of the billing cross-check: contractors' statements, their lines and
the marks a person puts on reconciliation findings. Every SQL statement about billing is
here; the import (exchange/billing.py) and the reconciliation (policy/reconcile.py) call
these functions.

A statement is a tracked row (history kind ``statements``, key ``CONTRACTOR:MONTH``) whose
entry names the source file's SHA-256, line count and totals; its lines are derived from
the stored file and written beside it in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import chain, islice, repeat
from typing import Any

from .exceptions import RecordError
from .register import Changes, Register
from .schema import WRITER_FUNCTION
from .tracked import BILLING_MARKS, STATEMENTS, delete_row, get_row, put_row

# The columns of statement_lines after (contractor, month, row), in the order of the
# declaration (records.STATEMENT_LINES).
LINE_COLUMNS = ("ban", "wtn", "circuit_id", "sr_number", "product_id", "description",
                "quantity", "mrc", "nrc", "usage", "street", "city", "zip")


@dataclass(frozen=True)
class Statement:
    contractor: str
    month: str
    sha256: str
    name: str
    lines: int
    total_mrc: int  # cents
    total_nrc: int

    def as_row(self) -> dict[str, Any]:
        return {"contractor": self.contractor, "month": self.month, "sha256": self.sha256,
                "name": self.name, "lines": self.lines, "total_mrc": self.total_mrc,
                "total_nrc": self.total_nrc}


@dataclass(frozen=True)
class Mark:
    month: str
    contractor: str
    code: str
    line: str
    mark: str
    amount: int | None  # cents
    note: str | None
    marked_by: str
    marked_at: str


def _has_billing(conn: Any) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                        "name = 'statements'").fetchone() is not None


def statements(reg: Register, contractor: str | None = None, month: str | None = None
               ) -> list[Statement]:
    """The statements, sorted by (contractor, month); optionally one contractor's or one
    month's."""
    if not _has_billing(reg.conn):
        return []
    where, params = [], []
    if contractor is not None:
        where.append("contractor = ?")
        params.append(contractor)
    if month is not None:
        where.append("month = ?")
        params.append(month)
    sql = ("SELECT contractor, month, sha256, name, lines, total_mrc, total_nrc FROM "
           f"statements {'WHERE ' + ' AND '.join(where) if where else ''} "
           "ORDER BY contractor, month")
    return [Statement(*r) for r in reg.conn.execute(sql, params)]


def get_statement(reg: Register, contractor: str, month: str) -> Statement | None:
    found = statements(reg, contractor, month)
    return found[0] if found else None


def put_statement(tx: Changes, statement: Statement) -> str:
    """Insert or replace the statement row, with its history entry (insert|update)."""
    return put_row(tx, STATEMENTS, statement.as_row())


# The guards of statement_lines (a BEFORE trigger per row, calling back into Python) are
# lifted while one statement's lines are written: inside CALNET Desk's own transaction,
# which holds the write lock, so no other connection can write meanwhile, and put back
# before it commits (a rollback restores them too). Every committed state has them.
_LIFTED_GUARDS = ("statement_lines_guard_insert", "statement_lines_guard_delete")
_BLANK_AS_NULL = "NULLIF(?, '')"
LINES_PER_INSERT = 20
LineWriter = Callable[[Sequence[int], Sequence[Sequence[object]]], None]


@contextmanager
def writing_lines(tx: Changes, contractor: str, month: str, *, replacing: bool = False
                  ) -> Iterator[LineWriter]:
    """Write one statement's lines inside the caller's transaction: gives a function
    taking a batch as (rows, one sequence per LINE_COLUMNS, a blank cell "" or None); with
    ``replacing`` the statement's old lines are deleted first."""
    conn = tx.conn
    if not conn.in_transaction or conn.execute(f"SELECT {WRITER_FUNCTION}()").fetchone()[0] != 1:
        raise RecordError("statement lines are written only inside CALNET Desk's transaction")
    guards = conn.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN "
        f"({', '.join('?' * len(_LIFTED_GUARDS))})", _LIFTED_GUARDS).fetchall()
    for name, _sql in guards:
        conn.execute(f'DROP TRIGGER "{name}"')
    cols = ("contractor", "month", "row", *LINE_COLUMNS)
    # Every line's contractor and month are the statement's: written into the statement as
    # SQL literals (SQLite's own quote()) rather than bound again for each line; a blank
    # cell comes as "" and is stored as NULL (binding None is slower).
    literal = "\x00" not in contractor + month  # a NUL would end the SQL text
    contractor_sql, month_sql = (conn.execute("SELECT quote(?), quote(?)", (contractor, month))
                                 .fetchone() if literal else ("?", "?"))
    values = (f"({contractor_sql}, {month_sql}, ?, "
              f"{', '.join([_BLANK_AS_NULL] * len(LINE_COLUMNS))})")
    sql = f"INSERT INTO statement_lines ({', '.join(cols)}) VALUES {values}"
    # and LINES_PER_INSERT lines to one execution of a statement: Python's sqlite3 pays a
    # fixed cost per execution (reset, step, its own book-keeping)
    group_sql = f"{sql}{f', {values}' * (LINES_PER_INSERT - 1)}"

    def insert(rows: Sequence[int], columns: Sequence[Sequence[object]]) -> None:
        if not literal:
            conn.executemany(sql, zip(repeat(contractor), repeat(month), rows, *columns,
                                      strict=False))
            return
        lines = zip(rows, *columns, strict=True)
        groups = len(rows) // LINES_PER_INSERT
        if groups:  # LINES_PER_INSERT lines at a time off the same iterator, flattened
            conn.executemany(group_sql, map(tuple, map(chain.from_iterable, islice(
                zip(*[lines] * LINES_PER_INSERT, strict=False), groups))))
        conn.executemany(sql, lines)  # the rest

    try:
        if replacing:
            conn.execute("DELETE FROM statement_lines WHERE contractor = ? AND month = ?",
                         (contractor, month))
        yield insert
    finally:
        for _name, trigger_sql in guards:
            conn.execute(trigger_sql)


def lines(reg: Register, contractor: str, month: str) -> Iterator[tuple[Any, ...]]:
    """The lines of one statement in file order: (row, *LINE_COLUMNS)."""
    return reg.conn.execute(
        f"SELECT row, {', '.join(LINE_COLUMNS)} FROM statement_lines WHERE contractor = ? "
        "AND month = ? ORDER BY row", (contractor, month))


def lines_for_matching(reg: Register, contractor: str, month: str
                       ) -> Iterator[tuple[Any, ...]]:
    """The lines of one statement in file order with only what reconcile reads: (row, wtn,
    circuit_id, sr_number, product_id, mrc, whether usage is blank or not zero)."""
    return reg.conn.execute(
        "SELECT row, wtn, circuit_id, sr_number, product_id, mrc, usage IS NOT 0 FROM "
        "statement_lines WHERE contractor = ? AND month = ? ORDER BY row", (contractor, month))


def line_bans(reg: Register, contractor: str, month: str, rows: Iterable[int]
              ) -> dict[int, str | None]:
    """The BAN of some lines of one statement, by row."""
    return dict(reg.conn.execute(
        "SELECT row, ban FROM statement_lines WHERE contractor = ? AND month = ? AND row IN "
        "(SELECT value FROM json_each(?))", (contractor, month, json.dumps(list(rows)))))


def line_at(reg: Register, contractor: str, month: str, row: int) -> dict[str, Any] | None:
    """One statement line by its row in the file: {"row", *LINE_COLUMNS}."""
    found = reg.conn.execute(
        f"SELECT row, {', '.join(LINE_COLUMNS)} FROM statement_lines WHERE contractor = ? "
        "AND month = ? AND row = ?", (contractor, month, row)).fetchone()
    return dict(zip(("row", *LINE_COLUMNS), found, strict=True)) if found else None


def line_summary(reg: Register, contractor: str, month: str) -> tuple[int, int, int]:
    """(line count, total MRC, total NRC) of the stored lines of one statement."""
    row = reg.conn.execute(
        "SELECT count(*), coalesce(sum(mrc), 0), coalesce(sum(nrc), 0) FROM statement_lines "
        "WHERE contractor = ? AND month = ?", (contractor, month)).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def orders_for_matching(reg: Register) -> Iterator[tuple[Any, ...]]:
    """Every order that is not a draft: (request_number, request_date, order_type,
    contractor, status, completed_on, circuit_id, billing_account, monthly_cost)."""
    return reg.conn.execute(
        "SELECT request_number, request_date, order_type, contractor, status, completed_on, "
        "circuit_id, billing_account, monthly_cost FROM orders WHERE status IS NOT 'draft'")


def contractor_names(reg: Register) -> list[str]:
    """The contractors the orders name, as written."""
    return [r[0] for r in reg.conn.execute("SELECT DISTINCT contractor FROM orders "
                                           "ORDER BY contractor")]


# --- marks --------------------------------------------------------------------------------


def marks(reg: Register) -> dict[tuple[str, str, str, str], Mark]:
    """Every mark by (month, contractor, code, line)."""
    if not _has_billing(reg.conn):
        return {}
    out = {}
    for r in reg.conn.execute("SELECT month, contractor, code, line, mark, amount, note, "
                              "marked_by, marked_at FROM billing_marks"):
        m = Mark(*r)
        out[(m.month, m.contractor, m.code, m.line)] = m
    return out


def put_mark(tx: Changes, mark: Mark) -> str:
    return put_row(tx, BILLING_MARKS, {
        "month": mark.month, "contractor": mark.contractor, "code": mark.code,
        "line": mark.line, "mark": mark.mark, "amount": mark.amount, "note": mark.note,
        "marked_by": mark.marked_by, "marked_at": mark.marked_at})


def get_mark(reg: Register, month: str, contractor: str, code: str, line: str
             ) -> dict[str, Any] | None:
    return get_row(reg.conn, BILLING_MARKS, {"month": month, "contractor": contractor,
                                             "code": code, "line": line})


def delete_mark(tx: Changes, month: str, contractor: str, code: str, line: str) -> None:
    delete_row(tx, BILLING_MARKS, {"month": month, "contractor": contractor, "code": code,
                                   "line": line},
               missing=f"no mark on {code} {line} of {contractor} {month}")


def require_billing(reg: Register) -> None:
    if not _has_billing(reg.conn):
        raise RecordError("this register has no billing tables yet; open it for writing once "
                          "(any command that changes it) to upgrade it")
