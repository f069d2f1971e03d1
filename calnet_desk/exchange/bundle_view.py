"""What the bundle summary reads of a bundle's scope, selection and redactor, as protocols:
summary.py annotates with these instead of importing the bundle package that calls it, so
exchange has no import cycle, not even one made for annotations only. The bundle's Scope,
Selection and Redactor satisfy them (mypy checks the call in bundle/write.py)."""

from __future__ import annotations

from typing import Any, Protocol

from ..records import Record
from ..store.as_of import RegisterAsOf
from ..store.documents import Document


class ScopeView(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def text(self) -> str: ...


class SelectionView(Protocol):
    @property
    def records(self) -> dict[str, list[Record]]: ...

    @property
    def documents(self) -> list[tuple[Document, list[tuple[str, str]]]]: ...

    @property
    def entries(self) -> list[dict[str, Any]]: ...

    @property
    def chain(self) -> list[dict[str, Any]]: ...

    @property
    def agency(self) -> dict[str, Any]: ...

    @property
    def catrs(self) -> list[Record]: ...

    @property
    def head(self) -> str: ...

    @property
    def source(self) -> RegisterAsOf | None: ...

    def keys(self) -> set[tuple[str, str]]: ...


class RedactorView(Protocol):
    @property
    def on(self) -> bool: ...

    def text(self, value: str) -> str: ...
