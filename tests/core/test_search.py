"""Full-text search: kept current by triggers, user text quoted, ranked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from factories import order

from calnet_desk.records import KINDS
from calnet_desk.store import Register, schema
from calnet_desk.store import search as search_mod
from calnet_desk.store.search import fts_query, search

ORDERS, PEOPLE = KINDS["orders"], KINDS["people"]



@pytest.fixture
def filled(reg: Register) -> Register:
    with reg.transaction() as tx:
        tx.put(ORDERS, order("HO-1", circuit_id="CKT-55-1001", city="Sacramento",
                             description="SD-WAN edge, Sacramento HQ, Sacramento annex"))
        tx.put(ORDERS, order("HO-2", circuit_id="916-555-0100", city="Fresno",
                             description="Cellular lines"))
        tx.put(ORDERS, order("HO-3", city="Sacramento", description="Move of voice lines"))
        tx.put(PEOPLE, {"person_id": "P-1", "name": "María López", "role": "catr"})
    return reg


def keys(hits: list[search_mod.Hit]) -> list[str]:
    return [h.key for h in hits]


def test_hyphenated_ids_and_phone_numbers_are_not_fts_syntax(filled: Register) -> None:
    assert keys(search(filled, "CKT-55-1001")) == ["HO-1"]
    assert keys(search(filled, "916-555-0100")) == ["HO-2"]
    assert keys(search(filled, "CKT-55")) == ["HO-1"]  # prefix while typing
    for nasty in ('"', "NOT", "a:b", "(", "*", "AND OR", "HO-1 NEAR"):
        search(filled, nasty)  # never a syntax error


def test_ranked_best_first_and_filtered_by_kind(filled: Register) -> None:
    hits = search(filled, "sacramento")
    assert keys(hits)[0] == "HO-1"  # three mentions beat one
    assert set(keys(hits)) == {"HO-1", "HO-3"}
    assert hits[0].rank >= hits[1].rank
    assert keys(search(filled, "lopez")) == ["P-1"]  # diacritics folded
    assert keys(search(filled, "lopez", kind="orders")) == []
    assert len(search(filled, "AT", limit=2)) == 2


def test_the_index_follows_updates_and_deletes(filled: Register) -> None:
    with filled.transaction() as tx:
        tx.put(ORDERS, order("HO-2", city="Eureka"))
    assert keys(search(filled, "fresno")) == []
    assert keys(search(filled, "eureka")) == ["HO-2"]
    with filled.transaction() as tx:
        tx.delete(ORDERS, "HO-2")
    assert keys(search(filled, "eureka")) == []
    count = filled.conn.execute("SELECT count(*) FROM search_index").fetchone()[0]
    assert count == 3  # HO-1, HO-3, P-1


def test_rebuild_gives_the_same_index(filled: Register) -> None:
    before = filled.conn.execute("SELECT rowid, kind, key, body FROM search_index "
                                 "ORDER BY rowid").fetchall()
    with filled.transaction():
        schema.rebuild_search_index(filled.db)
    after = filled.conn.execute("SELECT rowid, kind, key, body FROM search_index "
                                "ORDER BY rowid").fetchall()
    assert before == after and len(before) == 4


def test_search_triggers_are_in_the_trigger_list(reg: Register) -> None:
    expected = schema.expected_triggers()
    for table in schema.SEARCH_CODES:
        for op in ("insert", "update", "delete"):
            assert f"{table}_search_{op}" in expected


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('  say "hi"  HO-1 ') == '"say" """hi""" "HO-1" *'
    assert fts_query("   ") is None


def test_search_cli(run_cli: Any, filled: Register) -> None:
    root = str(filled.paths.root)
    r = run_cli("--data-dir", root, "search", "sacramento", "--json", "--limit", "1")
    assert r.code == 0
    hits = json.loads(r.out)
    assert len(hits) == 1 and hits[0]["kind"] == "orders" and hits[0]["key"] == "HO-1"
    assert set(hits[0]) == {"kind", "key", "snippet", "rank"}
    people = json.loads(run_cli("--data-dir", root, "search", "maria", "--kind", "person",
                                "--json").out)
    assert [h["key"] for h in people] == ["P-1"]
    assert run_cli("--data-dir", root, "search", "x", "--limit", "0").code == 2
    assert run_cli("--data-dir", root, "search", "x", "--kind", "widgets").code == 2
    assert "0 match(es)" in run_cli("--data-dir", root, "search", "zzzz").out


def test_a_sqlite_without_fts5_is_named_clearly(tmp_path: Path, run_cli: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "fts5_available", lambda: False)
    r = run_cli("--data-dir", str(tmp_path / "r"), "init", "--agency", "A",
                "--agency-class", "exempt-state")
    assert r.code == 1
    assert "without FTS5" in r.err and "python.org" in r.err
    assert not (tmp_path / "r" / "register.sqlite3").exists()
