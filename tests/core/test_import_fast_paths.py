"""The import's fast paths (benchmarks/import_xlsx.py) give exactly what the plain
definitions give: cell parsing, the canonical JSON of a history entry, and put_many's
field-level changes."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from calnet_desk.records import DELEGATIONS, EXEMPTIONS, ORDERS, Record
from calnet_desk.store import Register
from calnet_desk.store.history import (
    canonical_entry,
    canonical_json,
    canonical_value,
    diff,
    entry_hash,
)
from calnet_desk.store.verify import verify
from calnet_desk.values import BadValue, parse_money, parse_text, unescape_cell

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_parse_text(raw: str) -> str | None:
    """parse_text of a str cell as first written (no fast path)."""
    text = raw.strip()
    if not text:
        return None
    if text[0] == "'":
        text = unescape_cell(text).strip()
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _CONTROL.search(text):
        raise BadValue("contains a control character")
    return text or None


def outcome(parse: Any, raw: object) -> object:
    try:
        return parse(raw)
    except BadValue as e:
        return ("bad", str(e))


TRICKY = st.sampled_from(["'", "=", " ", "\t", "\r", "\n", "\r\n", "\x00", "\x1f", "\x7f",
                          "\xa0", "\u2028", "\u200b", "é", ";", "-", "\ud7ff"])


@given(st.lists(st.one_of(TRICKY, TRICKY, st.text(max_size=3)), max_size=5).map("".join))
@example("'=1")
@example("'' x")
@example(" '-2 ")
@example("a\rb")
@example("\xa0x\u2028")
@example("'")
def test_parse_text_fast_path_matches_the_plain_rules(raw: str) -> None:
    assert outcome(parse_text, raw) == outcome(plain_parse_text, raw)


def plain_money_of_float(raw: float) -> object:
    amount = Decimal(repr(raw))
    if not amount.is_finite() or amount * 100 != (amount * 100).to_integral_value():
        return ("bad", f"{raw!r} is not an amount in whole cents")
    cents = int(amount * 100)
    if not -(2**63) <= cents <= 2**63 - 1:
        return ("bad", f"{raw!r} is too large")
    return cents


@given(st.one_of(st.floats(), st.integers(-10**12, 10**12).map(lambda c: c / 100),
                 st.sampled_from([0.0, -0.0, 0.5, -0.25, 12.0, 1e16, 1.5e-05, 9.2e16,
                                  92233720368547758.07, 1234.565])))
def test_parse_money_float_fast_path_matches_decimal_arithmetic(raw: float) -> None:
    assert outcome(parse_money, raw) == plain_money_of_float(raw)


VALUES = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.text(),
                   st.lists(st.text(), max_size=3))


@given(VALUES)
def test_canonical_value_is_canonical_json(value: Any) -> None:
    assert canonical_value(value) == canonical_json(value)


@given(st.integers(1, 2**53), st.text(), st.text(), st.text(), st.text(),
       st.dictionaries(st.text(), st.tuples(VALUES, VALUES).map(list), max_size=4),
       st.one_of(st.none(), st.text()), st.text())
def test_canonical_entry_is_canonical_json_of_the_entry(
        entry_id: int, user: str, kind: str, key: str, action: str,
        changes: dict[str, list[Any]], reason: str | None, prev: str) -> None:
    at = "2026-11-21T18:30:00Z"
    entry = {"id": entry_id, "at": at, "user": user, "kind": kind, "key": key,
             "action": action, "changes": changes, "reason": reason, "prev": prev}
    assert canonical_entry(entry_id, at, user, kind, key, action, canonical_json(changes),
                           reason, prev) == canonical_json(entry)


def _nonempty(record: Record | None) -> Record | None:
    return None if record is None else {k: v for k, v in record.items() if v is not None}


def test_put_many_history_is_the_plain_diff_and_chain(reg: Register) -> None:
    with reg.transaction() as tx:
        tx.put(DELEGATIONS, {"delegation_id": "D1", "type": "contract", "project": "P"})
        tx.put(EXEMPTIONS, {"exemption_id": "E1", "project": "P"})
    first = [{"request_number": f"R{n:03d}", "request_date": "2026-03-07",
              "order_type": "new", "contractor": "AT&T", "description": f"Line \"{n}\" é",
              "quantity": n, "monthly_cost": n * 150, "delegation_required": n % 2 == 0,
              "delegation_id": "D1" if n % 3 else None, "exemption_id": "E1" if n % 5 else None}
             for n in range(100)]  # > 64: the import path
    second = [dict(r, quantity=r["quantity"] + (n % 2), status="approved" if n % 4 else None,
                   delegation_required=None if n % 7 == 0 else r["delegation_required"],
                   city="Fresno" if n % 3 == 0 else None)
              for n, r in enumerate(first)]
    second.append({"request_number": "R999", "request_date": "2026-03-08",
                   "order_type": "move", "contractor": "Lumen"})
    expected: list[dict[str, list[Any]]] = []
    before: dict[str, Record] = {}
    for batch in (first, second):
        for rec in batch:
            key = str(rec["request_number"])
            old = before.get(key)
            new = dict(old or {f.name: f.default for f in ORDERS.fields})
            new.update(rec)
            change = diff(_nonempty(old), _nonempty(new))
            if change:
                expected.append(change)
            before[key] = new
        with reg.transaction("test") as tx:
            tx.put_many(ORDERS, batch)
    entries = reg.history(ORDERS.name)
    assert [e["changes"] for e in entries] == expected
    for e in reg.history():
        assert e["hash"] == entry_hash(e)
    findings, _ = verify(reg)
    assert findings == []
    stored = {r["request_number"]: r for r in reg.records(ORDERS)}
    for key, rec in before.items():
        assert rec == stored[key]


def test_history_at_follows_the_clock_second_by_second(reg: Register) -> None:
    times = iter([dt.datetime(2026, 11, 21, 18, 30, 0, 900_000, tzinfo=dt.UTC),
                  dt.datetime(2026, 11, 21, 18, 30, 0, 999_999, tzinfo=dt.UTC),
                  dt.datetime(2026, 11, 21, 18, 30, 1, tzinfo=dt.UTC),
                  dt.datetime(2026, 11, 21, 10, 30, 1,
                              tzinfo=dt.timezone(dt.timedelta(hours=-8)))])
    reg.clock = lambda: next(times)
    with reg.transaction() as tx:
        for n in range(4):
            tx.put(DELEGATIONS, {"delegation_id": f"D{n}", "type": "general", "project": "P"})
    ats = [e["at"] for e in reg.history(DELEGATIONS.name)]
    assert ats == ["2026-11-21T18:30:00Z", "2026-11-21T18:30:00Z", "2026-11-21T18:30:01Z",
                   "2026-11-21T18:30:01Z"]


_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                  st.text(max_size=6), st.lists(st.text(max_size=3), max_size=3))


@given(kind=st.sampled_from(["orders", "exemptions", "people"]),
       changes=st.dictionaries(
           st.sampled_from(["delegation_id", "exemption_id", "general_delegation_id",
                            "city", "quantity", "notes", "é"]),
           st.tuples(_LEAF, _LEAF).map(list), max_size=6),
       reason=st.one_of(st.none(), st.text(max_size=5)),
       user=st.text(min_size=1, max_size=5))
def test_the_writer_seals_entries_as_the_verifier_recomputes_them(
        kind: str, changes: dict[str, list[Any]], reason: str | None, user: str) -> None:
    """HistoryWriter's one-pass sealing (the import's hot path) gives the hash that
    entry_hash (verify's definition, docs/history-chain.md) recomputes from the content."""
    import sqlite3

    from calnet_desk.store.history import HistoryWriter

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE history (id INTEGER PRIMARY KEY, at, user, kind, key, action, "
                 "changes, reason, prev, hash, salt, body)")
    clock = lambda: dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.UTC)  # noqa: E731
    writer = HistoryWriter(conn, user, clock)
    writer.append(kind, "K1", "update", changes, reason)
    writer.append(kind, "K2", "insert", {}, reason)
    writer.flush()
    rows = conn.execute("SELECT id, at, user, kind, key, action, changes, reason, prev, hash, "
                        "salt, body FROM history ORDER BY id").fetchall()
    for row in rows:
        entry = dict(zip(("id", "at", "user", "kind", "key", "action", "changes", "reason",
                          "prev", "hash", "salt", "body"), row, strict=True))
        entry["changes"] = json.loads(entry["changes"])
        assert entry["hash"] == entry_hash(entry)
    assert rows[1][8] == rows[0][9]  # linked


_CELL = st.one_of(st.none(), st.booleans(), st.integers(-3, 3),
                  st.sampled_from([0.0, -0.0, 1.0, 2.5, 1e300, float("nan"), float("inf")]),
                  st.dates(dt.date(2019, 1, 1), dt.date(2019, 1, 3)),
                  st.sampled_from(["", " ", "yes", "No", "1", "x", "2019-01-02", "01/02/2019",
                                   "$1.50", "new", "Move", "a;b", "'=1", "\x01", "1.234"]))


@given(field=st.sampled_from(["request_number", "request_date", "order_type", "quantity",
                              "monthly_cost", "delegation_required", "contractor",
                              "contracts.categories"]),
       chunks=st.lists(st.lists(_CELL, max_size=8), min_size=1, max_size=3))
# found by CI: FALSE in one chunk, 0 in the next: the table took 0 for False ("no")
@example(field="request_number", chunks=[[False], [0]])
@example(field="quantity", chunks=[[1.0], [True], [1]])
def test_a_column_parsed_at_once_gives_what_each_cell_gives(
        field: str, chunks: list[list[object]]) -> None:
    """The column-wise parse (a table of distinct cells, a cache kept between chunks)
    gives each cell's value and problem as parsing it alone does."""
    from calnet_desk.exchange.importer import _Column
    from calnet_desk.records import KINDS
    from calnet_desk.values import parser_for

    kind, _, name = field.rpartition(".")
    f = KINDS[kind or "orders"].by_name[name]
    parse = parser_for(f)
    column = _Column(3, f.name, parse, f.required, "Col", None if f.type == "list" else {})
    first = 2
    for cells in chunks:
        rownums = list(range(first, first + len(cells)))
        problems: list[tuple[int, int, str]] = []
        bad: set[int] = set()
        values = column.values(cells, problems, rownums, bad)
        expected_values: list[object] = []
        expected_problems = []
        for j, raw in enumerate(cells):
            got = outcome(parse, raw) if raw is not None else None
            if isinstance(got, tuple):
                expected_values.append(None)
                expected_problems.append((rownums[j], 3, f"Col: {got[1]}"))
                continue
            if got is None and f.required:
                expected_problems.append((rownums[j], 3, "Col: required, but blank"))
            expected_values.append(got)
        assert values == expected_values
        assert [type(v) for v in values] == [type(v) for v in expected_values]
        assert sorted(problems) == sorted(expected_problems)
        assert bad == {r - first for r, _, _ in expected_problems}
        first += len(cells)


@given(kind=st.sampled_from(["orders", "exemptions", "people"]),
       records=st.lists(st.dictionaries(
           st.sampled_from(["delegation_id", "exemption_id", "general_delegation_id",
                            "city", "quantity", "notes", "é", "a\"b"]),
           _LEAF), min_size=1, max_size=5),
       reason=st.one_of(st.none(), st.text(max_size=5)),
       user=st.text(min_size=1, max_size=5))
def test_inserts_sealed_a_batch_at_a_time_are_the_entries_appended_one_by_one(
        kind: str, records: list[dict[str, Any]], reason: str | None, user: str) -> None:
    """HistoryWriter.append_inserts (put_many's new records, a batch at a time) appends
    exactly the entries append_json appends for each record's diff, given the same salts
    and clock: changes, body, refs, digest and link; and each is what the verifier
    recomputes from its content."""
    import itertools
    import sqlite3

    from calnet_desk.store.history import HistoryWriter

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE history (id INTEGER PRIMARY KEY, at, user, kind, key, action, "
                 "changes, reason, prev, hash, salt, body)")
    clock = lambda: dt.datetime(2026, 11, 30, 18, 0, tzinfo=dt.UTC)  # noqa: E731
    names = sorted({n for r in records for n in r})
    keys = [f"K{i}" for i in range(len(records))]
    writers = []
    for _ in range(2):
        writer = HistoryWriter(conn, user, clock)
        salts = (f"{n:032x}" for n in itertools.count(7))
        writer._salt = lambda salts=salts: next(salts)  # type: ignore[method-assign]
        writers.append(writer)
    one_by_one, batched = writers
    for key, record in zip(keys, records, strict=True):
        changes = diff(None, record)
        one_by_one.append_json(kind, key, "insert", canonical_json(changes), reason,
                               [(canonical_value(n), "null", canonical_value(new))
                                for n, (_, new) in changes.items()])
    batched.append_inserts(kind, keys, reason, [canonical_value(n) for n in names],
                           [[None if r.get(n) is None else canonical_value(r[n])
                             for r in records] for n in names])
    assert batched.pending == one_by_one.pending
    assert (batched.next_id, batched.prev) == (one_by_one.next_id, one_by_one.prev)
    for row in batched.pending:
        entry = dict(zip(("id", "at", "user", "kind", "key", "action", "changes", "reason",
                          "prev", "hash", "salt", "body"), row, strict=True))
        entry["changes"] = json.loads(entry["changes"])
        assert entry["hash"] == entry_hash(entry)


@given(st.lists(st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.text(max_size=2),
                          st.sampled_from([0.0, -0.0, 1.0, float("nan")]),
                          st.lists(st.text(max_size=2), max_size=2)), max_size=8))
@example([1, True])
@example([0.0, -0.0])
def test_a_columns_values_written_as_json_by_a_table_are_each_ones_json(
        values: list[Any]) -> None:
    """put_many writes a new records' column as JSON by a table of its distinct values when
    that cannot merge two of them (1 == 1.0 == True, 0.0 == -0.0): the same texts as each
    value's canonical JSON."""
    from calnet_desk.store.register import _json_texts

    assert _json_texts(values) == [None if v is None else canonical_value(v) for v in values]
