"""Merge: an audit bundle (an ATR's register, exported) into the agency register.

Everything is checked before a byte is written: the archive guards (archive.py), the bag's
verification (bundle.py), the agency named in bag-info.txt, every records file (known kinds
and columns, values that parse back exactly), the documents and every reference. Then one
transaction adds the new records (in dependency order: delegations before the exemptions
and orders that name them), skips identical ones, keeps conflicting ones as the register's
(or takes the bundle's with prefer="bundle"), stores and links the documents, and records
the merge in the history as "merge bundle <SHA-256>". All or nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from ..records import KINDS, Kind, Record
from ..store import Register
from ..store.documents import (
    add_document,
    document_path,
    get_document,
    is_linked,
    link,
    store_file,
)
from ..values import from_json, to_json
from . import billing_bundle
from .archive import Limits, UnsafeArchive, bundle_sha256, open_bundle

Verifier = Callable[[Path], list[str]]
_SHA = re.compile(r"[0-9a-f]{64}")


class BadBundle(Exception):
    """A bundle refused after unpacking; the message says what is wrong."""


@dataclass(frozen=True)
class Conflict:
    kind: str
    key: str
    fields: dict[str, tuple[Any, Any]]  # name: (register's, bundle's) as in list --json

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key,
                "fields": {n: {"register": a, "bundle": b} for n, (a, b) in self.fields.items()}}


@dataclass
class MergeResult:
    bundle: str
    sha256: str = ""
    prefer: str = "register"
    take: set[tuple[str, str]] = field(default_factory=set)
    dry_run: bool = False
    problems: list[str] = field(default_factory=list)
    added: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    documents_added: int = 0
    links_added: int = 0
    written: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"bundle": self.bundle, "sha256": self.sha256, "prefer": self.prefer,
                "dry_run": self.dry_run, "merged": self.written, "problems": self.problems,
                "added": self.added, "skipped": self.skipped,
                "conflicts": [c.as_dict() for c in self.conflicts],
                "documents_added": self.documents_added, "links_added": self.links_added}


@dataclass
class _Document:
    sha256: str
    name: str
    size: int
    path: Path
    links: list[tuple[Kind, str]]


def dependency_order() -> list[Kind]:
    """Every kind after the kinds its fields refer to."""
    done: list[Kind] = []
    pending = list(KINDS.values())
    while pending:
        for kind in pending:
            needs = {f.references for f in kind.fields if f.references} - {kind.name}
            if needs <= {k.name for k in done}:
                done.append(kind)
                pending.remove(kind)
                break
        else:  # pragma: no cover - the declarations have no cycle
            raise AssertionError("the record kinds refer to each other in a cycle")
    return done


def _manifest(root: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in (root / "manifest-sha256.txt").read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition(" ")
        out[name.strip().lstrip("*")] = digest.lower()
    return out


def _load_json(path: Path, label: str, problems: list[str]) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal,
                          parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError is a ValueError
        problems.append(f"{label}: not valid JSON ({e})")
        return None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def read_records(root: Path, problems: list[str]) -> dict[str, list[Record]]:
    """data/records/<kind>.json of every kind, parsed back into record values."""
    folder = root / "data" / "records"
    found: dict[str, list[Record]] = {}
    if not folder.is_dir():
        problems.append("data/records/: missing")
        return found
    for path in sorted(folder.iterdir()):
        label = f"data/records/{path.name}"
        if path.suffix.lower() in (".csv", ".xlsx"):
            continue  # copies of the JSON for people; the JSON is what is merged
        if path.suffix != ".json" or path.stem not in KINDS:
            problems.append(f"{label}: not a records file of a known kind (the kinds are "
                            f"{', '.join(KINDS)})")
            continue
        kind = KINDS[path.stem]
        data = _load_json(path, label, problems)
        if data is None:
            continue
        if not isinstance(data, list):
            problems.append(f"{label}: not a JSON array of records")
            continue
        records: list[Record] = []
        seen: set[str] = set()
        for i, obj in enumerate(data, 1):
            where = f"{label}: record {i}"
            if not isinstance(obj, dict):
                problems.append(f"{where}: not a JSON object")
                continue
            unknown = sorted(set(obj) - set(kind.columns))
            if unknown:
                problems.append(f"{where}: unknown column(s) {', '.join(unknown)} for "
                                f"{kind.name}")
                continue
            record: Record = {}
            bad = False
            for f in kind.fields:
                try:
                    record[f.name] = from_json(f, obj.get(f.name))
                except ValueError as e:
                    problems.append(f"{where}: {f.name}: {e}")
                    bad = True
                    continue
                if f.required and record[f.name] is None:
                    problems.append(f"{where}: {f.name}: required, but empty")
                    bad = True
            key = kind.record_key(record) if kind.key_problem(record) is None else None
            if isinstance(key, str):
                if key in seen:
                    problems.append(f"{where}: {kind.singular} {key} appears twice")
                    bad = True
                seen.add(key)
            if not bad:
                records.append(record)
        found[kind.name] = records
    return found


def read_documents(root: Path, problems: list[str]) -> list[_Document]:
    path = root / "data" / "documents.json"
    if not path.exists():
        return []
    data = _load_json(path, "data/documents.json", problems)
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append("data/documents.json: not a JSON array")
        return []
    manifest = _manifest(root)
    folder = (root / "data" / "documents").resolve()
    out: list[_Document] = []
    for i, obj in enumerate(data, 1):
        where = f"data/documents.json: document {i}"
        if not isinstance(obj, dict):
            problems.append(f"{where}: not a JSON object")
            continue
        sha, name, size, file = (obj.get(k) for k in ("sha256", "name", "size", "file"))
        if not (isinstance(sha, str) and _SHA.fullmatch(sha) and isinstance(name, str)
                and name and isinstance(size, int) and not isinstance(size, bool)
                and isinstance(file, str) and file):
            problems.append(f"{where}: needs sha256 (64 hex digits), name, size and file")
            continue
        file = file if file.startswith("data/documents/") else f"data/documents/{file}"
        doc_path = (root / file).resolve()
        if doc_path.parent != folder or not doc_path.is_file():
            problems.append(f"{where}: {file} is not in the bundle")
            continue
        if manifest.get(file) != sha:
            problems.append(f"{where}: {file} does not have SHA-256 {sha}")
            continue
        if doc_path.stat().st_size != size:
            problems.append(f"{where}: {file} is not {size} bytes")
            continue
        links: list[tuple[Kind, str]] = []
        raw_links = obj.get("links") or []
        if not isinstance(raw_links, list):
            problems.append(f"{where}: links is not an array")
            continue
        for ln in raw_links:
            if (not isinstance(ln, dict) or ln.get("kind") not in KINDS
                    or not isinstance(ln.get("key"), str)):
                problems.append(f"{where}: link {ln!r} is not {{kind, key}} of a known kind")
                continue
            links.append((KINDS[ln["kind"]], ln["key"]))
        out.append(_Document(sha, name, size, doc_path, links))
    return out


def _same_agency(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _verifier() -> Verifier:
    from .bundle import verify_bag

    return verify_bag


def merge_bundle(reg: Register, path: Path, *, dry_run: bool = False,
                 prefer: str = "register", allow_other_agency: bool = False,
                 limits: Limits | None = None, verifier: Verifier | None = None,
                 take: Collection[tuple[str, str]] = ()) -> MergeResult:
    """Merge a bundle; ``take`` names conflicting records (kind, key) whose bundle version
    wins whatever ``prefer`` says (the desktop's choice per record)."""
    result = MergeResult(str(path), prefer=prefer, dry_run=dry_run)
    result.take = set(take)
    if prefer not in ("register", "bundle"):
        raise ValueError(f"prefer must be register or bundle, not {prefer!r}")
    work = None
    if reg.writable:  # the writer lock is held: unpack in the register's temp folder
        from ..store.workspace import temp_dir

        work = temp_dir(reg.paths)
    try:
        with open_bundle(path, limits, work=work) as root:
            result.sha256 = bundle_sha256(path)
            _merge(reg, root, result, allow_other_agency, verifier or _verifier())
    except UnsafeArchive as e:
        result.problems.append(str(e))
    except (BadBundle, OSError, ValueError) as e:  # ValueError: undecodable text
        result.problems.append(f"{path}: {e}")
    return result


def _merge(reg: Register, root: Path, result: MergeResult, allow_other_agency: bool,
           verifier: Verifier) -> None:
    problems = result.problems
    problems.extend(verifier(root))
    from .bundle import read_bag_info

    try:  # the checks below name what else is wrong, even in a bundle that failed verify
        info = read_bag_info(root)
    except (OSError, ValueError):
        return
    source = info.get("Source-Organization", "")
    agency = str(reg.agency().get("name") or "")
    if not source:
        problems.append("bag-info.txt names no Source-Organization (the agency)")
    elif not _same_agency(source, agency) and not allow_other_agency:
        problems.append(f"the bundle comes from {source!r}, not from this register's agency "
                        f"{agency!r}; merge it with --allow-other-agency if that is meant")
    if info.get("Redacted", "no").strip().lower() == "yes":
        problems.append("the bundle is redacted (a Public Records Act copy without personal "
                        "names): merge the full bundle instead")
    records = read_records(root, problems)
    documents = read_documents(root, problems)
    statements, marks = billing_bundle.read_bundle(root, problems)
    if problems:
        return

    # The plan, kind by kind in dependency order; references checked against what the
    # register will hold after the merge.
    order = dependency_order()
    to_write: dict[str, list[Record]] = {}
    will_hold: dict[str, set[str]] = {}
    for kind in order:
        mine = {kind.record_key(r): r for r in reg.records(kind)}
        writes: list[Record] = []
        added = skipped = 0
        for rec in records.get(kind.name, []):
            key = kind.record_key(rec)
            old = mine.get(key)
            if old is None:
                writes.append(rec)
                added += 1
                continue
            differ = {f.name: (to_json(f, old.get(f.name)), to_json(f, rec.get(f.name)))
                      for f in kind.fields
                      if old.get(f.name) != rec.get(f.name)
                      or type(old.get(f.name)) is not type(rec.get(f.name))}
            if not differ:
                skipped += 1
                continue
            result.conflicts.append(Conflict(kind.name, key, differ))
            if result.prefer == "bundle" or (kind.name, key) in result.take:
                writes.append(rec)
        result.added[kind.name] = added
        result.skipped[kind.name] = skipped
        to_write[kind.name] = writes
        will_hold[kind.name] = set(mine) | {kind.record_key(r)
                                            for r in records.get(kind.name, [])}
    for kind in order:
        refs = [f for f in kind.fields if f.references]
        for rec in to_write[kind.name]:
            for f in refs:
                v = rec.get(f.name)
                assert f.references is not None
                if isinstance(v, str) and v not in will_hold[f.references]:
                    problems.append(f"{kind.singular} {kind.record_key(rec)}: {f.name} {v} is "
                                    "neither in the bundle nor in the register")
    for doc in documents:
        for kind, key in doc.links:
            if key not in will_hold[kind.name]:
                problems.append(f"document {doc.name} ({doc.sha256[:12]}…) is linked to "
                                f"{kind.singular} {key}, neither in the bundle nor in the "
                                "register")
    files = {doc.sha256: doc.path for doc in documents}
    billing = billing_bundle.plan(reg, statements, marks, files, result.prefer, result.take,
                                  problems)
    if statements or marks:  # a bundle with contractors' statements (issue 18)
        result.added.update(billing.added)
        result.skipped.update(billing.skipped)
        result.conflicts.extend(Conflict(kind, key, fields)
                                for kind, key, fields in billing.conflicts)
    if problems:
        return
    if result.dry_run:
        for doc in documents:
            if get_document(reg, doc.sha256) is None:
                result.documents_added += 1
            result.links_added += sum(1 for kind, key in doc.links
                                      if not is_linked(reg, doc.sha256, kind, key))
        return
    _write(reg, result, order, to_write, documents, billing)


def _write(reg: Register, result: MergeResult, order: list[Kind],
           to_write: dict[str, list[Record]], documents: list[_Document],
           billing: billing_bundle.BillingPlan) -> None:
    stored: list[Path] = []  # files this merge put in the store: removed if it fails
    try:
        for doc in documents:
            target = document_path(reg.paths, doc.sha256)
            existed = target.exists()
            sha, size = store_file(reg.paths, doc.path)
            if not existed:
                stored.append(target)
            if sha != doc.sha256 or size != doc.size:
                raise BadBundle(f"document {doc.name} changed while it was merged")
        with reg.transaction(f"merge bundle {result.sha256}") as tx:
            for kind in order:
                if to_write[kind.name]:
                    tx.put_many(kind, to_write[kind.name])
            for doc in documents:
                if get_document(tx.register, doc.sha256) is None:
                    result.documents_added += 1
                add_document(tx, doc.sha256, doc.name, doc.size)
                for kind, key in doc.links:
                    if link(tx, doc.sha256, kind, key):
                        result.links_added += 1
            billing_bundle.write(tx, billing, {doc.sha256: doc.path for doc in documents})
    except BaseException:
        for p in stored:
            p.chmod(0o600)
            p.unlink(missing_ok=True)
        raise
    result.written = True
