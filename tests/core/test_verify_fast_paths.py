"""verify-bundle's fast paths (benchmarks/bundles.py) give exactly what the plain
definitions give: an entry's body (docs/history-chain.md, step by step), an entry's digest,
the records files written a column at a time, and the lines of entries.jsonl."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from calnet_desk.exchange.bundle.layout import (
    ENTRIES_JSONL,
    read_entries,
    records_csv,
    records_json,
)
from calnet_desk.records import KINDS, Kind, Record
from calnet_desk.store.history import (
    SCOPE_REFS,
    body_of,
    body_text,
    canonical_json,
    commitment,
    entry_digest,
    header_digest,
    leaf_salts,
    leaves,
)
from calnet_desk.values import to_cell_text, to_json

JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=6)
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=2),
    max_leaves=5)
FIELD_NAMES = st.sampled_from(["delegation_id", "exemption_id", "general_delegation_id",
                               "sha256", "description", "monthly_cost", "é", "a\"b", "z"])


def plain_body(entry: dict[str, Any]) -> str:
    """The body as docs/history-chain.md defines it, one step at a time."""
    names, items = leaves(entry)
    committed = [i for i, (_, v) in enumerate(items) if v[0] in '"[']
    salts = leaf_salts(entry["salt"], len(committed))
    rendered = [v for _, v in items]
    for j, i in enumerate(committed):
        rendered[i] = '"' + commitment(salts[32 * j:32 * j + 32], rendered[i]) + '"'
    return body_text(names, rendered)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from([*SCOPE_REFS, "people", "agency"]),
       user=JSON_VALUE, reason=JSON_VALUE,
       changes=st.dictionaries(FIELD_NAMES, st.tuples(JSON_VALUE, JSON_VALUE).map(list),
                               max_size=6),
       salt=st.binary(min_size=16, max_size=16).map(bytes.hex))
@example(kind="orders", user="root", reason=None, changes={}, salt="0" * 32)
def test_body_of_is_the_documented_body(kind: str, user: Any, reason: Any,
                                        changes: dict[str, list[Any]], salt: str) -> None:
    entry = {"kind": kind, "user": user, "reason": reason, "changes": changes, "salt": salt}
    assert body_of(entry) == plain_body(entry)


@given(action=st.text(max_size=6), at=st.text(max_size=6), key=st.text(max_size=6),
       kind=st.text(max_size=6), entry_id=st.integers(min_value=1),
       refs=st.dictionaries(FIELD_NAMES, st.tuples(JSON_VALUE, JSON_VALUE).map(list),
                            max_size=2))
def test_header_digest_is_entry_digest(action: str, at: str, key: str, kind: str,
                                       entry_id: int, refs: dict[str, Any]) -> None:
    header = {"id": entry_id, "at": at, "kind": kind, "key": key, "action": action,
              "refs": refs}
    body = "ab" * 32
    assert header_digest(action, at, body, entry_id, key, kind, canonical_json(refs)) == \
        entry_digest(header, body)


def plain_json(kind: Kind, records: list[Record]) -> bytes:
    rows = [{f.name: to_json(f, r.get(f.name)) for f in kind.fields} for r in records]
    return (json.dumps(rows, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def plain_csv(kind: Kind, records: list[Record]) -> bytes:
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(kind.columns)
    writer.writerows([to_cell_text(f, r.get(f.name)) for f in kind.fields] for r in records)
    return b"\xef\xbb\xbf" + text.getvalue().encode("utf-8")


TEXT = st.text(st.sampled_from("=+-@'\t ;aé\"\n,"), max_size=5)
VALUES = {"text": TEXT, "choice": TEXT, "date": st.sampled_from(["2026-01-05", "1899-12-31"]),
          "money": st.integers(-10**12, 10**12), "integer": st.integers(-10, 10**9),
          "yesno": st.booleans(), "list": st.lists(TEXT.filter(bool), max_size=3)}


@st.composite
def records_of(draw: Any, kind: Kind) -> list[Record]:
    return [{f.name: draw(st.none() | VALUES[f.type]) for f in kind.fields}
            for _ in range(draw(st.integers(0, 4)))]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), name=st.sampled_from(sorted(KINDS)))
def test_records_files_written_by_column_are_the_plain_ones(data: Any, name: str) -> None:
    kind = KINDS[name]
    records = data.draw(records_of(kind))
    assert records_json(kind, records) == plain_json(kind, records)
    assert records_csv(kind, records) == plain_csv(kind, records)


@given(st.lists(st.sampled_from(['{"a":1}', ' {"a":1}', '{"a":1} ', '{"a":1}{}', '[1,2]',
                                 '{"a":', "x", '"s"', "1 2", "\u00a0{}", '{"b":[1,{}]}']),
                max_size=6))
def test_entries_lines_read_as_json_loads_reads_them(tmp_path_factory: Any,
                                                     lines: list[str]) -> None:
    path = tmp_path_factory.mktemp("entries") / "entries.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    problems: list[str] = []
    got = list(read_entries(path, problems))
    want, bad = [], []
    for number, line in enumerate(lines, start=1):
        try:
            want.append((f"{ENTRIES_JSONL} line {number}", json.loads(line)))
        except ValueError:
            bad.append(f"{ENTRIES_JSONL} line {number}: not JSON")
    assert (got, problems) == (want, bad)
