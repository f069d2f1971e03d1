"""`verify`: the database is sound, the history chain holds, and the history explains
every current row exactly."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..records import KINDS
from .documents import document_path, hash_file
from .heads import Head
from .history import GENESIS, entry_hash, has_salt_column
from .register import AGENCY_KIND, Register
from .tracked import DOCUMENTS, TRACKED, current_state


@dataclass(frozen=True)
class Finding:
    check: str  # integrity | foreign-keys | chain | replay | triggers | keys | search | wal
    message: str
    kind: str | None = None
    key: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _tolerant_text(data: bytes) -> str:
    """Text as verify reads it: bytes that are not UTF-8 (a flipped bit in a page) become
    U+FFFD, so the entry fails its hash and is reported, instead of stopping verify."""
    return data.decode("utf-8", "replace")


def _entries(conn: Any) -> Any:
    """The history entries; one whose changes are not JSON any more comes with an empty
    change set and ``unreadable`` set (its hash then fails too)."""
    import json

    v2 = has_salt_column(conn)  # chain version 2: each entry's salt and body too
    sql = ("SELECT id, at, user, kind, key, action, changes, reason, prev, hash"
           + (", salt, body" if v2 else "") + " FROM history ORDER BY id")
    for row in conn.execute(sql):
        try:
            changes = json.loads(row[6])
            unreadable = not isinstance(changes, dict)
        except (ValueError, TypeError):
            changes, unreadable = {}, True
        entry = {"id": row[0], "at": row[1], "user": row[2], "kind": row[3], "key": row[4],
                 "action": row[5], "changes": changes if not unreadable else {},
                 "reason": row[7], "prev": row[8], "hash": row[9]}
        if v2:
            entry["salt"], entry["body"] = row[10], row[11]
        yield entry, unreadable


def verify(reg: Register, rehash: bool = True) -> tuple[list[Finding], dict[str, int]]:
    """Everything is read in one snapshot (one read transaction), so a writer committing
    meanwhile never makes verify see half of its change."""
    from .heads import recorded

    # The heads file first: a commit appends to it after committing, so what it records
    # now is in the snapshot taken next.
    head = recorded(reg.paths.root)
    conn = reg.conn
    before = conn.text_factory
    conn.text_factory = _tolerant_text
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN")
    try:
        return _verify(reg, rehash, head)
    finally:
        if own and conn.in_transaction:
            conn.execute("COMMIT")
        conn.text_factory = before


def _structure(reg: Register, entries: int, hashes: dict[int, str], head: Head | None
               ) -> list[Finding]:
    """The chain as long as the heads file says, the schema's triggers all there, the
    search index exactly what the records make."""
    from . import heads, schema

    findings = []
    if head is not None:
        if entries < head.entries:
            findings.append(Finding(
                "chain", f"the history has {entries} entries but {head.entries} were recorded "
                f"in {heads.HEADS}: the last {head.entries - entries} entries were deleted "
                "outside CALNET Desk (restore the newest good backup)"))
        elif hashes.get(head.entries, head.hash) != head.hash:
            findings.append(Finding(
                "chain", f"history entry {head.entries} is not the one recorded in "
                f"{heads.HEADS}: the history was rewritten outside CALNET Desk"))
    have = {r[0] for r in reg.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    missing = sorted(schema.expected_triggers() - have)
    if missing:
        findings.append(Finding(
            "triggers", f"{len(missing)} trigger(s) the schema needs are missing "
            f"({', '.join(missing[:6])}{'…' if len(missing) > 6 else ''}): changes outside "
            "CALNET Desk are no longer stopped or indexed. Re-create them with: "
            "calnet-desk-cli rebuild-search"))
    findings.extend(key_clashes(reg))
    for kind_name, key, problem in search_index_problems(reg):
        findings.append(Finding("search", f"{kind_name} {key} {problem} in the search index; "
                                "rebuild it with: calnet-desk-cli rebuild-search",
                                kind_name, key))
    return findings


def _wal_only(reg: Register, last_id: int) -> list[Finding]:
    """Commits the -wal holds and the main file does not yet (a reader pinned a snapshot
    past the last checkpoint): deleting or leaving out the -wal would lose them."""
    from .wal import only_in_wal

    span = only_in_wal(reg.paths.database, last_id)
    if span is None:
        return []
    first, last = span
    name = reg.paths.database.name
    return [Finding(
        "wal", f"history entries {first}–{last} ({last - first + 1} committed change(s)) "
        f"are only in {name}-wal, not yet in {name}: a copy or sync tool that leaves out or "
        f"deletes the -wal file would lose them. Keep {name}-wal with the register. They "
        "are copied into the main file when no other program holds an older read open: "
        "close programs reading the register (an SQLite browser, a long export), then run "
        "any command that changes the register (e.g. calnet-desk-cli rebuild-search) or "
        "let the CALNET Desk window sit idle; verify again")]


def key_clashes(reg: Register) -> list[Finding]:
    """Keys written before look-alikes were refused: two keys of a kind a person cannot
    tell apart, or a key with an invisible character. Reported, never merged."""
    from .errors import printable
    from .keys import LOOK_ALIKE, clashes, key_problem, unusual_characters

    found = []
    for kind in KINDS.values():
        keys = reg.keys(kind)
        for key in sorted(keys):
            problem = key_problem(key)
            if problem:
                found.append(Finding("keys", f"{kind.singular} {printable(key)}: the key "
                                     f"{problem}", kind.name, key))
        for key, twin in clashes(keys):
            found.append(Finding(
                "keys", f"{kind.singular} {printable(key)}{unusual_characters(key)} and "
                f"{printable(twin)}{unusual_characters(twin)} look the same on screen "
                f"({LOOK_ALIKE}); rename one (nothing was merged)", kind.name, key))
    return found


def _index_sources() -> list[str]:
    from .schema import SEARCH_CODES, _body, _qualified, _search_source

    out = []
    for table, code in SEARCH_CODES.items():
        kind, key, cols = _search_source(table)
        out.append(f"SELECT rowid * 16 + {code}, '{kind}', {_qualified(key, table)}, "
                   f"{_body(table, cols)} "
                   f"FROM {table}")
    return out


def search_index_problems(reg: Register, limit: int = 100) -> list[tuple[str, str, str]]:
    """Rows of the search index that differ from what the records make."""
    out: list[tuple[str, str, str]] = []
    have = "SELECT rowid, kind, key, body FROM search_index"
    for want in _index_sources():
        for _rowid, k, key_value, _text in reg.conn.execute(
                f"{want} EXCEPT {have} LIMIT {limit}"):
            out.append((str(k), str(key_value), "is missing or out of date"))
    every = " UNION ALL ".join(_index_sources())
    for _rowid, k, key_value, _text in reg.conn.execute(
            f"{have} EXCEPT SELECT * FROM ({every}) LIMIT {limit}"):
        out.append((str(k), str(key_value), "is left over (no such record)"))
    return out


def orphan_documents(reg: Register) -> list[Path]:
    """Files in the document store that no document row and no history entry names (a
    crash between storing a file and recording it); removed only by `clean-up`."""
    named = {r[0] for r in reg.conn.execute("SELECT sha256 FROM documents")}
    named |= {r[0] for r in reg.conn.execute(
        "SELECT DISTINCT key FROM history WHERE kind = ?", (DOCUMENTS.history_kind,))}
    found: list[Path] = []
    folder = reg.paths.documents
    if not folder.is_dir():
        return found
    for sub in sorted(folder.iterdir()):
        if not sub.is_dir():
            found.append(sub)  # not a store folder: a leftover (e.g. an old .incoming-*)
            continue
        for f in sorted(sub.iterdir()):
            if f.name not in named:
                found.append(f)
    return found


def _verify(reg: Register, rehash: bool, head: Head | None
            ) -> tuple[list[Finding], dict[str, int]]:
    findings: list[Finding] = []
    conn = reg.conn
    for (msg,) in conn.execute("PRAGMA integrity_check"):
        if msg != "ok":
            findings.append(Finding("integrity", str(msg)))
    for table, rowid, parent, _fk in conn.execute("PRAGMA foreign_key_check"):
        findings.append(Finding("foreign-keys",
                                f"row {rowid} of {table} refers to a missing {parent} record"))

    # The chain, and the state the history says each record should have.
    state: dict[tuple[str, str], dict[str, Any]] = {}
    expected_id, prev, entries, last_id = 1, GENESIS, 0, 0
    watch = head.entries if head else -1
    hashes: dict[int, str] = {}  # the hash of the entry the heads file names
    for entry, unreadable in _entries(conn):
        entries += 1
        if entry["id"] == watch:
            hashes[watch] = entry["hash"]
        if unreadable:
            findings.append(Finding("chain", f"entry {entry['id']} cannot be read (its "
                                    "changes are not JSON any more: the file was damaged or "
                                    "edited)", entry["kind"], entry["key"]))
        if entry["id"] != expected_id:
            findings.append(Finding("chain", f"entry {expected_id} is missing "
                                    f"(next is {entry['id']})", entry["kind"], entry["key"]))
        if entry["prev"] != prev:
            findings.append(Finding("chain", f"entry {entry['id']} does not follow the entry "
                                    "before it", entry["kind"], entry["key"]))
        if entry_hash(entry) != entry["hash"]:
            findings.append(Finding("chain", f"entry {entry['id']} was altered (its hash does "
                                    "not match its content)", entry["kind"], entry["key"]))
        expected_id, prev, last_id = entry["id"] + 1, entry["hash"], entry["id"]
        ident = (entry["kind"], entry["key"])
        if entry["action"] == "delete":
            state.pop(ident, None)
            continue
        rec = state.setdefault(ident, {})
        for name, change in entry["changes"].items():
            new = change[1] if isinstance(change, list) and len(change) == 2 else None
            if new is None:
                rec.pop(name, None)
            else:
                rec[name] = new

    # Replay: every current row must be exactly what its history says, and vice versa.
    current: dict[tuple[str, str], dict[str, Any]] = {}
    agency = {k: v for k, v in reg.agency().items() if v is not None}
    if agency:
        current[(AGENCY_KIND, "agency")] = agency
    counts = {"history_entries": entries}
    for kind in KINDS.values():
        n = 0
        for rec in reg.records(kind):
            n += 1
            current[(kind.name, kind.record_key(rec))] = {
                k: v for k, v in rec.items() if v is not None}
        counts[kind.name] = n
    for spec in TRACKED:
        rows = current_state(reg.conn, spec)
        counts[spec.history_kind] = len(rows)
        for key, row in rows.items():
            current[(spec.history_kind, key)] = row
    docs = list(reg.conn.execute("SELECT sha256, name FROM documents ORDER BY sha256"))
    links = list(reg.conn.execute("SELECT sha256, kind, key FROM document_links"))
    if rehash:
        findings.extend(_check_document_files(reg, docs, links))
    for ident in sorted(current.keys() | state.keys()):
        kind_name, key = ident
        have, want = current.get(ident), state.get(ident)
        if want is None:
            findings.append(Finding("replay", f"{kind_name} {key} exists but its history does "
                                    "not explain it (changed outside CALNET Desk)",
                                    kind_name, key))
        elif have is None:
            findings.append(Finding("replay", f"{kind_name} {key} is in the history but "
                                    "missing from the register (deleted outside CALNET Desk)",
                                    kind_name, key))
        elif have != want or any(type(have[f]) is not type(want[f]) for f in have):
            fields = sorted(f for f in have.keys() | want.keys()
                            if have.get(f) != want.get(f)
                            or type(have.get(f)) is not type(want.get(f)))
            findings.append(Finding("replay", f"{kind_name} {key} differs from its history in "
                                    f"{', '.join(fields)} (changed outside CALNET Desk)",
                                    kind_name, key))

    findings.extend(_structure(reg, entries, hashes, head))
    findings.extend(_wal_only(reg, last_id))
    counts["orphan_documents"] = len(orphan_documents(reg))
    return findings, counts


def _check_document_files(reg: Register, docs: list[tuple[Any, ...]],
                          links: list[tuple[Any, ...]]) -> list[Finding]:
    """Re-hash every stored document; name a changed or missing one and its records."""
    linked: dict[str, list[str]] = {}
    for sha, kind_name, key in links:
        linked.setdefault(sha, []).append(f"{kind_name} {key}")
    findings = []
    for sha, name in docs:
        path = document_path(reg.paths, sha)
        where = ", ".join(sorted(linked.get(sha, []))) or "no record"
        if not path.is_file():
            findings.append(Finding("documents", f"document {name} ({sha[:12]}…) of {where} "
                                    "is missing from the document store",
                                    DOCUMENTS.history_kind, sha))
            continue
        actual, _ = hash_file(path)
        if actual != sha:
            findings.append(Finding("documents", f"document {name} ({sha[:12]}…) of {where} "
                                    "has changed since it was stored (its SHA-256 differs)",
                                    DOCUMENTS.history_kind, sha))
    return findings
