"""The register as its history left it at some entry, read-only: what the findings and
deadlines read (the agency, the records, when each record first appeared, its history, and
the document links, deadline marks and reminder ladders), so that a bundle made ``--as-of``
a day judges the records of that day, not today's.

``ReadRegister`` is what both this and a live ``Register`` offer the checks."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from ..paths import RegisterPaths
from ..records import AGENCY_FIELDS, Kind, Record, Value
from .register import AGENCY_KEY, AGENCY_KIND
from .tracked import DEADLINE_MARKS, DOCUMENT_LINKS, REMINDER_LADDERS


class ReadRegister(Protocol):
    """The reads the findings and deadlines make (policy/findings.py, deadlines.py)."""

    @property
    def paths(self) -> RegisterPaths: ...

    @property
    def conn(self) -> sqlite3.Connection: ...

    def agency(self) -> dict[str, Value]: ...

    def records(self, kind: Kind, fields: Iterable[str] | None = None) -> list[Record]: ...

    def records_where_any(self, kind: Kind, fields: Iterable[str],
                          conditions: Iterable[Iterable[tuple[str, str, Any]]],
                          unless: tuple[str, Value] | None = None) -> list[Record]: ...

    def distinct_values(self, kind: Kind, fields: Iterable[str]) -> set[Value]: ...

    def first_change_at(self) -> dict[tuple[str, str], str]: ...

    def first_change_of(self, kind: str, keys: Iterable[str]) -> dict[str, str]: ...

    def snapshot(self) -> AbstractContextManager[None]: ...

    def history(self, kind: str | None = None, key: str | None = None
                ) -> list[dict[str, Any]]: ...


def _holds(value: Any, op: str, wanted: Any) -> bool:
    """One term of records_where_any, as SQLite decides it on the stored value."""
    if op == "present":
        return value is not None
    if op == "blank":
        return value is None
    if op == "=":
        return value is not None and value == wanted
    if op == "!=":
        return bool(value != wanted)
    if op == ">=":
        return value is not None and value >= wanted
    if op == "in":
        return value in set(wanted)
    raise ValueError(f"unknown condition {op!r}")


class RegisterAsOf:
    """``state`` is what replaying ``entries`` gives, by (history kind, key) (see
    exchange/bundle_as_of.replay); ``paths`` the register's (its rule set overrides)."""

    def __init__(self, paths: RegisterPaths, entries: list[dict[str, Any]],
                 state: dict[tuple[str, str], dict[str, Any]]) -> None:
        self._paths = paths
        self.entries = entries
        self.state = state
        # the tracked rows the checks read with SQL (current_state, linked_records), in a
        # database of their own in memory
        self._conn = sqlite3.connect(":memory:")
        for spec in (DOCUMENT_LINKS, DEADLINE_MARKS, REMINDER_LADDERS):
            self._conn.execute(f"CREATE TABLE {spec.table} ({', '.join(spec.columns)})")
            rows = [tuple(values.get(c) for c in spec.columns)
                    for (kind, _key), values in sorted(state.items())
                    if kind == spec.history_kind]
            self._conn.executemany(f"INSERT INTO {spec.table} VALUES "
                                   f"({', '.join('?' for _ in spec.columns)})", rows)

    @property
    def paths(self) -> RegisterPaths:
        return self._paths

    @property
    def conn(self) -> sqlite3.Connection:
        return self._conn

    def close(self) -> None:
        self._conn.close()

    def agency(self) -> dict[str, Value]:
        values = self.state.get((AGENCY_KIND, AGENCY_KEY), {})
        return {f.name: values.get(f.name) for f in AGENCY_FIELDS}

    def records(self, kind: Kind, fields: Iterable[str] | None = None) -> list[Record]:
        names = [f.name for f in kind.fields] if fields is None else list(fields)
        return [{n: values.get(n) for n in names}
                for (name, _key), values in sorted(self.state.items()) if name == kind.name]

    def records_where_any(self, kind: Kind, fields: Iterable[str],
                          conditions: Iterable[Iterable[tuple[str, str, Any]]],
                          unless: tuple[str, Value] | None = None) -> list[Record]:
        """As Register.records_where_any (the same terms), over the replayed records."""
        groups = [list(g) for g in conditions]
        names = list(fields)
        return [{n: r.get(n) for n in names} for r in self.records(kind)
                if any(all(_holds(r.get(f), op, v) for f, op, v in g) for g in groups)
                and (unless is None or r.get(unless[0]) != unless[1])]

    def distinct_values(self, kind: Kind, fields: Iterable[str]) -> set[Value]:
        names = list(fields)
        return {r[n] for r in self.records(kind) for n in names if r[n] is not None}

    def first_change_at(self) -> dict[tuple[str, str], str]:
        first: dict[tuple[str, str], str] = {}
        for e in self.entries:
            first.setdefault((str(e["kind"]), str(e["key"])), str(e["at"]))
        return first

    def first_change_of(self, kind: str, keys: Iterable[str]) -> dict[str, str]:
        wanted = set(keys)
        return {key: at for (k, key), at in self.first_change_at().items()
                if k == kind and key in wanted}

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        yield  # one state already: the history up to its entry

    def history(self, kind: str | None = None, key: str | None = None
                ) -> list[dict[str, Any]]:
        return [e for e in self.entries
                if (kind is None or e["kind"] == kind) and (key is None or e["key"] == key)]

