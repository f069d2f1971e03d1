"""Tracked tables beside the record kinds: documents and their links, deadline
acknowledgements and snoozes, per-record reminder ladders.

Their rows change through the same history as records (one entry per row change, keyed by
the row's key columns joined with ':'), so verify replays them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .exceptions import RecordError
from .handles import Transaction
from .history import diff
from .keys import NOT_STORED, lone_surrogate


@dataclass(frozen=True)
class TrackedTable:
    history_kind: str
    table: str
    key_columns: tuple[str, ...]
    columns: tuple[str, ...]  # every column, key columns included
    since: str  # the migration that created it
    # (record kind, column holding its key) when each row belongs to one record: deleting
    # the record deletes its rows first, each with its history entry.
    owner: tuple[str, str] | None = None

    def key_of(self, row: dict[str, Any]) -> str:
        return ":".join(str(row[c]) for c in self.key_columns)


DOCUMENTS = TrackedTable("documents", "documents", ("sha256",),
                         ("sha256", "name", "size", "media_type", "added_at"),
                         "0002_documents_and_search")
DOCUMENT_LINKS = TrackedTable("document-links", "document_links", ("kind", "key", "sha256"),
                              ("sha256", "kind", "key"), "0002_documents_and_search")
DEADLINE_MARKS = TrackedTable("deadline-marks", "deadline_marks",
                              ("record_kind", "key", "deadline_kind"),
                              ("record_kind", "key", "deadline_kind", "mark", "deadline_date",
                               "until"), "0003_deadline_marks_and_ladders")
REMINDER_LADDERS = TrackedTable("reminder-ladders", "reminder_ladders", ("record_kind", "key"),
                                ("record_kind", "key", "ladder"),
                                "0003_deadline_marks_and_ladders")
IPR_CALCULATIONS = TrackedTable("ipr-calculations", "ipr_calculations", ("exemption_id",),
                                ("exemption_id", "calnet_cost", "alternative_cost", "months",
                                 "checklist", "network_attested"), "0004_ipr_calculations",
                                owner=("exemptions", "exemption_id"))
# A contractor's statement: one entry per import names its file (SHA-256), line count and
# totals; its lines (statement_lines) are derived from the stored file, not tracked here.
STATEMENTS = TrackedTable("statements", "statements", ("contractor", "month"),
                          ("contractor", "month", "sha256", "name", "lines", "total_mrc",
                           "total_nrc"), "0005_billing_statements")
BILLING_MARKS = TrackedTable("billing-marks", "billing_marks",
                             ("month", "contractor", "code", "line"),
                             ("month", "contractor", "code", "line", "mark", "amount", "note",
                              "marked_by", "marked_at"), "0005_billing_statements")
TRACKED = (DOCUMENTS, DOCUMENT_LINKS, DEADLINE_MARKS, REMINDER_LADDERS, IPR_CALCULATIONS,
           STATEMENTS, BILLING_MARKS)


def _where(spec: TrackedTable) -> str:
    return " AND ".join(f"{c} = ?" for c in spec.key_columns)


def get_row(tx_or_conn: Any, spec: TrackedTable, keys: dict[str, Any]) -> dict[str, Any] | None:
    conn = getattr(tx_or_conn, "conn", tx_or_conn)
    row = conn.execute(f"SELECT {', '.join(spec.columns)} FROM {spec.table} WHERE "
                       f"{_where(spec)}", [keys[c] for c in spec.key_columns]).fetchone()
    return dict(zip(spec.columns, row, strict=True)) if row else None


def put_row(tx: Transaction, spec: TrackedTable, row: dict[str, Any]) -> str:
    """Insert or replace one row (upsert), with its history entry; insert|update|unchanged."""
    full = {c: row.get(c) for c in spec.columns}
    for column, value in full.items():
        problem = lone_surrogate(value) if isinstance(value, str) else None
        if problem:
            from .errors import printable

            raise RecordError(f"{spec.history_kind} {printable(spec.key_of(full))}: its "
                              f"{column} {problem}; {NOT_STORED}")
    old = get_row(tx, spec, full)
    changes = diff({k: v for k, v in (old or {}).items() if v is not None},
                   {k: v for k, v in full.items() if v is not None})
    if not changes:
        return "unchanged"
    cols = ", ".join(spec.columns)
    marks = ", ".join("?" * len(spec.columns))
    non_key = [c for c in spec.columns if c not in spec.key_columns]
    conflict = (f"DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in non_key)}"
                if non_key else "DO NOTHING")
    tx.conn.execute(f"INSERT INTO {spec.table} ({cols}) VALUES ({marks}) ON CONFLICT "
                    f"({', '.join(spec.key_columns)}) {conflict}",
                    [full[c] for c in spec.columns])
    action = "update" if old else "insert"
    tx.history.append(spec.history_kind, spec.key_of(full), action, changes, tx.reason)
    return action


def delete_row(tx: Transaction, spec: TrackedTable, keys: dict[str, Any],
               missing: str | None = None) -> None:
    old = get_row(tx, spec, keys)
    if old is None:
        raise RecordError(missing or f"no such {spec.history_kind} entry")
    tx.conn.execute(f"DELETE FROM {spec.table} WHERE {_where(spec)}",
                    [keys[c] for c in spec.key_columns])
    tx.history.append(spec.history_kind, spec.key_of(old), "delete",
                      diff({k: v for k, v in old.items() if v is not None}, None), tx.reason)


def delete_owned_rows(tx: Transaction, kind_name: str, key: str) -> None:
    """Delete the rows that belong to one record (see TrackedTable.owner), with history."""
    for spec in TRACKED:
        if spec.owner is None or spec.owner[0] != kind_name:
            continue
        rows = tx.conn.execute(f"SELECT {', '.join(spec.key_columns)} FROM {spec.table} "
                               f"WHERE {spec.owner[1]} = ?", (key,)).fetchall()
        for r in rows:
            delete_row(tx, spec, dict(zip(spec.key_columns, r, strict=True)))


def current_state(source: Any, spec: TrackedTable) -> dict[str, dict[str, Any]]:
    """Every row as verify compares it with the history: {key: non-empty columns}.
    ``source`` is a Register or a transaction's Changes."""
    conn = getattr(source, "conn", source)
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                          (spec.table,)).fetchone()
    if not exists:
        return {}
    out = {}
    for r in conn.execute(f"SELECT {', '.join(spec.columns)} FROM {spec.table}"):
        row = dict(zip(spec.columns, r, strict=True))
        out[spec.key_of(row)] = {k: v for k, v in row.items() if v is not None}
    return out
