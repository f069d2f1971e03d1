"""The files a bundle holds and their formats, written (write.py) and read back (verify.py)
by the same code: the tag files' constants, the records files, the documents' names and
the history files ``data/history/chain.csv`` and ``entries.jsonl``."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import json.scanner
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any, cast

from ...records import Kind, Record
from ...store import StoreError
from ...store.documents import Document, safe_file_name
from ...store.history import (
    GENESIS,
    body_of,
    canonical_json,
    header_digest,
    header_of,
    link_hash,
)
from ...values import cell_natives, cell_texts, json_values
from ..sheets import XLSX_CELL_UNITS, XLSX_FORMATS, text_or_where_whole, xlsx_bytes

REDACTED = "[redacted]"
BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
TAG_FILES = ("bag-info.txt", "bagit.txt", "manifest-sha256.txt")
# 2: chain version 2 (chain.csv with every entry's header and body; entries with their
# salt or redaction proof; the history explains records, documents and links exactly)
BUNDLE_FORMAT_VERSION = 2
CHAIN_CSV = "data/history/chain.csv"
ENTRIES_JSONL = "data/history/entries.jsonl"
CHAIN_COLUMNS = ("id", "at", "kind", "key", "action", "refs", "body", "prev", "hash")
CHAIN_V1_COLUMNS = ("id", "prev", "hash")  # bundles made before format 2
SHA = re.compile(r"[0-9a-f]{64}")
# The BagIt profile the bundles follow (BagIt Profiles 1.3.0), shipped as data; its
# identifier goes into every bag-info.txt.
PROFILE_FILE = "bagit-profile.json"


def bagit_profile() -> dict[str, Any]:
    """The BagIt profile of CALNET Desk bundles (calnet_desk/data/bagit-profile.json)."""
    text = (resources.files("calnet_desk") / "data" / PROFILE_FILE).read_text("utf-8")
    profile: dict[str, Any] = json.loads(text)
    return profile


PROFILE_IDENTIFIER = str(bagit_profile()["BagIt-Profile-Info"]["BagIt-Profile-Identifier"])


class BundleError(StoreError):
    """The bundle cannot be made (unknown key, missing document…); nothing was written."""


# --- records files ---------------------------------------------------------------------------


def record_columns(kind: Kind, records: list[Record]) -> list[list[Any]]:
    """Each field's values in record order (the records files are written a column at a
    time: a conversion per column, not a call per value)."""
    return [[r.get(name) for r in records] for name in kind.columns]


def records_json(kind: Kind, records: list[Record]) -> bytes:
    """``json.dumps`` of the records (``to_json`` of every value) with ``indent=2``."""
    return columns_json(kind, record_columns(kind, records))


def columns_json(kind: Kind, columns: list[list[Any]]) -> bytes:
    """:func:`records_json` of the records given as :func:`record_columns`."""
    values = [json_values(f, column) for f, column in zip(kind.fields, columns, strict=True)]
    names = kind.columns
    rows = [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]
    flat = not any(any(column) for f, column in zip(kind.fields, values, strict=True)
                   if f.type == "list")  # only a list field holds a list
    return (indented_rows(rows, flat) + "\n").encode("utf-8")


# A row whose values hold no list or object: json.dumps with indent=2 writes it as the C
# encoder does with these separators, inside "{\n    " and "\n  }".
_FLAT_ROW = json.JSONEncoder(ensure_ascii=False, separators=(",\n    ", ": "))


def indented_rows(rows: list[dict[str, Any]], flat: bool | None = None) -> str:
    """``json.dumps(rows, indent=2, ensure_ascii=False)`` for a list of objects, byte for
    byte, without the pure-Python encoder ``indent`` falls back to (twice as slow on the
    records files of a large bundle): a row of plain values is written by the C encoder.
    ``flat``: no row holds a non-empty list or object (None: look)."""
    if not rows:
        return "[]"
    if flat is None:
        flat = not any(isinstance(v, (list, dict)) and v for row in rows for v in row.values())
    if flat and all(rows):
        # every row at once: between two rows the encoder writes "},\n    {", which no
        # value can hold (a line break inside a string is written as \n)
        text = _FLAT_ROW.encode(rows)[2:-2].replace("},\n    {", "\n  },\n  {\n    ")
        return "[\n  {\n    " + text + "\n  }\n]"
    out = []
    for row in rows:
        if row and not any(isinstance(v, (list, dict)) and v for v in row.values()):
            out.append("  {\n    " + _FLAT_ROW.encode(row)[1:-1] + "\n  }")
        else:
            out.append("  " + json.dumps(row, indent=2, ensure_ascii=False).replace(
                "\n", "\n  "))
    return "[\n" + ",\n".join(out) + "\n]"


def records_csv(kind: Kind, records: list[Record]) -> bytes:
    """The records as CSV (``to_cell_text`` of every value), UTF-8 with a BOM as export
    writes it."""
    return columns_csv(kind, record_columns(kind, records))


def columns_csv(kind: Kind, columns: list[list[Any]]) -> bytes:
    """:func:`records_csv` of the records given as :func:`record_columns`."""
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(kind.columns)
    writer.writerows(zip(*[cell_texts(f, column)
                           for f, column in zip(kind.fields, columns, strict=True)],
                         strict=True))
    return b"\xef\xbb\xbf" + text.getvalue().encode("utf-8")


def records_xlsx(kind: Kind, records: list[Record], as_of: dt.date) -> bytes:
    return columns_xlsx(kind, record_columns(kind, records), as_of)


def columns_xlsx(kind: Kind, columns: list[list[Any]], as_of: dt.date) -> bytes:
    """:func:`records_xlsx` of the records given as :func:`record_columns`."""
    natives = [whole_or_pointed(kind, cell_natives(f, column))
               for f, column in zip(kind.fields, columns, strict=True)]
    return xlsx_bytes(kind.name, kind.columns, list(zip(*natives, strict=True)),
                      [XLSX_FORMATS.get(f.type) for f in kind.fields],
                      fixed_time=dt.datetime(as_of.year, as_of.month, as_of.day))


def whole_or_pointed(kind: Kind, cells: list[object]) -> list[object]:
    """A column's cells with every text longer than an XLSX cell holds cut, saying that the
    kind's CSV and JSON hold it whole (sheets.text_or_where_whole): a bundle never fails for
    a long note, and its spreadsheet never cuts one unseen."""
    if max((len(c) for c in cells if type(c) is str), default=0) <= XLSX_CELL_UNITS // 2:
        return cells  # the usual column: no text near the limit
    whole_in = f"{kind.name}.csv and {kind.name}.json beside this file"
    return [text_or_where_whole(c, whole_in) if type(c) is str else c for c in cells]


# --- documents -------------------------------------------------------------------------------


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


# --- bag-info.txt ----------------------------------------------------------------------------

# Every label bag-info.txt may hold, each once: verification refuses any other, a repeated
# one, and a line that is not "Label: value" (a value is always on one line). Declared once,
# in the BagIt profile's Bag-Info (a new tag in write.py's _bag_info goes there; the tag
# naming the profile is its own: BagIt Profiles, "BagIt-Profile-Identifier").
BAG_INFO_LABELS = frozenset({*bagit_profile()["Bag-Info"], "BagIt-Profile-Identifier"})


def bag_value(value: object) -> str:
    """A value as bag-info.txt holds it: on one line, a line break, ESC or other control
    or format character escaped (``\\n``), so a name can never add a line of its own (an
    agency named "X⏎Redacted: yes")."""
    from ...store.errors import printable

    return printable(value, None)


def bag_info_text(lines: Iterable[tuple[str, object]]) -> bytes:
    """bag-info.txt from its (label, value) lines."""
    lines = list(lines)
    unknown = {k for k, _ in lines} - BAG_INFO_LABELS
    assert not unknown, f"add {unknown} to the BagIt profile's Bag-Info"
    return "".join(f"{k}: {bag_value(v)}\n" for k, v in lines).encode("utf-8")


def bag_info_problems(text: str) -> list[str]:
    """What makes a bag-info.txt one CALNET Desk did not write: a line that is not
    "Label: value", a label it never writes, a label twice."""
    from ...store.errors import printable

    problems: list[str] = []
    seen: dict[str, int] = {}
    lines = text.split("\n")
    for n, line in enumerate(lines, start=1):
        if not line and n == len(lines):
            continue  # the end of the last line
        label, sep, _ = line.partition(": ")
        shown = repr(printable(label if sep else line, 60))
        if not sep or not label or label != label.strip():
            problems.append(f"bag-info.txt line {n} is not \"Label: value\" on one line "
                            f"({shown}): it was edited after export")
            continue
        if label not in BAG_INFO_LABELS:
            problems.append(f"bag-info.txt has {shown}, a label CALNET Desk does not write: "
                            "it was edited after export")
        if label in seen:
            problems.append(f"bag-info.txt has {shown} twice (lines {seen[label]} and {n}): "
                            "it was edited after export")
        seen.setdefault(label, n)
    return problems


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


# --- the history files -----------------------------------------------------------------------


def chain_row(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry as chain.csv shows it (its content left out)."""
    return {**header_of(entry), "body": entry.get("body") or body_of(entry),
            "prev": entry["prev"], "hash": entry["hash"]}


def chain_csv(chain: list[dict[str, Any]]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(CHAIN_COLUMNS)
    writer.writerows([row[c] if c != "refs" else canonical_json(row[c]) for c in CHAIN_COLUMNS]
                     for row in chain)
    return text.getvalue().encode("utf-8")


def chain_table(path: Path, columns: tuple[str, ...], problems: list[str]
                ) -> list[tuple[int, list[str]]]:
    """chain.csv's rows after its header, with their line numbers; problems appended (and
    no rows) when it cannot be read or its header is not ``columns``."""
    try:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        problems.append(f"{CHAIN_CSV} cannot be read ({e})")
        return []
    if not rows or tuple(rows[0]) != columns:
        problems.append(f"{CHAIN_CSV}: the first line is not {','.join(columns)}")
        return []
    return list(enumerate(rows[1:], start=2))


def read_chain(path: Path, problems: list[str]) -> list[dict[str, Any]]:
    """chain.csv's rows (chain version 2), each link recomputed; problems appended."""
    out: list[dict[str, Any]] = []
    prev = GENESIS
    sha = SHA.fullmatch
    for number, cells in chain_table(path, CHAIN_COLUMNS, problems):
        line = f"{CHAIN_CSV} line {number}"
        if len(cells) != len(CHAIN_COLUMNS):
            problems.append(f"{line}: not {len(CHAIN_COLUMNS)} columns")
            return out
        entry_id, at, kind, key, action, refs_json, body, row_prev, row_hash = cells
        try:
            refs = {} if refs_json == "{}" else json.loads(refs_json)
            if not isinstance(refs, dict) or (refs_json != "{}"
                                              and canonical_json(refs) != refs_json):
                raise ValueError
            row: dict[str, Any] = {"id": int(entry_id), "at": at, "kind": kind, "key": key,
                                   "action": action, "refs": refs, "body": body,
                                   "prev": row_prev, "hash": row_hash}
        except ValueError:
            problems.append(f"{line}: its id or refs cannot be read")
            return out
        if not (sha(body) and sha(row_prev) and sha(row_hash)):
            problems.append(f"{line}: body, prev and hash must be 64 hex digits")
            return out
        if row["id"] != len(out) + 1:
            problems.append(f"{line}: id {row['id']}, expected {len(out) + 1}")
            return out
        if row_prev != prev:
            problems.append(f"{line}: entry {row['id']}'s prev is not the previous entry's "
                            "hash (the chain is broken)")
            return out
        digest = header_digest(action, at, body, row["id"], key, kind, refs_json)
        if link_hash(prev, digest) != row_hash:
            problems.append(f"{line}: entry {row['id']}'s hash is not SHA-256(prev + "
                            "digest) of its row (the row was changed)")
            return out
        out.append(row)
        prev = row_hash
    return out


def entries_jsonl(entries: Iterable[dict[str, Any]]) -> bytes:
    return "".join(canonical_json(e) + "\n" for e in entries).encode("utf-8")


# the scanner json.loads runs (C): (value, end) of the JSON value at an index
_SCAN: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    cast(Any, json.JSONDecoder()))


def read_entries(path: Path, problems: list[str]) -> Iterator[tuple[str, Any]]:
    """(where, the parsed JSON) of each line of entries.jsonl; a line that is not JSON is a
    problem appended."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        problems.append(f"{ENTRIES_JSONL} cannot be read ({e})")
        return
    scan = _SCAN  # json.loads without its Python layers, for a line that is one value
    for number, line in enumerate(text.splitlines(), start=1):
        where = f"{ENTRIES_JSONL} line {number}"
        try:
            value, end = scan(line, 0)
        except (StopIteration, ValueError):
            end = -1
        if end != len(line):  # whitespace around it, extra data, not JSON: as json.loads says
            try:
                value = json.loads(line)
            except ValueError:
                problems.append(f"{where}: not JSON")
                continue
        yield where, value
