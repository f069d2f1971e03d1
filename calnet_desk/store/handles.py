"""What the store's helper modules need of an open register or of a transaction, as
protocols. search, backups, documents and tracked take these instead of importing register.py (which
builds on them), so the store has no import cycle, not even one made for annotations only.
A Register and a transaction's Changes satisfy them (mypy checks each call)."""

from __future__ import annotations

import sqlite3
from typing import Protocol

from ..paths import RegisterPaths
from ..records import Kind, Record, Value
from .history import Clock, HistoryWriter


class Connected(Protocol):
    """Anything holding the register's connection: a Register or a transaction."""

    @property
    def conn(self) -> sqlite3.Connection: ...


class OpenRegister(Connected, Protocol):
    """What the helpers need of an open register: its files, its clock, its agency, a
    record."""

    @property
    def paths(self) -> RegisterPaths: ...

    @property
    def clock(self) -> Clock: ...

    def agency(self) -> dict[str, Value]: ...

    def get(self, kind: Kind, key: str) -> Record | None: ...


class Transaction(Connected, Protocol):
    """What a tracked row's write needs of a transaction: its register, its history and
    its reason."""

    @property
    def register(self) -> OpenRegister: ...

    @property
    def history(self) -> HistoryWriter: ...

    @property
    def reason(self) -> str | None: ...
