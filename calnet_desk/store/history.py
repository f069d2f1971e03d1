"""The history: every change to a record, chained by SHA-256.

How an auditor recomputes the chain (also in the README):

* Each entry is the JSON object with exactly these keys: ``id`` (integer, 1, 2, 3, …),
  ``at`` (UTC, ``YYYY-MM-DDTHH:MM:SSZ``), ``user`` (OS user name), ``kind`` (``orders``,
  ``agency``, …), ``key`` (the record's key), ``action`` (``insert``, ``update`` or
  ``delete``), ``changes`` (an object ``{field: [old, new]}``; money in integer cents,
  yes/no as booleans, lists as arrays, empty as null), ``reason`` (text or null) and
  ``prev`` (the previous entry's hash; 64 zeros for the first entry).
* Its canonical form is ``json.dumps(entry, sort_keys=True, separators=(",", ":"),
  ensure_ascii=False)`` encoded as UTF-8.
* ``hash`` is the lower-case hex SHA-256 of the canonical form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

from ..records import Record

GENESIS = "0" * 64
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False), made once
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_json_text = json.encoder.encode_basestring  # how that encoder writes a str


def canonical_json(obj: Any) -> str:
    return _CANONICAL.encode(obj)


def canonical_value(value: Any) -> str:
    """``canonical_json(value)``, with a short way for the common scalars."""
    kind = type(value)
    if kind is str:
        return _json_text(value)
    if value is None:
        return "null"
    if kind is int:
        return int.__repr__(value)  # as the encoder writes an int
    if kind is bool:
        return "true" if value else "false"
    return _CANONICAL.encode(value)


def canonical_entry(entry_id: int, at: str, user: str, kind: str, key: str, action: str,
                    changes_json: str, reason: str | None, prev: str) -> str:
    """``canonical_json`` of the entry, built from its parts (the keys in sorted order)
    with ``changes`` already in canonical form: the same text, without encoding the
    changes twice."""
    c = canonical_value
    return (f'{{"action":{c(action)},"at":{c(at)},"changes":{changes_json},'
            f'"id":{c(entry_id)},"key":{c(key)},"kind":{c(kind)},"prev":{c(prev)},'
            f'"reason":{c(reason)},"user":{c(user)}}}')


def entry_hash(entry: dict[str, Any]) -> str:
    body = {k: entry[k] for k in
            ("id", "at", "user", "kind", "key", "action", "changes", "reason", "prev")}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def diff(old: Record | None, new: Record | None) -> dict[str, list[Any]]:
    """Field-level changes {field: [old, new]}; fields empty on both sides are left out."""
    old = old or {}
    new = new or {}
    changes: dict[str, list[Any]] = {}
    for name in old.keys() | new.keys():
        a, b = old.get(name), new.get(name)
        if a != b or type(a) is not type(b):
            changes[name] = [a, b]
    return dict(sorted(changes.items()))


class HistoryWriter:
    """Appends entries inside the caller's transaction, buffering them for executemany."""

    def __init__(self, conn: sqlite3.Connection, user: str, clock: Clock) -> None:
        self.conn = conn
        self.user = user
        self.clock = clock
        row = conn.execute("SELECT id, hash FROM history ORDER BY id DESC LIMIT 1").fetchone()
        self.next_id = (row[0] + 1) if row else 1
        self.prev = row[1] if row else GENESIS
        self.pending: list[tuple[Any, ...]] = []
        self._second: float | None = None  # the clock's last whole second (POSIX) …
        self._at = ""  # … as "at" text

    def _now(self) -> str:
        now = self.clock().replace(microsecond=0)
        second = now.timestamp()
        if second != self._second:
            self._at = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            self._second = second
        return self._at

    def append(self, kind: str, key: str, action: str, changes: dict[str, list[Any]],
               reason: str | None) -> None:
        self.append_json(kind, key, action, canonical_json(changes), reason)

    def append_json(self, kind: str, key: str, action: str, changes_json: str,
                    reason: str | None) -> None:
        """:meth:`append` with the changes given as their ``canonical_json`` text."""
        at = self._now()
        text = canonical_entry(self.next_id, at, self.user, kind, key, action, changes_json,
                               reason, self.prev)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self.pending.append((self.next_id, at, self.user, kind, key, action,
                             changes_json, reason, self.prev, digest))
        self.prev = digest
        self.next_id += 1

    def flush(self) -> None:
        """Write the pending entries, many rows per INSERT (fewer round trips than one
        statement per row)."""
        if not self.pending:
            return
        limit = self.conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        per = max(1, min(1000, limit // 10))
        head = ("INSERT INTO history (id, at, user, kind, key, action, changes, reason, prev, "
                "hash) VALUES ")
        for start in range(0, len(self.pending), per):
            rows = self.pending[start:start + per]
            self.conn.execute(head + ", ".join(["(?,?,?,?,?,?,?,?,?,?)"] * len(rows)),
                              [value for row in rows for value in row])
        self.pending.clear()


def read_entries(conn: sqlite3.Connection, where: str = "",
                 params: tuple[Any, ...] = ()) -> Iterator[dict[str, Any]]:
    sql = ("SELECT id, at, user, kind, key, action, changes, reason, prev, hash FROM history "
           f"{where} ORDER BY id")
    for row in conn.execute(sql, params):
        yield {"id": row[0], "at": row[1], "user": row[2], "kind": row[3], "key": row[4],
               "action": row[5], "changes": json.loads(row[6]), "reason": row[7],
               "prev": row[8], "hash": row[9]}
