"""Audit bundles: the agency's files for the CALNET Program, on request [STMM 501.0,
3-502.0], as a BagIt bag (RFC 8493) in a zip an auditor checks with stock tools.

Layout (one top folder, ``calnet-bundle-<as-of>/``)::

    bagit.txt  bag-info.txt  manifest-sha256.txt  tagmanifest-sha256.txt
    data/records/<kind>.csv|.xlsx|.json    the records in scope (canonical layout)
    data/documents/<safe unique name>      the documents linked to them
    data/documents.json                    sha256, name, size, media_type, added_at, file,
                                           links [{kind, key}]
    data/history/entries.jsonl             the scope's history entries, canonical JSON
    data/history/chain.csv                 id,prev,hash of the whole chain
    data/summary.pdf                       agency, CATR, scope, as-of, records, findings,
                                           deadlines, citations

The same register, scope and as-of date give the same bytes: entries sorted, fixed times
and permissions, STORED entries, XLSX and PDF metadata set to the as-of date. Documents are
copied into the zip and hashed in one streaming pass (memory stays flat); the zip is
written to ``OUT.partial`` and put in place only when whole. Exporting reads the register
in one snapshot and writes nothing into it.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import __version__
from ..files import atomic_output
from ..progress import IsCancelled, Progress, check
from ..records import KINDS, Kind, Record, kind_among
from ..store import Register, StoreError
from ..store.billing import Mark, Statement
from ..store.documents import (
    CHUNK,
    Document,
    all_documents,
    all_links,
    document_path,
    get_document,
    hash_file,
    safe_file_name,
)
from ..store.history import CHAIN_VERSION, GENESIS, canonical_json, entry_hash_v1
from ..values import to_cell_native, to_cell_text, to_json
from . import billing_bundle
from .bundle_proof import CHAIN_COLUMNS, chain_row, in_scope, redacted_entry, verify_history
from .sheets import XLSX_FORMATS, xlsx_bytes

REDACTED = "[redacted]"
BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
TAG_FILES = ("bag-info.txt", "bagit.txt", "manifest-sha256.txt")
FILE_MODE = 0o100644 << 16  # a regular file (zipinfo: -rw-r--r--), not just permissions
# 2: chain version 2 (chain.csv with every entry's header and body; entries with their
# salt or redaction proof; the history explains records, documents and links exactly)
BUNDLE_FORMAT_VERSION = 2
UNIX = 3
_SHA = re.compile(r"[0-9a-f]{64}")
# Where the CALNET Program's right to the files comes from: on the first page of the summary
FILES_CITATIONS = ("STMM 501.0", "STMM 3-502.0")


class BundleError(StoreError):
    """The bundle cannot be made (unknown key, missing document…); nothing was written."""


class ScopeSyntax(ValueError):
    """A --scope that is not one of the forms (exit 2)."""


# --- scope ----------------------------------------------------------------------------------

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

    def keys(self) -> set[tuple[str, str]]:
        return {(k, str(r[KINDS[k].key.name])) for k, rs in self.records.items() for r in rs}

    @property
    def head(self) -> str:
        return str(self.chain[-1]["hash"]) if self.chain else GENESIS


def _by_key(reg: Register, kind: Kind, keys: Iterable[str]) -> list[Record]:
    out = [r for r in (reg.get(kind, k) for k in sorted(set(keys))) if r is not None]
    return out


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
    orders, out = KINDS["orders"], {kind.name: [record]}
    if kind.name == "exemptions":
        out["orders"] = _by_key(reg, orders, reg.keys_where(orders, "exemption_id", scope.value))
        general = record.get("general_delegation_id")
        if isinstance(general, str):
            out["delegations"] = _by_key(reg, KINDS["delegations"], [general])
    elif kind.name == "delegations":
        out["orders"] = _by_key(reg, orders, reg.keys_where(orders, "delegation_id", scope.value))
    return out


def select(reg: Register, scope: Scope) -> Selection:
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
        shas = {d.sha256 for d, _ in sel.documents}
        entries = list(reg.iter_history())
        touched = {(e["kind"], e["key"]) for e in entries  # since: whole histories
                   if scope.kind == "since" and e["at"][:10] >= scope.value
                   and e["kind"] in KINDS}
        for entry in entries:
            sel.chain.append(chain_row(entry))
            if (scope.kind == "all" or in_scope(entry["kind"], entry["key"], keys, shas)
                    or billing_bundle.history_in_scope(entry["kind"], entry["key"],
                                                       sel.statements)
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


# --- redaction ----------------------------------------------------------------------------


class Redactor:
    """Drops personal names, e-mail, phone and OS user names (a Public Records Act copy):
    personal fields become null, history users and personal changes "[redacted]"; a text
    (or list) that holds one of those values is replaced whole in records and history, so
    every value shown can be proved against the chain; in free prose (findings) just the
    value is replaced."""

    def __init__(self, on: bool, values: Iterable[str]) -> None:
        self.on = on
        words = sorted({v.strip() for v in values if len(v.strip()) >= 3}, key=len,
                       reverse=True)
        self.pattern = (re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, words))
                                   + r")(?!\w)") if on and words else None)

    def text(self, value: str) -> str:
        return self.pattern.sub(REDACTED, value) if self.pattern else value

    def hides(self, value: Any) -> bool:
        """Does this text or list hold a personal value (so it is shown as redacted)?"""
        if self.pattern is None:
            return False
        if isinstance(value, str):
            return self.pattern.search(value) is not None
        if isinstance(value, list):
            return any(isinstance(v, str) and self.pattern.search(v) for v in value)
        return False

    def record(self, kind: Kind, record: Record) -> Record:
        if not self.on:
            return record
        out: Record = {}
        for f in kind.fields:
            v = record.get(f.name)
            if f.personal:
                v = None
            elif self.hides(v):
                v = redacted_value(v)
            out[f.name] = v
        return out

    def entry(self, entry: dict[str, Any]) -> dict[str, Any]:
        """The entry as a bundle shows it: with its salt, or redacted with a proof."""
        if not self.on:
            return entry
        kind = KINDS.get(entry["kind"])
        hidden = {"user"}
        if self.hides(entry["reason"]):
            hidden.add("reason")
        for name, pair in entry["changes"].items():
            f = kind.by_name.get(name) if kind else None
            personal = (f is not None and f.personal) or (
                entry["kind"] == billing_bundle.MARK_KIND and name == "marked_by")
            for side, v in enumerate(pair):
                if v is not None and (personal or self.hides(v)):
                    hidden.add(f"changes/{name}/{side}")
        return redacted_entry(entry, hidden)

    def document(self, doc: Document) -> Document:
        """A document whose name holds a personal value is shown as [redacted] (its file
        named by its SHA-256)."""
        if not self.hides(doc.name):
            return doc
        return replace(doc, name=REDACTED)

    def statement(self, st: Any) -> Any:
        return replace(st, name=REDACTED) if self.hides(st.name) else st

    def mark(self, mark: Mark) -> Mark:
        """A mark on a billing finding: who marked it is a user name."""
        if not self.on:
            return mark
        return replace(mark, marked_by=REDACTED,
                       note=REDACTED if self.hides(mark.note) else mark.note)


def redacted_value(value: Any) -> Any:
    return [REDACTED] if isinstance(value, list) else REDACTED


def personal_field_names() -> list[str]:
    return [f"{k.name}.{f.name}" for k in KINDS.values() for f in k.fields if f.personal]


# --- the files -------------------------------------------------------------------------------


def _records_json(kind: Kind, records: list[Record]) -> bytes:
    rows = [{f.name: to_json(f, r.get(f.name)) for f in kind.fields} for r in records]
    return (json.dumps(rows, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def _records_csv(kind: Kind, records: list[Record]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(kind.columns)
    writer.writerows([to_cell_text(f, r.get(f.name)) for f in kind.fields] for r in records)
    return b"\xef\xbb\xbf" + text.getvalue().encode("utf-8")  # UTF-8 with BOM, as export


def _records_xlsx(kind: Kind, records: list[Record], as_of: dt.date) -> bytes:
    return xlsx_bytes(kind.name, kind.columns,
                      ([to_cell_native(f, r.get(f.name)) for f in kind.fields] for r in records),
                      [XLSX_FORMATS.get(f.type) for f in kind.fields],
                      fixed_time=dt.datetime(as_of.year, as_of.month, as_of.day))


def records_files(kind: Kind, records: list[Record]
                  ) -> dict[str, Callable[[Path], str | None]]:
    """The records files of a kind in a bundle, each with a check that a file holds exactly
    these records: JSON and CSV byte for byte, XLSX cell by cell (its bytes depend on the
    spreadsheet library's version)."""
    def same_bytes(content: bytes) -> Callable[[Path], str | None]:
        return lambda path: None if path.read_bytes() == content else "its content differs"

    return {f"{kind.name}.csv": same_bytes(_records_csv(kind, records)),
            f"{kind.name}.json": same_bytes(_records_json(kind, records)),
            f"{kind.name}.xlsx": lambda path: _xlsx_differs(path, kind, records)}


def _xlsx_differs(path: Path, kind: Kind, records: list[Record]) -> str | None:
    from ..values import BadValue, parser_for
    from .sheets import LAYOUT, SheetError, read_rows, xlsx_layout

    raw = xlsx_layout(path) == LAYOUT
    parsers = [parser_for(f, raw) for f in kind.fields]
    try:
        with read_rows(path) as rows:
            n = 0
            for number, row in rows:
                cells = list(row) + [None] * (len(kind.fields) - len(row))
                if number == 1:
                    if [str(c) for c in cells] != kind.columns:
                        return "its header is not the canonical columns"
                    continue
                if n >= len(records):
                    if any(c not in (None, "") for c in cells):
                        return f"row {number} is not in the history"
                    continue
                record = records[n]
                n += 1
                for f, parse, cell in zip(kind.fields, parsers, cells, strict=False):
                    try:
                        value = parse(cell)
                    except BadValue:
                        return f"row {number} column {f.name} cannot be read"
                    if value != record.get(f.name):
                        return f"row {number} column {f.name} differs"
            if n != len(records):
                return f"it has {n} record(s), the history {len(records)}"
    except SheetError as e:
        return str(e)
    return None


def _fold(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def document_names(documents: Iterable[Document]) -> dict[str, str]:
    """sha256 -> a readable, safe file name, unique even on a case-insensitive disk."""
    taken: set[str] = set()
    out = {}
    for doc in sorted(documents, key=lambda d: (d.name, d.sha256)):
        name = unicodedata.normalize("NFC", safe_file_name(
            doc.name if doc.name != REDACTED else f"redacted {doc.sha256[:16]}"))
        stem, suffix = Path(name).stem, Path(name).suffix
        candidate, n = name, 2
        while _fold(candidate) in taken:
            candidate = f"{stem} ({n}){suffix}"
            n += 1
        taken.add(_fold(candidate))
        out[doc.sha256] = candidate
    return out


def _chain_csv(chain: list[dict[str, Any]]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(CHAIN_COLUMNS)
    writer.writerows([row[c] if c != "refs" else canonical_json(row[c]) for c in CHAIN_COLUMNS]
                     for row in chain)
    return text.getvalue().encode("utf-8")


def _catr_name(sel: Selection) -> str:
    return "; ".join(str(p.get("name")) for p in sel.catrs if p.get("name"))


def select_as_of(reg: Register, scope: Scope, entries: list[dict[str, Any]]) -> Selection:
    """The Selection (bundle.py) of the register as the entries leave it."""
    from ..store.register import AGENCY_KEY, AGENCY_KIND
    from .bundle_as_of import replay
    from .bundle_proof import _link_parts, scope_entries

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
            sha, k, record_key = _link_parts(key)
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
    for (kind_name, _key), values in state.items():
        if kind_name in KINDS:
            sel.personal_values |= {str(values[f.name]) for f in KINDS[kind_name].fields
                                    if f.personal and values.get(f.name) is not None}
    return sel


def _select_as_of(reg: Register, scope: Scope, as_of: dt.date
                  ) -> tuple[Selection, int | None]:
    """The register at the end of ``as_of``: from the tables when nothing changed since,
    else rebuilt from the history (bundle_as_of); with the last entry it holds."""
    from .bundle_as_of import entries_until

    entries, last = entries_until(reg, as_of)
    if not entries:
        first = reg.first_entry_at()
        raise BundleError(f"the register has no history by the end of {as_of.isoformat()}: "
                          f"its first entry is of {str(first)[:10]}; give that date or a "
                          "later one. Nothing was written")
    if entries[-1]["id"] == last:
        return select(reg, scope), last
    return select_as_of(reg, scope, entries), entries[-1]["id"]


def _bag_info(sel: Selection, scope: Scope, as_of: dt.date, today: dt.date, redact: bool,
              oxum: str, upto: int | None = None) -> bytes:
    agency = sel.agency
    head = sel.head
    lines = [
        ("Source-Organization", str(agency.get("name") or "")),
        ("Contact-Name", REDACTED if redact else (_catr_name(sel) or "(no active CATR)")),
    ]
    if not redact:
        for label, name in (("Contact-Email", "email"), ("Contact-Phone", "phone")):
            values = "; ".join(str(p[name]) for p in sel.catrs if p.get(name))
            if values:
                lines.append((label, values))
    lines += [
        ("Bagging-Date", today.isoformat()),  # the day the bag was made (RFC 8493)
        ("External-Description",
         f"CALNET records of {agency.get('name')} made available to the CALNET Program on "
         f"request (STMM 501.0, 3-502.0): scope {scope.text}, as of {as_of.isoformat()}"),
        ("Bag-Software-Agent", f"CALNET Desk {__version__}"),
        ("Bundle-Scope", scope.text),
        *([("Register-As-Of", f"{as_of.isoformat()} (the register as it stood at the end of "
                              f"that day, local time: history entries 1 to {upto})")]
          if upto is not None else []),
        ("Agency-Class", str(agency.get("agency_class") or "")),
        ("Bundle-Format-Version", str(BUNDLE_FORMAT_VERSION)),
        ("History-Chain-Version", str(CHAIN_VERSION)),
        ("History-Chain-Head", head),
        ("History-Chain-Length", str(len(sel.chain))),
        ("History-Entries", str(len(sel.entries))),
        ("Redacted", "yes" if redact else "no"),
    ]
    if redact:
        lines.append(("Redaction",
                      "personal names, e-mail and phone (" + ", ".join(personal_field_names())
                      + ") set to null in the records; the history entries' user names and "
                      "personal values, and any text holding one, replaced by [redacted]; "
                      "each hidden value keeps its commitment and each shown one its salt, "
                      "so every entry still links to data/history/chain.csv; document "
                      "contents are not redacted"))
    lines.append(("Payload-Oxum", oxum))
    return "".join(f"{k}: {v}\n" for k, v in lines).encode("utf-8")


# --- writing the zip ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleResult:
    path: Path
    records: int
    documents: int
    entries: int
    size: int
    head: str  # the history chain head, to be sent separately (verify-bundle --expect-head)


@dataclass
class _Payload:
    """One payload file: bytes made here, or a stored document copied while streaming."""

    name: str  # under data/
    content: bytes | None = None
    document: Document | None = None

    @property
    def size(self) -> int:
        if self.content is not None:
            return len(self.content)
        assert self.document is not None
        return self.document.size


def _info(name: str, date_time: tuple[int, int, int, int, int, int], size: int
          ) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = UNIX
    info.external_attr = FILE_MODE
    info.file_size = size
    return info


def export_bundle(reg: Register, out: Path, scope: Scope | None = None,
                  as_of: dt.date | None = None, redact: bool = False,
                  progress: Progress | None = None, cancelled: IsCancelled | None = None,
                  *, today: dt.date | None = None) -> BundleResult:
    """Write the bundle to ``out`` (``out.partial`` first, then os.replace). Raises
    BundleError (nothing written) or Cancelled (the partial removed). ``today`` is the day
    the bag is made (its Bagging-Date, RFC 8493)."""
    scope = scope or Scope("all")
    today = today or dt.date.today()
    sel, upto = (select(reg, scope), None) if as_of is None else _select_as_of(reg, scope,
                                                                              as_of)
    as_of = as_of or today
    red = Redactor(redact, sel.personal_values)
    payload = _payload(reg, sel, scope, as_of, red)
    oxum = f"{sum(p.size for p in payload)}.{len(payload)}"
    bag = f"calnet-bundle-{as_of.isoformat()}"
    date_time = (as_of.year, as_of.month, as_of.day, 0, 0, 0)
    tags = {"bagit.txt": BAGIT_TXT,
            "bag-info.txt": _bag_info(sel, scope, as_of, today, redact, oxum, upto)}
    total = sum(p.size for p in payload)
    done = 0
    partial = out.with_name(out.name + ".partial")
    manifest: list[tuple[str, str]] = []

    def check_cancel() -> None:
        check(cancelled, "the export was cancelled; nothing was written")

    with atomic_output(out, partial) as tmp, open(tmp, "wb") as fh, \
            zipfile.ZipFile(fh, "w", zipfile.ZIP_STORED) as zf:
        # sorted names: bag-info.txt, bagit.txt, data/…, manifest…, tagmanifest…
        for name in ("bag-info.txt", "bagit.txt"):
            zf.writestr(_info(f"{bag}/{name}", date_time, len(tags[name])), tags[name])
        for item in payload:
            check_cancel()
            info = _info(f"{bag}/data/{item.name}", date_time, item.size)
            if item.content is not None:
                zf.writestr(info, item.content)
                digest = hashlib.sha256(item.content).hexdigest()
                done += item.size
            else:
                assert item.document is not None
                info.file_size = item.document.size
                digest = _copy_document(reg, item.document, zf, info, check_cancel,
                                        _offset(progress, done, total))
                done += item.size
            manifest.append((digest, f"data/{item.name}"))
            if progress:
                progress(done, total)
        tags["manifest-sha256.txt"] = "".join(
            f"{d}  {n}\n" for d, n in manifest).encode("utf-8")
        zf.writestr(_info(f"{bag}/manifest-sha256.txt", date_time,
                          len(tags["manifest-sha256.txt"])), tags["manifest-sha256.txt"])
        tagmanifest = "".join(f"{hashlib.sha256(tags[n]).hexdigest()}  {n}\n"
                              for n in TAG_FILES).encode("utf-8")
        zf.writestr(_info(f"{bag}/tagmanifest-sha256.txt", date_time, len(tagmanifest)),
                    tagmanifest)
        check_cancel()
    records = sum(len(v) for v in sel.records.values())
    return BundleResult(out, records, len(sel.documents), len(sel.entries), out.stat().st_size,
                        sel.head)


def _offset(progress: Progress | None, done: int, total: int) -> Callable[[int], None]:
    def report(n: int) -> None:
        if progress is not None:
            progress(done + n, total)

    return report


def _copy_document(reg: Register, doc: Document, zf: zipfile.ZipFile, info: zipfile.ZipInfo,
                   check_cancel: Callable[[], None],
                   progress: Callable[[int], None]) -> str:
    """Copy a stored document into the zip, hashing as it streams; its hash must be the
    one it is stored under."""
    src = document_path(reg.paths, doc.sha256)
    digest = hashlib.sha256()
    size = 0
    try:
        fin = open(src, "rb")  # noqa: SIM115 - closed below, before the checks
    except OSError as e:
        raise BundleError(f"the stored file of {doc.name} ({doc.sha256[:12]}…) cannot be "
                          f"read ({e.strerror or e}); run verify, then restore it from a "
                          "backup. Nothing was written") from e
    with fin, zf.open(info, "w", force_zip64=doc.size > zipfile.ZIP64_LIMIT) as dest:
        while chunk := fin.read(CHUNK):
            check_cancel()
            if size + len(chunk) > doc.size:
                break
            digest.update(chunk)
            dest.write(chunk)
            size += len(chunk)
            progress(size)
        if size != doc.size or digest.hexdigest() != doc.sha256:
            raise BundleError(f"the stored file of {doc.name} ({doc.sha256[:12]}…) does not "
                              "match its SHA-256 or size: it was changed or damaged. Run "
                              "verify, then restore it from a backup. Nothing was written")
    return doc.sha256


def _payload(reg: Register, sel: Selection, scope: Scope, as_of: dt.date, red: Redactor
             ) -> list[_Payload]:
    items: list[_Payload] = []
    shown = {doc.sha256: red.document(doc) for doc, _ in sel.documents}
    names = document_names(shown.values())
    docs_json = [{**shown[doc.sha256].as_dict(), "file": f"data/documents/{names[doc.sha256]}",
                  "links": [{"kind": k, "key": key} for k, key in links]}
                 for doc, links in sel.documents]
    items.append(_Payload("documents.json", (json.dumps(docs_json, indent=2,
                                                        ensure_ascii=False) + "\n").encode()))
    for doc, _ in sel.documents:
        items.append(_Payload(f"documents/{names[doc.sha256]}", document=doc))
    entries = [red.entry({k: v for k, v in e.items() if k != "body"}) for e in sel.entries]
    items.append(_Payload("history/chain.csv", _chain_csv(sel.chain)))
    items.append(_Payload("history/entries.jsonl",
                          "".join(canonical_json(e) + "\n" for e in entries).encode("utf-8")))
    for kind_name, records in sel.records.items():
        kind = KINDS[kind_name]
        rows = [red.record(kind, r) for r in records]
        items.append(_Payload(f"records/{kind_name}.csv", _records_csv(kind, rows)))
        items.append(_Payload(f"records/{kind_name}.json", _records_json(kind, rows)))
        items.append(_Payload(f"records/{kind_name}.xlsx", _records_xlsx(kind, rows, as_of)))
    for name, content in billing_bundle.payload(
            [red.statement(st) for st in sel.statements], [red.mark(m) for m in sel.marks]):
        items.append(_Payload(name, content))
    from .summary import render_summary

    items.append(_Payload("summary.pdf", render_summary(reg, sel, scope, as_of, red)))
    items.sort(key=lambda p: p.name)
    return items


# --- verifying ---------------------------------------------------------------------------------


def _read_manifest(path: Path, label: str, problems: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        problems.append(f"{label}: cannot be read ({e})")
        return out
    for number, line in enumerate(text.splitlines(), start=1):
        digest, sep, name = line.partition(" ")
        name = name[1:] if name.startswith((" ", "*")) else name
        if not sep or not _SHA.fullmatch(digest) or not name:
            problems.append(f"{label} line {number}: not 'SHA-256  path'")
            continue
        if name.startswith("/") or ".." in name.split("/") or "\\" in name:
            problems.append(f"{label} line {number}: {name} is outside the bag")
            continue
        if name in out:
            problems.append(f"{label}: {name} is listed twice")
        out[name] = digest
    return out


def _sha256(path: Path) -> str:
    return hash_file(path)[0]


def _files(root: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            yield Path(dirpath, name).relative_to(root).as_posix()
        for name in dirnames:
            if Path(dirpath, name).is_symlink():
                yield Path(dirpath, name).relative_to(root).as_posix()


def read_bag_info(root: Path) -> dict[str, str]:
    info: dict[str, str] = {}
    last = ""
    for line in (root / "bag-info.txt").read_text(encoding="utf-8").splitlines():
        if line[:1] in (" ", "\t") and last:
            info[last] += " " + line.strip()
            continue
        label, sep, value = line.partition(":")
        if sep:
            last = label.strip()
            info[last] = value.strip()
    return info


def verify_bag(root: Path, expect_head: str | None = None) -> list[str]:
    """Every problem of an unpacked bag (empty when sound). Format 2 bundles replay their
    own history (bundle_proof); ``expect_head`` is the chain head printed at export."""
    problems: list[str] = []
    present = set(_files(root))
    for name in sorted(present):
        if (root / name).is_symlink() or not (root / name).is_file():
            problems.append(f"{name} is a link or not a regular file")
    for required in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt",
                     "tagmanifest-sha256.txt"):
        if required not in present:
            problems.append(f"{required} is missing")
    if "bagit.txt" in present and (root / "bagit.txt").read_bytes() != BAGIT_TXT:
        problems.append("bagit.txt is not 'BagIt-Version: 1.0' with 'Tag-File-Character-"
                        "Encoding: UTF-8'")
    if not (root / "data").is_dir():
        problems.append("the payload folder data/ is missing")
    manifest = (_read_manifest(root / "manifest-sha256.txt", "manifest-sha256.txt", problems)
                if "manifest-sha256.txt" in present else {})
    tagmanifest = (_read_manifest(root / "tagmanifest-sha256.txt", "tagmanifest-sha256.txt",
                                  problems) if "tagmanifest-sha256.txt" in present else {})
    payload = {n for n in present if n.startswith("data/")}
    tag_files = present - payload - {"tagmanifest-sha256.txt"}
    for name in sorted(payload):
        if name not in manifest:
            problems.append(f"{name} is not in manifest-sha256.txt (a file added to the "
                            "payload)")
    for name in sorted(tag_files):
        if name.startswith(("manifest-", "tagmanifest-")) and name != "manifest-sha256.txt":
            problems.append(f"{name}: an unexpected manifest")
        if name not in tagmanifest:
            problems.append(f"{name} is not in tagmanifest-sha256.txt (a tag file added)")
    hashed: dict[str, str] = {}  # each file read once: the documents check reuses these
    for listing, label, must_be_payload in ((manifest, "manifest-sha256.txt", True),
                                            (tagmanifest, "tagmanifest-sha256.txt", False)):
        for name, digest in sorted(listing.items()):
            if must_be_payload != name.startswith("data/"):
                problems.append(f"{label} lists {name}, which belongs in the "
                                f"{'tag ' if must_be_payload else ''}manifest")
            if name not in present:
                problems.append(f"{name} is listed in {label} but missing")
            elif not (root / name).is_symlink():
                hashed[name] = _sha256(root / name)
                if hashed[name] != digest:
                    problems.append(f"{name} does not match its SHA-256 in {label} "
                                    "(changed)")
    info: dict[str, str] = {}
    if "bag-info.txt" in present:
        try:
            info = read_bag_info(root)
        except (OSError, UnicodeDecodeError) as e:
            problems.append(f"bag-info.txt cannot be read ({e})")
    for label in ("Source-Organization", "Bagging-Date", "Bundle-Scope", "History-Chain-Head",
                  "History-Chain-Length", "History-Entries", "Redacted", "Payload-Oxum"):
        if info and label not in info:
            problems.append(f"bag-info.txt has no {label}")
    if "Payload-Oxum" in info:
        sizes = [(root / n).stat().st_size for n in payload if (root / n).is_file()]
        actual = f"{sum(sizes)}.{len(sizes)}"
        if info["Payload-Oxum"] != actual:
            problems.append(f"Payload-Oxum is {info['Payload-Oxum']} in bag-info.txt but the "
                            f"payload is {actual} (bytes.files)")
    if info.get("Bundle-Format-Version") == str(BUNDLE_FORMAT_VERSION):
        try:
            scope: tuple[str, str] | None = (lambda s: (s.kind, s.value))(
                parse_scope(info.get("Bundle-Scope", "")))
        except ScopeSyntax:
            scope = None
        problems += verify_history(root, info, present, scope, expect_head, records_files)
    else:
        problems.append(f"bag-info.txt has no Bundle-Format-Version: {BUNDLE_FORMAT_VERSION}: "
                        "an older bundle, whose records cannot be proved against its history "
                        "(anyone could have changed them); ask for a new export")
        problems += _verify_history(root, info, present, expect_head)
    problems += _verify_documents(root, present, hashed)
    return problems


def _verify_documents(root: Path, present: set[str], hashed: dict[str, str]) -> list[str]:
    problems: list[str] = []
    if "data/documents.json" not in present:
        return ["data/documents.json is missing"]
    try:
        listed = json.loads((root / "data/documents.json").read_text(encoding="utf-8"))
        files = {str(d["file"]): d for d in listed}
    except (ValueError, TypeError, KeyError, OSError) as e:
        return [f"data/documents.json is not a list of documents ({e})"]
    for name, doc in sorted(files.items()):
        if name not in present:
            problems.append(f"{name} is listed in data/documents.json but missing")
        elif doc.get("size") != (root / name).stat().st_size:
            problems.append(f"{name}: its size differs from data/documents.json")
        elif (hashed.get(name) or _sha256(root / name)) != doc.get("sha256"):
            problems.append(f"{name}: its SHA-256 differs from data/documents.json")
    for name in sorted(present):
        if name.startswith("data/documents/") and name not in files:
            problems.append(f"{name} is not listed in data/documents.json")
    return problems


def _verify_history(root: Path, info: dict[str, str], present: set[str],
                    expect_head: str | None) -> list[str]:
    """Bundles made before format 2 (chain version 1): linkage and unredacted entries."""
    problems: list[str] = []
    chain: dict[int, tuple[str, str]] = {}
    for required in ("data/history/chain.csv", "data/history/entries.jsonl"):
        if required not in present:
            problems.append(f"{required} is missing")
    if problems:
        return problems
    lines = (root / "data/history/chain.csv").read_text(encoding="utf-8").splitlines()
    if not lines or lines[0] != "id,prev,hash":
        return ["data/history/chain.csv: the first line is not id,prev,hash"]
    prev_hash, expected_id = GENESIS, 1
    for number, line in enumerate(lines[1:], start=2):
        parts = line.split(",")
        if (len(parts) != 3 or not parts[0].isdigit() or not _SHA.fullmatch(parts[1])
                or not _SHA.fullmatch(parts[2])):
            problems.append(f"data/history/chain.csv line {number}: not id,prev,hash")
            continue
        entry_id = int(parts[0])
        if entry_id != expected_id:
            problems.append(f"data/history/chain.csv line {number}: id {entry_id}, "
                            f"expected {expected_id}")
        if parts[1] != prev_hash:
            problems.append(f"data/history/chain.csv line {number}: entry {entry_id}'s prev "
                            "is not the previous entry's hash (the chain is broken)")
        chain[entry_id] = (parts[1], parts[2])
        prev_hash, expected_id = parts[2], entry_id + 1
    if expect_head is not None and expect_head.strip().lower() != prev_hash:
        problems.append(f"the history chain ends at {prev_hash}, not at the expected head "
                        f"{expect_head.strip()}")
    if info.get("History-Chain-Head") not in (None, prev_hash):
        problems.append(f"History-Chain-Head in bag-info.txt is {info['History-Chain-Head']} "
                        f"but data/history/chain.csv ends at {prev_hash}")
    if info.get("History-Chain-Length") not in (None, str(len(chain))):
        problems.append(f"History-Chain-Length in bag-info.txt is "
                        f"{info['History-Chain-Length']} but data/history/chain.csv has "
                        f"{len(chain)} entries")
    redacted = info.get("Redacted") == "yes"
    count, last_id = 0, 0
    text = (root / "data/history/entries.jsonl").read_text(encoding="utf-8")
    keys = {"id", "at", "user", "kind", "key", "action", "changes", "reason", "prev", "hash"}
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"data/history/entries.jsonl line {number}"
        try:
            entry = json.loads(line)
        except ValueError:
            problems.append(f"{where}: not JSON")
            continue
        if not isinstance(entry, dict) or set(entry) != keys:
            problems.append(f"{where}: not a history entry (keys {', '.join(sorted(keys))})")
            continue
        count += 1
        entry_id = entry["id"]
        if not isinstance(entry_id, int) or entry_id <= last_id:
            problems.append(f"{where}: id {entry_id!r} is not after the previous entry's")
            continue
        last_id = entry_id
        if entry_id not in chain:
            problems.append(f"{where}: entry {entry_id} is not in data/history/chain.csv")
            continue
        prev, digest = chain[entry_id]
        if entry["prev"] != prev or entry["hash"] != digest:
            problems.append(f"{where}: entry {entry_id}'s prev or hash differs from "
                            "data/history/chain.csv")
        elif not redacted and entry_hash_v1(entry) != digest:
            problems.append(f"{where}: entry {entry_id} does not hash to its chain hash "
                            "(its content was changed)")
    if info.get("History-Entries") not in (None, str(count)):
        problems.append(f"History-Entries in bag-info.txt is {info['History-Entries']} but "
                        f"data/history/entries.jsonl has {count}")
    return problems


def verify_bundle(path: Path, expect_head: str | None = None) -> list[str]:
    """Every problem of a bundle (a zip or an unzipped folder); empty when sound. A hostile
    archive is refused before anything is unpacked (archive.open_bundle)."""
    from .archive import UnsafeArchive, open_bundle

    if path.is_dir() and not (path / "bagit.txt").exists() and (
            (path / "data").is_dir() or any(path.glob("*manifest-*.txt"))):
        return verify_bag(path, expect_head)  # a bag folder that lost its bagit.txt: report it all
    try:
        with open_bundle(path) as root:
            return verify_bag(root, expect_head)
    except UnsafeArchive as e:
        return [f"refused: {e}"]
