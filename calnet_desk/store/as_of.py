"""The register as its history left it at some entry, read-only: what the findings and
deadlines read (the agency, the records, when each record first appeared, its history, and
the document links, deadline marks and reminder ladders), so that a bundle made ``--as-of``
a day judges the records of that day, not today's.

``ReadRegister`` is what both this and a live ``Register`` offer the checks."""

from __future__ import annotations

import sqlite3
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

    def records(self, kind: Kind) -> list[Record]: ...

    def first_change_at(self) -> dict[tuple[str, str], str]: ...

    def history(self, kind: str | None = None, key: str | None = None
                ) -> list[dict[str, Any]]: ...


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

    def records(self, kind: Kind) -> list[Record]:
        return [{f.name: values.get(f.name) for f in kind.fields}
                for (name, _key), values in sorted(self.state.items()) if name == kind.name]

    def first_change_at(self) -> dict[tuple[str, str], str]:
        first: dict[tuple[str, str], str] = {}
        for e in self.entries:
            first.setdefault((str(e["kind"]), str(e["key"])), str(e["at"]))
        return first

    def history(self, kind: str | None = None, key: str | None = None
                ) -> list[dict[str, Any]]:
        return [e for e in self.entries
                if (kind is None or e["kind"] == kind) and (key is None or e["key"] == key)]

