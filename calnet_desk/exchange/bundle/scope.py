"""What a bundle holds: its scope (all, one exemption, delegation or ATO, or what changed
since a date), chosen from the register (``select``), from the register as it stood at the
end of a day (``select_at``, rebuilt from its history) or, when verifying, from the chain's
headers alone (``scope_entries``). The three agree by construction: the relations a scope
follows are the fields' declared ``references`` (records.py) that the chain keeps in plain
(``store.history.SCOPE_REFS``).

``export-bundle --as-of D``: the register as it stood at the end of D (local time; the
history is UTC). The bundle is then the bundle of the register right after the last history
entry made by the end of D: its chain ends at that entry (the head printed and checked is
that entry's hash), and its records, documents, links, statements and marks are what
replaying the entries up to there gives, in the scope worked out the way verify-bundle
works it out. So verify-bundle checks it exactly as it checks any bundle.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ...records import KINDS, Field, Kind, Record, kind_among
from ...store import Register
from ...store.as_of import RegisterAsOf
from ...store.billing import Mark, Statement
from ...store.documents import Document, all_documents, all_links, get_document
from ...store.history import GENESIS, SCOPE_REFS
from ...store.register import AGENCY_KEY, AGENCY_KIND
from .. import billing_bundle
from .layout import BundleError, chain_row


class ScopeSyntax(ValueError):
    """A --scope that is not one of the forms (exit 2)."""


SCOPE_KINDS = ("exemptions", "delegations", "atos")


@dataclass(frozen=True)
class Scope:
    kind: str  # all | exemptions | delegations | atos | since
    value: str = ""

    @property
    def text(self) -> str:
        if self.kind == "all":
            return "all"
        if self.kind == "since":
            return f"since:{self.value}"
        return f"{KINDS[self.kind].singular}:{self.value}"


def parse_scope(text: str) -> Scope:
    """all; exemption:KEY; delegation:KEY; ato:KEY; since:YYYY-MM-DD (plural kinds too)."""
    t = text.strip()
    if t.lower() == "all":
        return Scope("all")
    head, sep, value = t.partition(":")
    head = head.strip().lower()
    value = value.strip()
    if not sep or not value:
        raise ScopeSyntax(f"{text!r} is not a scope: use all, exemption:KEY, delegation:KEY, "
                          "ato:KEY or since:YYYY-MM-DD")
    if head == "since":
        try:
            return Scope("since", dt.date.fromisoformat(value).isoformat())
        except ValueError:
            raise ScopeSyntax(f"{value!r} is not a date YYYY-MM-DD") from None
    kind = kind_among(head, SCOPE_KINDS)
    if kind is None:
        raise ScopeSyntax(f"{head!r} is not a scope kind: use all, exemption:KEY, "
                          "delegation:KEY, ato:KEY or since:YYYY-MM-DD")
    return Scope(kind.name, value)


# --- the relations a scope of one record follows ---------------------------------------------


def _scope_ref(kind: Kind, f: Field) -> bool:
    """Is this field a reference the chain keeps in plain (so a verifier can follow it)?"""
    return f.references is not None and f.name in SCOPE_REFS.get(kind.name, ())


def under(kind_name: str) -> list[tuple[Kind, Field]]:
    """(kind, field) of the records done under a record of this scope kind: those of a kind
    that is no scope of its own whose field names it (an exemption's or a delegation's
    orders). Records of another scope kind that name it are their own scope."""
    return [(k, f) for k in KINDS.values() if k.name not in SCOPE_KINDS
            for f in k.fields if f.references == kind_name and _scope_ref(k, f)]


def named_by(kind_name: str) -> list[Field]:
    """The fields of a scope record whose records come with it (an exemption's General
    Delegation)."""
    kind = KINDS[kind_name]
    return [f for f in kind.fields if _scope_ref(kind, f)]


# --- what goes in ------------------------------------------------------------------------


@dataclass
class Selection:
    records: dict[str, list[Record]]  # kind name -> records, sorted by key
    documents: list[tuple[Document, list[tuple[str, str]]]]  # with links in scope
    entries: list[dict[str, Any]]
    chain: list[dict[str, Any]]  # every entry's header, body, prev and hash (chain v2)
    agency: dict[str, Any]
    catrs: list[Record]
    personal_values: set[str] = field(default_factory=set)
    # contractors' statements in scope and the marks on their findings (billing_bundle)
    statements: list[Any] = field(default_factory=list)
    marks: list[Any] = field(default_factory=list)
    # the register the records come from, as the summary's findings and deadlines read it:
    # None for the live register, a store.as_of.RegisterAsOf for one rebuilt as of a day
    source: RegisterAsOf | None = None

    def keys(self) -> set[tuple[str, str]]:
        return {(k, KINDS[k].record_key(r)) for k, rs in self.records.items() for r in rs}

    @property
    def head(self) -> str:
        return str(self.chain[-1]["hash"]) if self.chain else GENESIS


def _by_key(reg: Register, kind: Kind, keys: Iterable[str]) -> list[Record]:
    return [r for r in (reg.get(kind, k) for k in sorted(set(keys))) if r is not None]


def _scoped_records(reg: Register, scope: Scope) -> dict[str, list[Record]]:
    if scope.kind == "all":
        return {k.name: reg.records(k) for k in KINDS.values()}
    if scope.kind == "since":
        wanted: dict[str, set[str]] = {}
        for kind_name, key in reg.changed_since(scope.value):
            if kind_name in KINDS:
                wanted.setdefault(kind_name, set()).add(key)
        return {name: _by_key(reg, KINDS[name], keys) for name, keys in sorted(wanted.items())}
    kind = KINDS[scope.kind]
    record = reg.get(kind, scope.value)
    if record is None:
        raise BundleError(f"no {kind.singular} {scope.value} in the register; nothing was "
                          "written")
    related: dict[str, set[str]] = {}  # in this order: done under it, then named by it
    for other, f in under(kind.name):
        related.setdefault(other.name, set()).update(
            reg.keys_where(other, f.name, scope.value))
    for f in named_by(kind.name):
        value = record.get(f.name)
        if isinstance(value, str):
            related.setdefault(str(f.references), set()).add(value)
    out = {kind.name: [record]}
    out.update({name: _by_key(reg, KINDS[name], keys) for name, keys in related.items()})
    return out


# Told the documents a selection holds (with their links) as soon as they are known, before
# the history is read: the export starts copying them meanwhile.
DocumentsKnown = Callable[[list[tuple[Document, list[tuple[str, str]]]]], None]


def select(reg: Register, scope: Scope, documents_known: DocumentsKnown | None = None
           ) -> Selection:
    """Everything the bundle holds, read in one snapshot of the register."""
    with reg.snapshot():  # records, documents and history agree
        records = {k: v for k, v in _scoped_records(reg, scope).items()
                   if v or scope.kind == "all"}
        sel = Selection(records, [], [], [], reg.agency(), [])
        keys = sel.keys()
        links: dict[str, list[tuple[str, str]]] = {}
        for sha, kind_name, key in all_links(reg):
            if (kind_name, key) in keys:
                links.setdefault(sha, []).append((kind_name, key))
        for sha in sorted(links):
            doc = get_document(reg, sha)
            if doc is not None:
                sel.documents.append((doc, links[sha]))
        if scope.kind == "all":  # every document, linked or not
            linked = set(links)
            for doc in all_documents(reg):
                if doc.sha256 not in linked:
                    sel.documents.append((doc, []))
            sel.documents.sort(key=lambda d: d[0].sha256)
        sel.statements, sel.marks = billing_bundle.in_scope(
            reg, scope.kind, scope.value if scope.kind == "since" else None)
        bundled = {d.sha256 for d, _ in sel.documents}
        for st in sel.statements:  # each statement's source file travels with it
            if st.sha256 not in bundled:
                doc = get_document(reg, st.sha256)
                if doc is not None:
                    sel.documents.append((doc, []))
                    bundled.add(st.sha256)
        sel.documents.sort(key=lambda d: d[0].sha256)
        if documents_known is not None:
            documents_known(sel.documents)
        shas = {d.sha256 for d, _ in sel.documents}
        statement_keys = {billing_bundle.statement_key(st) for st in sel.statements}
        entries = list(reg.iter_history())
        touched = {(e["kind"], e["key"]) for e in entries  # since: whole histories
                   if scope.kind == "since" and e["at"][:10] >= scope.value
                   and e["kind"] in KINDS}
        for entry in entries:
            sel.chain.append(chain_row(entry))
            if (scope.kind == "all" or in_scope(entry["kind"], entry["key"], keys, shas)
                    or billing_bundle.history_in_scope(entry["kind"], entry["key"],
                                                       statement_keys)
                    or (entry["kind"], entry["key"]) in touched):
                sel.entries.append(entry)
            sel.personal_values.add(str(entry["user"]))
        people = reg.records(KINDS["people"])
        sel.catrs = [p for p in people if p.get("role") == "catr"
                     and p.get("active") is not False]
        for kind in KINDS.values():
            personal = [f.name for f in kind.fields if f.personal]
            if not personal:
                continue
            for value in reg.distinct_values(kind, personal):
                sel.personal_values.add(str(value))
    return sel


# --- the scope, from the chain's headers alone -------------------------------------------


def in_scope(entry_kind: str, key: str, keys: set[tuple[str, str]], shas: set[str]) -> bool:
    """Does an entry belong to a scope holding these records and documents?"""
    if entry_kind in KINDS:
        return (entry_kind, key) in keys
    if entry_kind == "documents":
        return key in shas
    if entry_kind == "document-links":  # kind:key:sha
        _sha, kind_name, record_key = link_parts(key)
        return (kind_name, record_key) in keys
    if entry_kind in ("deadline-marks", "reminder-ladders"):  # record_kind:key[:deadline]
        kind_name, _, rest = key.partition(":")
        if entry_kind == "deadline-marks":
            rest = rest.rpartition(":")[0]
        return (kind_name, rest) in keys
    if entry_kind == "ipr-calculations":
        return ("exemptions", key) in keys
    return entry_kind == AGENCY_KIND


def link_parts(key: str) -> tuple[str, str, str]:
    """(sha, kind, record key) of a document link's history key ``kind:key:sha``."""
    kind_name, _, rest = key.partition(":")
    record_key, _, sha = rest.rpartition(":")
    return sha, kind_name, record_key


def scope_entries(headers: list[dict[str, Any]], scope_kind: str, scope_value: str
                  ) -> tuple[set[tuple[str, str]], set[str], set[int], set[str]]:
    """(records, documents, entry ids, statements) a scope holds, worked out from the
    chain's headers exactly as the export chooses them from the register (records and
    documents here, contractors' statements in billing_bundle.in_scope)."""
    STATEMENT_KIND, MARK_KIND = billing_bundle.STATEMENT_KIND, billing_bundle.MARK_KIND
    statements: dict[str, str] = {}  # contractor:month -> its file's SHA-256
    statement_touched: set[str] = set()
    marks_touched: set[str] = set()
    exists: set[tuple[str, str]] = set()
    refs: dict[tuple[str, str], dict[str, Any]] = {}
    docs: set[str] = set()
    links: set[tuple[str, str, str]] = set()
    touched: set[tuple[str, str]] = set()
    for h in headers:
        ident = (h["kind"], h["key"])
        deleted = h["action"] == "delete"
        if h["kind"] in KINDS:
            if scope_kind == "since" and h["at"][:10] >= scope_value:
                touched.add(ident)
            if deleted:
                exists.discard(ident)
                refs.pop(ident, None)
            else:
                exists.add(ident)
                for name, pair in h["refs"].items():
                    refs.setdefault(ident, {})[name] = pair[1]
        elif h["kind"] == "documents":
            (docs.discard if deleted else docs.add)(h["key"])
        elif h["kind"] == "document-links":
            (links.discard if deleted else links.add)(link_parts(h["key"]))
        elif h["kind"] == STATEMENT_KIND:
            if deleted:
                statements.pop(h["key"], None)
            elif "sha256" in h["refs"]:
                statements[h["key"]] = h["refs"]["sha256"][1]
            if scope_kind == "since" and h["at"][:10] >= scope_value:
                statement_touched.add(h["key"])
        elif h["kind"] == MARK_KIND and scope_kind == "since" and h["at"][:10] >= scope_value:
            marks_touched.add(h["key"])
    if scope_kind == "all":
        keys = set(exists)
    elif scope_kind == "since":
        keys = touched & exists
    else:
        keys = {(scope_kind, scope_value)} & exists
        if keys:
            for other, f in under(scope_kind):
                keys |= {i for i in exists if i[0] == other.name
                         and refs.get(i, {}).get(f.name) == scope_value}
            for f in named_by(scope_kind):
                value = refs.get((scope_kind, scope_value), {}).get(f.name)
                if isinstance(value, str):
                    keys |= {(str(f.references), value)} & exists
    shas = (set(docs) if scope_kind == "all" else
            {sha for sha, k, key in links if (k, key) in keys and sha in docs})
    if scope_kind == "all":
        chosen = set(statements)
    elif scope_kind == "since":
        chosen = {k for k in statements if k in statement_touched
                  or any(billing_bundle.mark_on(m, k) for m in marks_touched)}
    else:
        chosen = set()
    shas |= {statements[k] for k in chosen} & docs

    ids = {h["id"] for h in headers
           if scope_kind == "all" or in_scope(h["kind"], h["key"], keys, shas)
           or (h["kind"], h["key"]) in touched
           or billing_bundle.history_in_scope(h["kind"], h["key"], chosen)}
    return keys, shas, ids, chosen


# --- the register as it stood at the end of a day ------------------------------------------


def end_of_day_utc(day: dt.date) -> str:
    """The end of ``day`` in local time, as the history's UTC text ("at" <= it)."""
    local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time()).astimezone()
    last = (local - dt.timedelta(seconds=1)).astimezone(dt.UTC)
    return last.strftime("%Y-%m-%dT%H:%M:%SZ")


def entries_until(reg: Register, day: dt.date) -> tuple[list[dict[str, Any]], int]:
    """The entries made by the end of ``day``, and the id of the newest entry of all."""
    cutoff = end_of_day_utc(day)
    kept, last = [], 0
    for e in reg.iter_history():
        last = e["id"]
        if e["at"] <= cutoff:
            kept.append(e)
    return kept, last


def replay(entries: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """The records the entries leave, by (kind, key): export as of a day and verify both
    rebuild from the history this way."""
    state: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        ident = (entry["kind"], entry["key"])
        if entry["action"] == "delete":
            state.pop(ident, None)
            continue
        rec = state.setdefault(ident, {})
        for name, (_old, new) in entry["changes"].items():
            if new is None:
                rec.pop(name, None)
            else:
                rec[name] = new
    return state


def select_as_of(reg: Register, scope: Scope, entries: list[dict[str, Any]]) -> Selection:
    """The Selection of the register as the entries leave it."""
    state = replay(entries)
    chain = [chain_row(e) for e in entries]
    keys, shas, ids, chosen = scope_entries(chain, scope.kind, scope.value)
    if scope.kind not in ("all", "since") and (scope.kind, scope.value) not in keys:
        raise BundleError(f"no {KINDS[scope.kind].singular} {scope.value} in the register "
                          "on that date; nothing was written")

    def record(kind_name: str, key: str) -> Record:
        values = state.get((kind_name, key), {})
        return {f.name: values.get(f.name) for f in KINDS[kind_name].fields}

    records = {}
    for kind in KINDS.values():
        found = [record(kind.name, k) for n, k in sorted(keys) if n == kind.name]
        if found or scope.kind == "all":
            records[kind.name] = found
    agency = state.get((AGENCY_KIND, AGENCY_KEY), {})
    sel = Selection(records, [], [e for e in entries if e["id"] in ids], chain,
                    {"name": agency.get("name"), "agency_class": agency.get("agency_class"),
                     "billing_code": agency.get("billing_code")}, [])
    links: dict[str, list[tuple[str, str]]] = {}
    for (kind_name, key), _row in sorted(state.items()):
        if kind_name == "document-links":
            sha, k, record_key = link_parts(key)
            if (k, record_key) in keys:
                links.setdefault(sha, []).append((k, record_key))
    for sha in sorted(shas):
        doc = state.get(("documents", sha), {})
        sel.documents.append((Document(sha, doc.get("name", ""), doc.get("size", 0),
                                       doc.get("media_type", ""), doc.get("added_at", "")),
                              sorted(links.get(sha, []))))

    def fields(values: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
        return {f: values.get(f) for f in names}

    sel.statements = [Statement(**fields(state[(billing_bundle.STATEMENT_KIND, k)],
                                         billing_bundle._STATEMENT_KEYS))
                      for k in sorted(chosen)]
    sel.marks = [Mark(**fields(values, billing_bundle._MARK_KEYS))
                 for (kind_name, key), values in sorted(state.items())
                 if kind_name == billing_bundle.MARK_KIND
                 and "{1}:{0}".format(*key.split(":")[:2]) in chosen]
    people = [record("people", k) for n, k in sorted(state) if n == "people"]
    sel.catrs = [p for p in people if p.get("role") == "catr" and p.get("active") is not False]
    sel.personal_values = {str(e["user"]) for e in entries}
    sel.source = RegisterAsOf(reg.paths, entries, state)
    for (kind_name, _key), values in state.items():
        if kind_name in KINDS:
            sel.personal_values |= {str(values[f.name]) for f in KINDS[kind_name].fields
                                    if f.personal and values.get(f.name) is not None}
    return sel


def select_at(reg: Register, scope: Scope, as_of: dt.date,
              documents_known: DocumentsKnown | None = None) -> tuple[Selection, int | None]:
    """The register at the end of ``as_of``: from the tables when nothing changed since
    (the newest entry is of that day or before; the history is then read once), else
    rebuilt from the history; with the last entry it holds. ``documents_known`` as for
    :func:`select` (not called when the register is rebuilt)."""
    cutoff = end_of_day_utc(as_of)
    with reg.snapshot():  # the look at the newest entry and the selection agree
        newest = reg.newest_entry_id()
        latest = reg.entries_between(newest - 1, newest) if newest else []
        if latest and latest[0]["at"] <= cutoff:
            return select(reg, scope, documents_known), newest
        entries, _last = entries_until(reg, as_of)
    if not entries:
        first = reg.first_entry_at()
        raise BundleError(f"the register has no history by the end of {as_of.isoformat()}: "
                          f"its first entry is of {str(first)[:10]}; give that date or a "
                          "later one. Nothing was written")
    return select_as_of(reg, scope, entries), entries[-1]["id"]
