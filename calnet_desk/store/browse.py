"""Browsing a register page by page: the queries behind the desktop's tables.

A view is the ordered list of keys that match the filters (cheap even at 100,000 rows);
rows are read in blocks only when they are shown.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..records import Kind, Record
from ..values import from_db
from .schema import key_sql
from .search import fts_query

if TYPE_CHECKING:
    from .register import Register


@dataclass(frozen=True)
class ViewQuery:
    kind: Kind
    sort_field: str | None = None  # default: the key
    descending: bool = False
    statuses: tuple[str, ...] = ()  # values of kind.status_field; empty = all
    date_from: dt.date | None = None  # on kind.date_field, inclusive
    date_to: dt.date | None = None
    text: str = ""  # full-text search (quoted, prefix on the last word)
    keys_in: tuple[str, ...] | None = field(default=None)  # restrict to these keys

    def sql(self) -> tuple[str, list[Any]]:
        kind = self.kind
        key = key_sql(kind)
        where: list[str] = []
        params: list[Any] = []
        if self.statuses and kind.status_field:
            where.append(f"{kind.status_field} IN ({', '.join('?' * len(self.statuses))})")
            params += list(self.statuses)
        if kind.date_field and self.date_from:
            where.append(f"{kind.date_field} >= ?")
            params.append(self.date_from.isoformat())
        if kind.date_field and self.date_to:
            where.append(f"{kind.date_field} <= ?")
            params.append(self.date_to.isoformat())
        query = fts_query(self.text) if self.text.strip() else None
        if query:
            where.append(f"{key} IN (SELECT key FROM search_index WHERE search_index MATCH ? "
                         "AND kind = ?)")
            params += [query, kind.name]
        if self.keys_in is not None:
            where.append(f"{key} IN (SELECT value FROM json_each(?))")
            params.append(json.dumps(list(self.keys_in)))
        sort = self.sort_field if self.sort_field in kind.by_name else key
        direction = "DESC" if self.descending else "ASC"
        # NULLs last whichever way, then the key, so the order is total and stable.
        by_key = ", ".join(f"{n} {direction}" for n in kind.key_names)
        order = (f"{sort} IS NULL, {sort} {direction}, {by_key}" if sort != key
                 else by_key)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return f"SELECT {key} FROM {kind.table}{clause} ORDER BY {order}", params


def view_keys(reg: Register, query: ViewQuery) -> list[str]:
    sql, params = query.sql()
    return [r[0] for r in reg.conn.execute(sql, params)]


def read_rows(reg: Register, kind: Kind, keys: Sequence[str]) -> dict[str, Record]:
    """The records with these keys (one query per call; call it a block at a time)."""
    if not keys:
        return {}
    fields = kind.fields
    cols = ", ".join(kind.columns)
    sql = (f"SELECT {cols} FROM {kind.table} WHERE {key_sql(kind)} IN "
           f"(SELECT value FROM json_each(?))")
    out: dict[str, Record] = {}
    for row in reg.conn.execute(sql, (json.dumps(list(keys)),)):
        rec = {f.name: from_db(f, v) for f, v in zip(fields, row, strict=True)}
        out[kind.record_key(rec)] = rec
    return out


def status_values(reg: Register, kind: Kind) -> list[str]:
    """The status values to offer in a filter: the declared choices, else those in use."""
    if not kind.status_field:
        return []
    f = kind.by_name[kind.status_field]
    if f.choices:
        return list(f.choices)
    return [r[0] for r in reg.conn.execute(
        f"SELECT DISTINCT {f.name} FROM {kind.table} WHERE {f.name} IS NOT NULL ORDER BY 1")]


def counts(reg: Register, kinds: Sequence[Kind]) -> dict[str, int]:
    return {k.name: reg.count(k) for k in kinds}


def titles(reg: Register, kind: Kind) -> list[tuple[str, str]]:
    """(key, title) of every record of a kind, by key: what a picker of references offers."""
    key = key_sql(kind)
    title = kind.title_field or key
    return [(str(k), str(t or "")) for k, t in reg.conn.execute(
        f"SELECT {key}, {title} FROM {kind.table} ORDER BY {', '.join(kind.key_names)}")]
