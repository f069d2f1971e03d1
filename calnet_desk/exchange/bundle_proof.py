"""What a bundle proves (chain version 2, bundle format 2): every link of the register's
history chain, the scope it claims, and that its records, documents and links are exactly
what its own history explains.

``data/history/chain.csv`` has one row per entry of the whole chain: its header (``id, at,
kind, key, action, refs``), ``body`` (the digest of its committed content), ``prev`` and
``hash`` — enough to recompute every link without the content (store/history.py). From the
headers alone a verifier works out which records and documents the scope holds, so it knows
which entries ``data/history/entries.jsonl`` must carry; each of those must match its body
(with its ``salt``, or, redacted, a ``proof`` of leaf salts and commitments); replaying them
must give the records files, ``documents.json`` and the links exactly. A forger who edits a
record and its entry must change its body, so its hash, and every hash after it: the head.
The head printed at export travels separately (``verify-bundle --expect-head``).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..records import KINDS, Kind, Record
from ..store.history import (
    GENESIS,
    body_of,
    body_text,
    canonical_json,
    canonical_value,
    commitment,
    committed,
    entry_digest,
    header_of,
    leaf_salt_map,
    leaves,
    link_hash,
)
from ..store.register import AGENCY_KEY, AGENCY_KIND
from .bundle_as_of import replay

CHAIN_COLUMNS = ("id", "at", "kind", "key", "action", "refs", "body", "prev", "hash")
ENTRY_KEYS = {"id", "at", "user", "kind", "key", "action", "changes", "reason", "prev", "hash"}
EXTRA_KEYS = ({"salt"}, {"proof"})  # beside ENTRY_KEYS: the salt, or a redaction proof
REDACTED = "[redacted]"
_SHA = re.compile(r"[0-9a-f]{64}")
_HEX = re.compile(r"[0-9a-f]+")


def chain_row(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry as chain.csv shows it (its content left out)."""
    return {**header_of(entry), "body": entry.get("body") or body_of(entry),
            "prev": entry["prev"], "hash": entry["hash"]}


def _shown(value: Any) -> Any:
    return [REDACTED] if isinstance(value, list) else REDACTED


def redacted_entry(entry: dict[str, Any], hidden: set[str]) -> dict[str, Any]:
    """The entry with the leaves at ``hidden`` paths replaced by [redacted], and its
    proof: the commitment of each hidden leaf, the leaf salt of each other committed one
    (never the entry's salt, which would let a reader test guesses of the hidden values)."""
    salts: dict[str, str] = {}
    commitments: dict[str, str] = {}
    values = dict(leaves(entry)[1])
    for path, leaf in leaf_salt_map(entry).items():
        if path in hidden:
            commitments[path] = commitment(leaf, values[path])
        else:
            salts[path] = leaf.hex()
    changes = {name: [_shown(v) if f"changes/{name}/{side}" in commitments else v
                      for side, v in enumerate(pair)]
               for name, pair in entry["changes"].items()}
    out = {k: v for k, v in entry.items() if k not in ("salt", "body")}
    out.update(user=_shown(entry["user"]) if "user" in commitments else entry["user"],
               reason=_shown(entry["reason"]) if "reason" in commitments else entry["reason"],
               changes=changes, proof={"commitments": commitments, "salts": salts})
    return out


def body_of_shown(entry: dict[str, Any]) -> str:
    """``body`` of an entry as a bundle shows it (salt, or proof); ValueError if its proof
    does not fit its content."""
    if "salt" in entry:
        if not isinstance(entry["salt"], str) or not _HEX.fullmatch(entry["salt"]):
            raise ValueError("its salt is not hexadecimal")
        return body_of(entry)
    proof = entry.get("proof")
    if not isinstance(proof, dict) or set(proof) != {"commitments", "salts"}:
        raise ValueError("it has neither a salt nor a proof {commitments, salts}")
    commitments, salts = proof["commitments"], proof["salts"]
    if not isinstance(commitments, dict) or not isinstance(salts, dict):
        raise ValueError("its proof is not two objects")
    names, items = leaves(entry)
    paths = {p for p, v in items if committed(v)}
    if set(commitments) | set(salts) != paths or set(commitments) & set(salts):
        raise ValueError("its proof does not name each text or list value once")
    rendered = []
    for path, value in items:
        if path in commitments:
            c = commitments[path]
            if value != canonical_value(_shown(json.loads(value))) or not isinstance(c, str) \
                    or not _SHA.fullmatch(c):
                raise ValueError(f"{path} is hidden but not shown as {REDACTED}")
            rendered.append(f'"{c}"')
        elif path in salts:
            s = salts[path]
            if not isinstance(s, str) or not _SHA.fullmatch(s):
                raise ValueError(f"the salt of {path} is not 64 hex digits")
            rendered.append(f'"{commitment(bytes.fromhex(s), value)}"')
        else:
            rendered.append(value)
    return body_text(names, rendered)


# --- the scope, from the headers alone ---------------------------------------------------


def in_scope(entry_kind: str, key: str, keys: set[tuple[str, str]], shas: set[str]) -> bool:
    """Does an entry belong to a scope holding these records and documents?"""
    if entry_kind in KINDS:
        return (entry_kind, key) in keys
    if entry_kind == "documents":
        return key in shas
    if entry_kind == "document-links":  # kind:key:sha
        kind_name, _, rest = key.partition(":")
        record_key, _, _sha = rest.rpartition(":")
        return (kind_name, record_key) in keys
    if entry_kind in ("deadline-marks", "reminder-ladders"):  # record_kind:key[:deadline]
        kind_name, _, rest = key.partition(":")
        if entry_kind == "deadline-marks":
            rest = rest.rpartition(":")[0]
        return (kind_name, rest) in keys
    if entry_kind == "ipr-calculations":
        return ("exemptions", key) in keys
    return entry_kind == AGENCY_KIND


def _link_parts(key: str) -> tuple[str, str, str]:
    kind_name, _, rest = key.partition(":")
    record_key, _, sha = rest.rpartition(":")
    return sha, kind_name, record_key


def scope_entries(headers: list[dict[str, Any]], scope_kind: str, scope_value: str
                  ) -> tuple[set[tuple[str, str]], set[str], set[int], set[str]]:
    """(records, documents, entry ids, statements) a scope holds, worked out from the
    chain's headers exactly as the export chooses them from the register (records and
    documents here, contractors' statements in billing_bundle.in_scope)."""
    from .billing_bundle import MARK_KIND, STATEMENT_KIND

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
            (links.discard if deleted else links.add)(_link_parts(h["key"]))
        elif h["kind"] == STATEMENT_KIND:
            if deleted:
                statements.pop(h["key"], None)
            elif "sha256" in h["refs"]:
                statements[h["key"]] = h["refs"]["sha256"][1]
            if scope_kind == "since" and h["at"][:10] >= scope_value:
                statement_touched.add(h["key"])
        elif h["kind"] == MARK_KIND and scope_kind == "since" and h["at"][:10] >= scope_value:
            marks_touched.add(":".join(h["key"].split(":")[1:3]))  # as billing_bundle does
    if scope_kind == "all":
        keys = set(exists)
    elif scope_kind == "since":
        keys = touched & exists
    else:
        keys = {(scope_kind, scope_value)} & exists
        if keys and scope_kind in ("exemptions", "delegations"):
            ref = "exemption_id" if scope_kind == "exemptions" else "delegation_id"
            keys |= {i for i in exists if i[0] == "orders"
                     and refs.get(i, {}).get(ref) == scope_value}
        if keys and scope_kind == "exemptions":
            general = refs.get((scope_kind, scope_value), {}).get("general_delegation_id")
            if isinstance(general, str):
                keys |= {("delegations", general)} & exists
    shas = (set(docs) if scope_kind == "all" else
            {sha for sha, k, key in links if (k, key) in keys and sha in docs})
    if scope_kind == "all":
        chosen = set(statements)
    elif scope_kind == "since":
        chosen = {k for k in statements if k in statement_touched
                  or "{1}:{0}".format(*k.rsplit(":", 1)) in marks_touched}
    else:
        chosen = set()
    shas |= {statements[k] for k in chosen} & docs

    def billing(kind: str, key: str) -> bool:
        if kind == STATEMENT_KIND:
            return key in chosen
        if kind == MARK_KIND:
            month, contractor = key.split(":")[:2]
            return f"{contractor}:{month}" in chosen
        return False

    ids = {h["id"] for h in headers
           if scope_kind == "all" or in_scope(h["kind"], h["key"], keys, shas)
           or (h["kind"], h["key"]) in touched or billing(h["kind"], h["key"])}
    return keys, shas, ids, chosen


# --- verifying ---------------------------------------------------------------------------


def read_chain(path: Path, problems: list[str]) -> list[dict[str, Any]]:
    """chain.csv's rows, each link recomputed; problems appended."""
    where = "data/history/chain.csv"
    try:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        problems.append(f"{where} cannot be read ({e})")
        return []
    if not rows or tuple(rows[0]) != CHAIN_COLUMNS:
        problems.append(f"{where}: the first line is not {','.join(CHAIN_COLUMNS)}")
        return []
    out: list[dict[str, Any]] = []
    prev = GENESIS
    for number, cells in enumerate(rows[1:], start=2):
        line = f"{where} line {number}"
        if len(cells) != len(CHAIN_COLUMNS):
            problems.append(f"{line}: not {len(CHAIN_COLUMNS)} columns")
            return out
        row: dict[str, Any] = dict(zip(CHAIN_COLUMNS, cells, strict=True))
        try:
            row["id"] = int(row["id"])
            row["refs"] = json.loads(row["refs"])
            if not isinstance(row["refs"], dict) or canonical_json(row["refs"]) != cells[5]:
                raise ValueError
        except ValueError:
            problems.append(f"{line}: its id or refs cannot be read")
            return out
        if not all(_SHA.fullmatch(row[c]) for c in ("body", "prev", "hash")):
            problems.append(f"{line}: body, prev and hash must be 64 hex digits")
            return out
        if row["id"] != len(out) + 1:
            problems.append(f"{line}: id {row['id']}, expected {len(out) + 1}")
            return out
        if row["prev"] != prev:
            problems.append(f"{line}: entry {row['id']}'s prev is not the previous entry's "
                            "hash (the chain is broken)")
            return out
        header = {k: row[k] for k in ("id", "at", "kind", "key", "action", "refs")}
        if link_hash(prev, entry_digest(header, row["body"])) != row["hash"]:
            problems.append(f"{line}: entry {row['id']}'s hash is not SHA-256(prev + "
                            "digest) of its row (the row was changed)")
            return out
        out.append(row)
        prev = row["hash"]
    return out


RecordsFiles = Callable[[Kind, list[Record]], dict[str, Callable[[Path], "str | None"]]]


def verify_history(root: Path, info: dict[str, str], present: set[str],
                   scope: tuple[str, str] | None, expect_head: str | None,
                   records_files: RecordsFiles) -> list[str]:
    """The chain, the scope's entries, and the replay of the records, documents and
    links (bundle format 2)."""
    problems: list[str] = []
    for required in ("data/history/chain.csv", "data/history/entries.jsonl"):
        if required not in present:
            problems.append(f"{required} is missing")
    if problems:
        return problems
    chain = read_chain(root / "data/history/chain.csv", problems)
    head = chain[-1]["hash"] if chain else GENESIS
    if info.get("History-Chain-Head") not in (None, head):
        problems.append(f"History-Chain-Head in bag-info.txt is {info['History-Chain-Head']} "
                        f"but data/history/chain.csv ends at {head}")
    if expect_head is not None and expect_head.strip().lower() != head:
        problems.append(f"the history chain ends at {head}, not at the expected head "
                        f"{expect_head.strip()}: this is not the register state you were "
                        "given the head of")
    if info.get("History-Chain-Length") not in (None, str(len(chain))):
        problems.append(f"History-Chain-Length in bag-info.txt is "
                        f"{info['History-Chain-Length']} but data/history/chain.csv has "
                        f"{len(chain)} entries")
    if problems:
        return problems
    entries = _read_entries(root, chain, problems)
    if info.get("History-Entries") not in (None, str(len(entries))):
        problems.append(f"History-Entries in bag-info.txt is {info['History-Entries']} but "
                        f"data/history/entries.jsonl has {len(entries)}")
    if scope is None:
        return problems + ["Bundle-Scope in bag-info.txt is not a scope"]
    keys, shas, ids, statements = scope_entries(chain, *scope)
    have = {e["id"] for e in entries}
    for missing in sorted(ids - have)[:20]:
        row = chain[missing - 1]
        problems.append(f"data/history/entries.jsonl lacks entry {missing} ({row['kind']} "
                        f"{row['key']}), which the scope {info.get('Bundle-Scope')} holds")
    for extra in sorted(have - ids)[:20]:
        problems.append(f"data/history/entries.jsonl has entry {extra}, which is outside the "
                        f"scope {info.get('Bundle-Scope')}")
    if ids != have:
        return problems
    problems += _replay(root, present, info, entries, keys, shas, statements,
                        scope[0] == "all", records_files)
    return problems


def _read_entries(root: Path, chain: list[dict[str, Any]], problems: list[str]
                  ) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    text = (root / "data/history/entries.jsonl").read_text(encoding="utf-8")
    last = 0
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"data/history/entries.jsonl line {number}"
        try:
            entry = json.loads(line)
        except ValueError:
            problems.append(f"{where}: not JSON")
            continue
        if (not isinstance(entry, dict) or not set(entry) - ENTRY_KEYS
                or set(entry) - ENTRY_KEYS not in EXTRA_KEYS
                or not ENTRY_KEYS <= set(entry) or not isinstance(entry["changes"], dict)
                or not all(isinstance(p, list) and len(p) == 2
                           for p in entry["changes"].values())):
            problems.append(f"{where}: not a history entry (keys "
                            f"{', '.join(sorted(ENTRY_KEYS))} and salt or proof)")
            continue
        entry_id = entry["id"]
        if not isinstance(entry_id, int) or entry_id <= last or entry_id > len(chain):
            problems.append(f"{where}: id {entry_id!r} is not after the previous entry's "
                            "within the chain")
            continue
        last = entry_id
        row = chain[entry_id - 1]
        try:
            header = header_of(entry)
            body = body_of_shown(entry)
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            problems.append(f"{where}: entry {entry_id}: {e}")
            continue
        if (any(header[k] != row[k] for k in header) or body != row["body"]
                or entry["prev"] != row["prev"] or entry["hash"] != row["hash"]):
            problems.append(f"{where}: entry {entry_id} is not the entry data/history/"
                            "chain.csv links (its content was changed)")
            continue
        out.append(entry)
    return out


def _replay(root: Path, present: set[str], info: dict[str, str],
            entries: list[dict[str, Any]], keys: set[tuple[str, str]], shas: set[str],
            statements: set[str], whole: bool, records_files: RecordsFiles) -> list[str]:
    """Replay the entries; the records files, documents.json and bag-info must be exactly
    what they give."""
    state = replay(entries)
    problems: list[str] = []
    redacted = info.get("Redacted") == "yes"
    agency = state.get((AGENCY_KIND, AGENCY_KEY), {})
    for label, name in (("Source-Organization", "name"), ("Agency-Class", "agency_class")):
        if label in info and info[label] != str(agency.get(name) or ""):
            problems.append(f"{label} in bag-info.txt is {info[label]!r} but the history "
                            f"says {agency.get(name)!r}")
    problems += _replay_records(root, present, state, keys, whole, redacted, records_files)
    problems += _replay_documents(root, present, state, keys, shas)
    problems += _replay_billing(root, present, state, statements)
    return problems


def _replay_billing(root: Path, present: set[str],
                    state: dict[tuple[str, str], dict[str, Any]], chosen: set[str]
                    ) -> list[str]:
    """data/billing/statements.json and marks.json: the statements in scope and the marks
    on them, exactly as their history has them."""
    from .billing_bundle import (
        _MARK_KEYS,
        _STATEMENT_KEYS,
        MARK_KIND,
        MARKS_FILE,
        STATEMENT_KIND,
        STATEMENTS_FILE,
    )

    def rows(kind: str, fields: tuple[str, ...], wanted: Callable[[str], bool]
             ) -> list[dict[str, Any]]:
        return sorted(({f: values.get(f) for f in fields}
                       for (k, key), values in state.items() if k == kind and wanted(key)),
                      key=lambda r: json.dumps(r, sort_keys=True))

    def mark_wanted(key: str) -> bool:
        month, contractor = key.split(":")[:2]
        return f"{contractor}:{month}" in chosen

    expected = {STATEMENTS_FILE: rows(STATEMENT_KIND, _STATEMENT_KEYS, chosen.__contains__),
                MARKS_FILE: rows(MARK_KIND, _MARK_KEYS, mark_wanted)}
    problems = []
    for name, want in expected.items():
        path = f"data/{name}"
        if not chosen:
            if path in present:
                problems.append(f"{path}: this scope holds no contractor's statement")
            continue
        if path not in present:
            problems.append(f"{path} is missing")
            continue
        try:
            got = json.loads((root / path).read_text(encoding="utf-8"))
            got = sorted(got, key=lambda r: json.dumps(r, sort_keys=True))
        except (OSError, ValueError, TypeError) as e:
            problems.append(f"{path} cannot be read ({e})")
            continue
        if got != want:
            problems.append(f"{path}: its content differs (not what the history explains)")
    return problems


def expected_records(kind: Kind, state: dict[tuple[str, str], dict[str, Any]],
                     keys: set[tuple[str, str]], redacted: bool) -> list[Record]:
    out = []
    for ident in sorted(k for k in keys if k[0] == kind.name):
        values = state.get(ident, {})
        out.append({f.name: None if (redacted and f.personal) else values.get(f.name)
                    for f in kind.fields})
    return out


def _replay_records(root: Path, present: set[str],
                    state: dict[tuple[str, str], dict[str, Any]], keys: set[tuple[str, str]],
                    whole: bool, redacted: bool, records_files: RecordsFiles) -> list[str]:
    problems: list[str] = []
    expected: dict[str, Callable[[Path], str | None]] = {}
    for kind in KINDS.values():
        records = expected_records(kind, state, keys, redacted)
        if not records and not whole:
            continue
        for name, check in records_files(kind, records).items():
            expected[f"data/records/{name}"] = check
    for name in sorted(n for n in present if n.startswith("data/records/")):
        if name not in expected:
            problems.append(f"{name}: no such records file belongs to this scope")
    for name, check in sorted(expected.items()):
        if name not in present:
            problems.append(f"{name} is missing")
            continue
        trouble = check(root / name)
        if trouble:
            problems.append(f"{name}: {trouble} (not what the history explains)")
    return problems


def _replay_documents(root: Path, present: set[str],
                      state: dict[tuple[str, str], dict[str, Any]],
                      keys: set[tuple[str, str]], shas: set[str]) -> list[str]:
    if "data/documents.json" not in present:
        return []  # reported by the documents check
    try:
        listed = json.loads((root / "data/documents.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return [f"data/documents.json cannot be read ({e})"]
    links: dict[str, list[dict[str, str]]] = {}
    for (kind_name, key), row in sorted(state.items()):
        if kind_name == "document-links":
            sha, k, record_key = _link_parts(key)
            if (k, record_key) in keys and row:
                links.setdefault(sha, []).append({"kind": k, "key": record_key})
    for sha in links:
        links[sha].sort(key=lambda link: (link["kind"], link["key"]))
    want = []
    for sha in sorted(shas):
        doc = state.get(("documents", sha), {})
        want.append({"sha256": sha, "name": doc.get("name"), "size": doc.get("size"),
                     "media_type": doc.get("media_type"), "added_at": doc.get("added_at"),
                     "links": links.get(sha, [])})
    fields = ("sha256", "name", "size", "media_type", "added_at", "links")
    got = ([{k: d.get(k) for k in fields} for d in listed if isinstance(d, dict)]
           if isinstance(listed, list) else None)
    if got == want and len(listed) == len(want):
        return []
    problems = []
    got_by = {str(d.get("sha256")): d for d in got or []}
    for doc in want:
        have = got_by.get(doc["sha256"])
        if have is None:
            problems.append(f"data/documents.json lacks document {doc['sha256'][:12]}… "
                            f"({doc['name']}), which the history puts in this scope")
        elif have != doc:
            fields_off = [k for k in fields if have.get(k) != doc[k]]
            problems.append(f"data/documents.json: document {doc['sha256'][:12]}… differs "
                            f"from its history in {', '.join(fields_off)}")
    for sha in sorted(set(got_by) - shas):
        problems.append(f"data/documents.json lists {sha[:12]}…, which the history does not "
                        "put in this scope")
    return problems or ["data/documents.json is not the list the history explains"]

