"""Verifying a bundle: the BagIt bag (RFC 8493: every file in its manifest and matching it,
Payload-Oxum, the tags), the documents against documents.json, and what a bundle of format 2
proves (chain version 2):

``data/history/chain.csv`` has one row per entry of the whole chain: its header (``id, at,
kind, key, action, refs``), ``body`` (the digest of its committed content), ``prev`` and
``hash`` — enough to recompute every link without the content (store/history.py). From the
headers alone a verifier works out which records and documents the scope holds
(scope.scope_entries), so it knows which entries ``data/history/entries.jsonl`` must carry;
each of those must match its body (with its ``salt``, or, redacted, a ``proof`` of leaf
salts and commitments); replaying them must give the records files, ``documents.json`` and
the links exactly. A forger who edits a record and its entry must change its body, so its
hash, and every hash after it: the head. The head printed at export travels separately
(``verify-bundle --expect-head``).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, cast

from ...progress import collector_paused
from ...records import KINDS, Field, Kind
from ...store.history import GENESIS, SCOPE_REFS, entry_hash_v1
from ...store.register import AGENCY_KEY, AGENCY_KIND
from ...values import to_cell_native
from .handover import prompt_handover
from .layout import (
    BAGIT_TXT,
    BUNDLE_FORMAT_VERSION,
    CHAIN_CSV,
    CHAIN_V1_COLUMNS,
    ENTRIES_JSONL,
    SHA,
    bag_info_problems,
    bag_value,
    chain_table,
    columns_csv,
    columns_json,
    read_bag_info,
    read_chain,
    read_entries,
    whole_or_pointed,
)
from .redact import body_of_shown
from .scope import ScopeSyntax, link_parts, parse_scope, replay, scope_entries

ENTRY_KEYS = {"id", "at", "user", "kind", "key", "action", "changes", "reason", "prev", "hash"}
EXTRA_KEYS = ({"salt"}, {"proof"})  # beside ENTRY_KEYS: the salt, or a redaction proof
ENTRY_KEY_SETS = [ENTRY_KEYS | extra for extra in EXTRA_KEYS]  # an entry's keys, exactly


def records_files(kind: Kind, columns: list[list[Any]]
                  ) -> dict[str, Callable[[Path], str | None]]:
    """The records files of a kind in a bundle, each with a check that a file holds exactly
    these records (given as layout.record_columns): JSON and CSV byte for byte, XLSX cell
    by cell (its bytes depend on the spreadsheet library's version)."""
    def same_bytes(content: bytes) -> Callable[[Path], str | None]:
        return lambda path: None if path.read_bytes() == content else "its content differs"

    return {f"{kind.name}.csv": same_bytes(columns_csv(kind, columns)),
            f"{kind.name}.json": same_bytes(columns_json(kind, columns)),
            f"{kind.name}.xlsx": lambda path: _xlsx_differs(path, kind, columns)}


def _as_read(kind: Kind, columns: list[list[Any]]) -> list[list[object]]:
    """Each record's row as a spreadsheet reader gives it back when the file holds exactly
    what the bundle wrote (values.to_cell_native; money as the float the cell holds, empty
    cells as "", a text past a cell's 32,767 UTF-16 units cut with a note saying where it
    is whole (layout.whole_or_pointed), as it was written, and the non-characters U+FFFE
    and U+FFFF as the escapes the reader leaves): a row equal to it needs no cell parsed
    one by one."""
    from ..sheets import XLSX_CELL_UNITS

    short = XLSX_CELL_UNITS // 2  # no text this long or shorter is cut

    def as_read(text: str) -> str:
        if len(text) > short:
            text = cast(str, whole_or_pointed(kind, [text])[0])
        if "\ufffe" in text or "\uffff" in text:  # no XML holds them: escaped as Excel
            # does, and read back as the escape (the reader decodes no _xFFFE_)
            text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        return text

    def cells(f: Field, column: list[Any]) -> list[object]:
        if f.type == "money":
            return ["" if v is None else v / 100 for v in column]
        if f.type in ("text", "choice"):  # to_cell_native leaves them as they are
            out: list[object] = ["" if v is None else v for v in column]
        else:
            out = ["" if v is None else to_cell_native(f, v) for v in column]
        texts = [v for v in out if type(v) is str]
        joined = "".join(texts)  # one look at the whole column
        if "\ufffe" in joined or "\uffff" in joined or max(map(len, texts), default=0) > short:
            out = [as_read(v) if type(v) is str else v for v in out]
        return out

    return [list(row) for row in zip(*(cells(f, column) for f, column
                                       in zip(kind.fields, columns, strict=True)),
                                 strict=True)]


def _xlsx_differs(path: Path, kind: Kind, columns: list[list[Any]]) -> str | None:
    from ...values import BadValue, parser_for
    from ..sheets import LAYOUT, SheetError, read_rows, xlsx_layout

    raw = xlsx_layout(path) == LAYOUT
    parsers = [parser_for(f, raw) for f in kind.fields]
    expected = _as_read(kind, columns)
    width = len(kind.fields)
    try:
        with read_rows(path) as rows:
            n = 0
            for number, row in rows:
                cells = row if type(row) is list and len(row) == width else (
                    list(row) + [None] * (width - len(row)))
                if number == 1:
                    if [str(c) for c in cells] != kind.columns:
                        return "its header is not the canonical columns"
                    continue
                if n >= len(expected):
                    if any(c not in (None, "") for c in cells):
                        return f"row {number} is not in the history"
                    continue
                n += 1
                want = expected[n - 1]
                if cells == want and bool not in map(type, cells):
                    continue  # the whole row as written: no cell to parse
                for f, parse, cell, column, written in zip(kind.fields, parsers, cells,
                                                           columns, want, strict=False):
                    if type(cell) is str and cell == written:
                        continue  # the text as written (a long one cut where it was)
                    if type(cell) is str and _cut_as_before(cell, column[n - 1]):
                        continue  # a bundle made before the cell said where it is whole
                    try:
                        value = parse(cell)
                    except BadValue:
                        return f"row {number} column {f.name} cannot be read"
                    if value != column[n - 1]:
                        return f"row {number} column {f.name} differs"
            if n != len(expected):
                return f"it has {n} record(s), the history {len(expected)}"
    except SheetError as e:
        return str(e)
    return None


def _cut_as_before(cell: str, value: object) -> bool:
    """Is the cell a long text as bundles made before the note cut it (sheets.as_xlsx_text,
    where XlsxWriter cut it)?"""
    from ..sheets import as_xlsx_text, too_long_for_xlsx

    return type(value) is str and too_long_for_xlsx(value) and cell == as_xlsx_text(value)


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
        if not sep or not SHA.fullmatch(digest) or not name:
            problems.append(f"{label} line {number}: not 'SHA-256  path'")
            continue
        if name.startswith("/") or ".." in name.split("/") or "\\" in name:
            problems.append(f"{label} line {number}: {name} is outside the bag")
            continue
        if name in out:
            problems.append(f"{label}: {name} is listed twice")
        out[name] = digest
    return out


HASH_CHUNK = 4 << 20  # large reads: hashlib releases the GIL while it hashes each one
# One hashing thread beside the checks (which keep a core busy with Python), then the
# calling thread too: a second hashing thread from the start left the checks two thirds of
# a core (three threads on two cores) and the bag took longer.
HASH_THREADS = 1
_buffers = threading.local()  # one read buffer per hashing thread, used for every file


def _sha256(path: Path) -> str:
    view = getattr(_buffers, "view", None)
    if view is None:  # a buffer per thread: allocating (and zeroing) one per file cost more
        view = _buffers.view = memoryview(bytearray(HASH_CHUNK))
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(view):
            digest.update(view[:n])
    return digest.hexdigest()


def _scan(root: Path) -> dict[str, int | None]:
    """Everything in the bag but its folders (a link to a folder too), by name relative to
    it -> its size when it is a regular file (not a link), else None: one look at each
    (os.scandir), not a stat per question. A folder that cannot be read is left out, as
    os.walk leaves it."""
    found: dict[str, int | None] = {}

    def walk(folder: str, prefix: str) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            return
        for e in entries:
            name = prefix + e.name
            try:
                if e.is_dir(follow_symlinks=False):
                    walk(e.path, name + "/")
                    continue
                regular = e.is_file(follow_symlinks=False)
                found[name] = e.stat(follow_symlinks=False).st_size if regular else None
            except OSError:
                found[name] = None

    walk(str(root), "")
    return found


def _size(root: Path, name: str, sizes: dict[str, int | None]) -> int | None:
    """A file's size (following a link, as Path.stat does); None when it is no file."""
    size = sizes.get(name)
    if size is not None:
        return size
    path = root / name
    return path.stat().st_size if path.is_file() else None


def verify_bag(root: Path, expect_head: str | None = None,
               digests: dict[str, str] | None = None) -> list[str]:
    """Every problem of an unpacked bag (empty when sound). Format 2 bundles replay their
    own history; ``expect_head`` is the chain head printed at export; ``digests`` the
    SHA-256 of files already hashed as they were unpacked (archive.open_bundle)."""
    known = digests or {}
    problems: list[str] = []
    sizes = _scan(root)
    present = set(sizes)
    for name in sorted(present):
        if sizes[name] is None:
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
    # Each listed file is hashed once, on a thread beside the checks below (they replay the
    # history in Python while the hashing runs outside the GIL), the largest first; when
    # the checks are done this thread hashes too, the smallest files not yet begun. The
    # documents check reuses the hashes. The problems keep their order: the manifests'.
    listed: list[tuple[str, str, str] | str] = []  # (name, digest, manifest) or a problem
    for listing, label, must_be_payload in ((manifest, "manifest-sha256.txt", True),
                                            (tagmanifest, "tagmanifest-sha256.txt", False)):
        for name, digest in sorted(listing.items()):
            if must_be_payload != name.startswith("data/"):
                listed.append(f"{label} lists {name}, which belongs in the "
                              f"{'tag ' if must_be_payload else ''}manifest")
            if name not in present:
                listed.append(f"{name} is listed in {label} but missing")
            elif sizes[name] is not None:  # not a link (nor a pipe…: reported above)
                listed.append((name, digest, label))
    to_hash = sorted({item[0] for item in listed if isinstance(item, tuple)} - set(known),
                     key=lambda n: -(sizes[n] or 0))  # the largest first
    pool = ThreadPoolExecutor(HASH_THREADS, thread_name_prefix="verify-hash")
    try:
        with prompt_handover():
            hashing = {name: pool.submit(_sha256, root / name) for name in to_hash}
            with collector_paused():
                later = _verify_contents(root, sizes, payload, expect_head)
            mine = {name: _sha256(root / name) for name in reversed(to_hash)
                    if hashing[name].cancel()}  # not begun by the pool: hashed here
            hashed = {**known, **{name: mine[name] if name in mine else future.result()
                                  for name, future in hashing.items()}}
    finally:  # interrupted (Ctrl-C, an error): the files not begun are not hashed
        pool.shutdown(wait=True, cancel_futures=True)
    for item in listed:
        if isinstance(item, str):
            problems.append(item)
        elif hashed[item[0]] != item[1]:
            problems.append(f"{item[0]} does not match its SHA-256 in {item[2]} (changed)")
    problems += later
    problems += _verify_documents(root, sizes, hashed)
    return problems


def _verify_contents(root: Path, sizes: dict[str, int | None], payload: set[str],
                     expect_head: str | None) -> list[str]:
    """bag-info.txt, Payload-Oxum and the history (with the replay of the records,
    documents and links)."""
    problems: list[str] = []
    present = set(sizes)
    info: dict[str, str] = {}
    if "bag-info.txt" in present:
        try:
            info = read_bag_info(root)
            if info.get("Bundle-Format-Version") == str(BUNDLE_FORMAT_VERSION):
                problems += bag_info_problems(
                    (root / "bag-info.txt").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as e:
            problems.append(f"bag-info.txt cannot be read ({e})")
    for label in ("Source-Organization", "Bagging-Date", "Bundle-Scope", "History-Chain-Head",
                  "History-Chain-Length", "History-Entries", "Redacted", "Payload-Oxum"):
        if info and label not in info:
            problems.append(f"bag-info.txt has no {label}")
    if "Payload-Oxum" in info:
        files = [size for n in payload if (size := _size(root, n, sizes)) is not None]
        actual = f"{sum(files)}.{len(files)}"
        if info["Payload-Oxum"] != actual:
            problems.append(f"Payload-Oxum is {info['Payload-Oxum']} in bag-info.txt but the "
                            f"payload is {actual} (bytes.files)")
    if info.get("Bundle-Format-Version") == str(BUNDLE_FORMAT_VERSION):
        try:
            scope: tuple[str, str] | None = (lambda s: (s.kind, s.value))(
                parse_scope(info.get("Bundle-Scope", "")))
        except ScopeSyntax:
            scope = None
        problems += verify_history(root, info, present, scope, expect_head)
    else:
        problems.append(f"bag-info.txt has no Bundle-Format-Version: {BUNDLE_FORMAT_VERSION}: "
                        "an older bundle, whose records cannot be proved against its history "
                        "(anyone could have changed them); ask for a new export")
        problems += _verify_history(root, info, present, expect_head)
    return problems


def _verify_documents(root: Path, sizes: dict[str, int | None], hashed: dict[str, str]
                      ) -> list[str]:
    problems: list[str] = []
    present = set(sizes)
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
        elif doc.get("size") != _size(root, name, sizes):
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
    problems += _missing_history(present)
    if problems:
        return problems
    rows = chain_table(root / CHAIN_CSV, CHAIN_V1_COLUMNS, problems)
    if problems:
        return problems
    prev_hash, expected_id = GENESIS, 1
    for number, parts in rows:
        if (len(parts) != 3 or not parts[0].isdigit() or not SHA.fullmatch(parts[1])
                or not SHA.fullmatch(parts[2])):
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
    for where, entry in read_entries(root / ENTRIES_JSONL, problems):
        if not isinstance(entry, dict) or set(entry) != ENTRY_KEYS:
            problems.append(f"{where}: not a history entry (keys "
                            f"{', '.join(sorted(ENTRY_KEYS))})")
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
    from ..archive import UnsafeArchive, open_bundle

    if path.is_dir() and not (path / "bagit.txt").exists() and (
            (path / "data").is_dir() or any(path.glob("*manifest-*.txt"))):
        return verify_bag(path, expect_head)  # a bag folder that lost its bagit.txt: report it all
    try:
        digests: dict[str, str] = {}
        with open_bundle(path, digests=digests) as root:
            return verify_bag(root, expect_head, digests)
    except UnsafeArchive as e:
        return [f"refused: {e}"]


def _missing_history(present: set[str]) -> list[str]:
    return [f"{name} is missing" for name in (CHAIN_CSV, ENTRIES_JSONL) if name not in present]


def verify_history(root: Path, info: dict[str, str], present: set[str],
                   scope: tuple[str, str] | None, expect_head: str | None) -> list[str]:
    """The chain, the scope's entries, and the replay of the records, documents and
    links (bundle format 2)."""
    problems = _missing_history(present)
    if problems:
        return problems
    chain = read_chain(root / CHAIN_CSV, problems)
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
                        scope[0] == "all")
    return problems


def _read_entries(root: Path, chain: list[dict[str, Any]], problems: list[str]
                  ) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    last = 0
    for where, entry in read_entries(root / ENTRIES_JSONL, problems):
        keys = entry.keys() if isinstance(entry, dict) else set()
        changes = entry.get("changes") if isinstance(entry, dict) else None
        pairs = changes.values() if isinstance(changes, dict) else None
        if (keys not in ENTRY_KEY_SETS or pairs is None  # ENTRY_KEYS and salt or proof
                or (pairs and (set(map(type, pairs)) != {list}
                               or set(map(len, pairs)) != {2}))):  # [old, new] each
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
            kind = entry["kind"]
            header_differs = (  # header_of(entry) against the row, field by field
                entry["at"] != row["at"] or kind != row["kind"] or entry["key"] != row["key"]
                or entry["action"] != row["action"]
                or {n: entry["changes"][n] for n in SCOPE_REFS.get(kind, ())
                    if n in entry["changes"]} != row["refs"])
            body = body_of_shown(entry)
        except UnicodeEncodeError as e:  # a JSON "\ud800" escape: no register wrote it
            problems.append(f"{where}: entry {entry_id} holds U+{ord(e.object[e.start]):04X}, "
                            "a lone surrogate (half of a UTF-16 pair), which is not a "
                            "character: no register holds one")
            continue
        except (ValueError, TypeError, KeyError, AttributeError) as e:
            problems.append(f"{where}: entry {entry_id}: {e}")
            continue
        if (header_differs or body != row["body"]
                or entry["prev"] != row["prev"] or entry["hash"] != row["hash"]):
            problems.append(f"{where}: entry {entry_id} is not the entry data/history/"
                            "chain.csv links (its content was changed)")
            continue
        out.append(entry)
    return out


def _replay(root: Path, present: set[str], info: dict[str, str],
            entries: list[dict[str, Any]], keys: set[tuple[str, str]], shas: set[str],
            statements: set[str], whole: bool) -> list[str]:
    """Replay the entries; the records files, documents.json and bag-info must be exactly
    what they give."""
    state = replay(entries)
    problems: list[str] = []
    redacted = info.get("Redacted") == "yes"
    agency = state.get((AGENCY_KIND, AGENCY_KEY), {})
    for label, name in (("Source-Organization", "name"), ("Agency-Class", "agency_class")):
        if label in info and info[label] != bag_value(agency.get(name) or ""):
            problems.append(f"{label} in bag-info.txt is {info[label]!r} but the history "
                            f"says {agency.get(name)!r}")
    problems += _replay_records(root, present, state, keys, whole, redacted)
    problems += _replay_documents(root, present, state, keys, shas)
    problems += _replay_billing(root, present, state, statements)
    return problems


def _replay_billing(root: Path, present: set[str],
                    state: dict[tuple[str, str], dict[str, Any]], chosen: set[str]
                    ) -> list[str]:
    """data/billing/statements.json and marks.json: the statements in scope and the marks
    on them, exactly as their history has them."""
    from ..billing_bundle import (
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


# The Python types a record's value has, by field type (records.py, values.py); None aside.
VALUE_TYPES = {"text": str, "choice": str, "date": str, "money": int, "integer": int,
               "yesno": bool, "list": list}


def expected_columns(kind: Kind, state: dict[tuple[str, str], dict[str, Any]],
                     keys: set[tuple[str, str]], redacted: bool) -> list[list[Any]]:
    """layout.record_columns of the records of this kind the replay gives, in key order."""
    values = [state.get(ident, {}) for ident in sorted(k for k in keys if k[0] == kind.name)]
    return [[None] * len(values) if redacted and f.personal else [v.get(f.name) for v in values]
            for f in kind.fields]


def _wrong_type(kind: Kind, columns: list[list[Any]]) -> str | None:
    """A field the replayed history gives a value no record of it can hold (a text that is
    not a text, a list of something else than texts…)."""
    for f, column in zip(kind.fields, columns, strict=True):
        wanted = VALUE_TYPES.get(f.type)
        if wanted is None:
            continue
        if not set(map(type, column)) <= {wanted, type(None)} or (
                wanted is list and any(type(item) is not str for v in column if v for item in v)):
            return f"the history gives {kind.name} field {f.name} a value that is not a {f.type}"
    return None


def _replay_records(root: Path, present: set[str],
                    state: dict[tuple[str, str], dict[str, Any]], keys: set[tuple[str, str]],
                    whole: bool, redacted: bool) -> list[str]:
    problems: list[str] = []
    expected: dict[str, Callable[[Path], str | None]] = {}
    for kind in KINDS.values():
        columns = expected_columns(kind, state, keys, redacted)
        if not columns[0] and not whole:
            continue
        wrong = _wrong_type(kind, columns)
        checks = records_files(kind, columns) if wrong is None else dict.fromkeys(
            (f"{kind.name}.{suffix}" for suffix in ("csv", "json", "xlsx")),
            lambda path, wrong=wrong: wrong)
        for name, check in checks.items():
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
            sha, k, record_key = link_parts(key)
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

