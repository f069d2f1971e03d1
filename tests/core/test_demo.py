"""The demo register generator: deterministic by seed, every status and type, only into a
new or empty register, verifiable, with openable PDF documents."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from calnet_desk import demo
from calnet_desk.records import (
    DECISIONS,
    DELEGATION_TYPES,
    EXEMPTION_REASONS,
    KINDS,
    ORDER_STATUSES,
    ORDER_TYPES,
)
from calnet_desk.store import Register
from calnet_desk.store import documents as docs

SMALL = "40"  # orders: enough for every type x status (24) and an exemption order


def listed(run_cli: Any, root: Path) -> dict[str, Any]:
    out = {}
    for kind in KINDS:
        r = run_cli("--data-dir", str(root), "list", kind, "--json")
        assert r.code == 0, r.err
        out[kind] = json.loads(r.out)
    return out


def stored_documents(root: Path) -> list[tuple[str, str, int]]:
    with Register.open(root) as reg:
        return [(sha, name, size) for sha, name, size in reg.conn.execute(
            "SELECT sha256, name, size FROM documents ORDER BY sha256")]


def test_the_same_seed_gives_the_same_register_and_another_seed_differs(
        tmp_path: Path, run_cli: Any) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for root, seed in ((a, "7"), (b, "7"), (c, "8")):
        r = run_cli("--data-dir", str(root), "demo", "--orders", SMALL, "--seed", seed)
        assert r.code == 0, r.err
        assert "40 orders" in r.out
    assert listed(run_cli, a) == listed(run_cli, b)
    assert stored_documents(a) == stored_documents(b)
    assert listed(run_cli, a)["orders"] != listed(run_cli, c)["orders"]
    assert stored_documents(a) != stored_documents(c)


def test_generate_is_pure_and_follows_the_seed() -> None:
    one, two = demo.generate(30, 5), demo.generate(30, 5)
    assert one.records == two.records
    assert [d.content for d in one.documents] == [d.content for d in two.documents]
    assert demo.generate(30, 6).records["orders"] != one.records["orders"]


def test_every_order_type_and_status_and_the_other_kinds_are_realistic(
        run_cli: Any, isolated_home: Path) -> None:
    assert run_cli("demo", "--orders", SMALL).code == 0
    data = listed(run_cli, isolated_home)
    orders = data["orders"]
    assert len(orders) == 40
    assert {o["order_type"] for o in orders} == set(ORDER_TYPES)
    assert {o["status"] for o in orders} == set(ORDER_STATUSES)
    for o in orders:
        assert (o["completed_on"] is not None) == (o["status"] == "completed"), o
        if o["completed_on"]:
            assert o["completed_on"] >= o["request_date"]
        assert o["catalog_status"] in ("required", "discretionary")
        assert o["catalog_status_as_of"] == o["request_date"]
        assert re.fullmatch(r"\d{5}", o["zip"]) and o["city"] and o["street"]
    assert any(o["delegation_id"] for o in orders)
    assert any(o["exemption_id"] for o in orders)
    contracts = {c["contract_number"]: c for c in data["contracts"]}
    assert {c["generation"] for c in contracts.values()} == {"calnet-3", "nextgen"}
    assert {"AT&T", "Verizon", "T-Mobile", "Lumen", "Zayo"} <= {
        c["contractor"] for c in contracts.values()}
    for o in orders:
        if o["contract_number"]:
            assert contracts[o["contract_number"]]["contractor"] == o["contractor"]

    exemptions = data["exemptions"]
    assert {(e["reason"], e["decision"]) for e in exemptions} == {
        (r, d) for r in EXEMPTION_REASONS for d in DECISIONS}
    elements = ("service_locations", "provider", "contract_length_months", "total_cost",
                "cost_by_item", "sla_rights_remedies", "signer", "submitted_on")
    complete = [e for e in exemptions if all(e[f] is not None for f in elements)]
    assert len(complete) > len(exemptions) / 2  # mostly filled …
    assert len(complete) < len(exemptions) or any(  # … some missing
        e[f] is None for e in exemptions for f in ("fsr_reference", "extensions"))
    for e in exemptions:
        assert (e["ipr_documentation"] is not None) <= (e["reason"] == "ipr")
        if e["decision"] == "approved":
            assert e["general_delegation_id"] and e["term_end"]
        if e["decision"] == "pending":
            assert e["decided_on"] is None
    delegations = data["delegations"]
    assert {d["type"] for d in delegations} == set(DELEGATION_TYPES)
    assert {d["decision"] for d in delegations} == set(DECISIONS)

    people = data["people"]
    assert len([p for p in people if p["role"] == "catr" and p["active"]]) == 1
    atrs = {p["name"] for p in people if p["role"] == "atr"}
    assert {o["placed_by"] for o in orders} <= atrs
    # the demo agency is a non-exempt state agency: it signs no ATOs (a non-state one does:
    # test_demo_agency_class.py)
    assert data["atos"] == [] and data["outside-contracts"]
    assert any(oc["exemption_id"] for oc in data["outside-contracts"])


def test_a_register_with_records_is_refused_and_left_alone(
        run_cli: Any, isolated_home: Path) -> None:
    assert run_cli("demo", "--orders", "30").code == 0
    db = isolated_home / "register.sqlite3"
    before = (db.read_bytes(), listed(run_cli, isolated_home),
              sorted(p.name for p in (isolated_home / "documents").rglob("*")))
    again = run_cli("demo", "--orders", "30", "--seed", "1")
    assert again.code == 1
    assert "already holds records" in again.err and "nothing was changed" in again.err
    after = (db.read_bytes(), listed(run_cli, isolated_home),
             sorted(p.name for p in (isolated_home / "documents").rglob("*")))
    assert after == before


def test_one_record_is_enough_to_refuse(run_cli: Any, isolated_home: Path) -> None:
    assert run_cli("init", "--agency", "Dept", "--agency-class", "exempt-state").code == 0
    with Register.open(isolated_home, write=True) as reg, reg.transaction() as tx:
        tx.put(KINDS["people"], {"person_id": "P-1", "name": "Pat Lee", "role": "atr"})
    r = run_cli("demo")
    assert r.code == 1 and "1 people" in r.err
    assert [p["person_id"] for p in listed(run_cli, isolated_home)["people"]] == ["P-1"]
    assert listed(run_cli, isolated_home)["orders"] == []


def test_an_empty_register_after_init_is_filled_and_keeps_its_agency(
        run_cli: Any, isolated_home: Path, tmp_path: Path) -> None:
    assert run_cli("init", "--agency", "City of Testville", "--agency-class", "non-state",
                   "--billing-code", "TV-1").code == 0
    r = run_cli("demo", "--orders", "30")
    assert r.code == 0, r.err
    assert "City of Testville" in r.out
    with Register.open(isolated_home) as reg:
        assert reg.agency() == {"name": "City of Testville", "agency_class": "non-state",
                                "billing_code": "TV-1"}
        assert reg.count(KINDS["orders"]) == 30
        assert [e["action"] for e in reg.history("agency")] == ["insert"]
        sha = reg.conn.execute("SELECT sha256 FROM documents WHERE name LIKE 'STD 20 %' "
                               "LIMIT 1").fetchone()[0]
    content = (isolated_home / "documents" / sha[:2] / sha).read_bytes()
    assert b"City of Testville" in content


def test_verify_passes_afterwards_and_rehashes_the_documents(
        run_cli: Any, isolated_home: Path) -> None:
    assert run_cli("demo", "--orders", SMALL).code == 0
    r = run_cli("verify", "--json")
    assert r.code == 0, r.out
    result = json.loads(r.out)
    assert result["ok"] and result["counts"]["orders"] == 40
    assert result["counts"]["documents"] > 5
    # the history holds one insert per record, all in the demo's transaction
    with Register.open(isolated_home) as reg:
        entries = reg.history("orders")
        assert len(entries) == 40 and {e["reason"] for e in entries} == {
            "demo data (seed 2026)"}


def test_documents_are_attached_and_open_as_pdfs(
        run_cli: Any, isolated_home: Path, tmp_path: Path) -> None:
    assert run_cli("demo", "--orders", SMALL).code == 0
    with Register.open(isolated_home) as reg:
        linked = {kind: n for kind, n in reg.conn.execute(
            "SELECT kind, count(*) FROM document_links GROUP BY kind")}
        order_key = reg.conn.execute("SELECT key FROM document_links WHERE kind = 'orders' "
                                     "ORDER BY key LIMIT 1").fetchone()[0]
        shared = reg.conn.execute("SELECT sha256 FROM document_links GROUP BY sha256 "
                                  "HAVING count(*) > 1").fetchall()
    assert linked["orders"] >= 3 and linked["exemptions"] >= 1 and linked["delegations"] >= 1
    assert shared  # an approval letter in both the exemption's and the delegation's file
    found = json.loads(run_cli("documents", "orders", order_key, "--json").out)
    assert [d["name"] for d in found] == [f"STD 20 {order_key}.pdf"]
    assert found[0]["media_type"] == "application/pdf"
    r = run_cli("open", found[0]["sha256"], "--to", str(tmp_path / "out"))
    assert r.code == 0, r.err
    content = Path(r.out.strip()).read_bytes()
    assert hashlib.sha256(content).hexdigest() == found[0]["sha256"]
    assert_well_formed_pdf(content)
    assert f"STD. 20 Telecommunications Service Request {order_key}".encode() in content


def assert_well_formed_pdf(content: bytes) -> None:
    """The structure a PDF reader relies on: header, objects at the xref's offsets, the
    stream's /Length, startxref pointing at the xref table, %%EOF."""
    assert re.match(rb"%PDF-1\.\d\n", content) and content.rstrip().endswith(b"%%EOF")
    startxref = int(content.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert content[startxref:].startswith(b"xref\n0 ")
    table = content[startxref:].split(b"trailer")[0].split(b"\n")
    count = int(table[1].split()[1])
    entries = table[2:2 + count]
    assert all(len(e) + 1 == 20 for e in entries)  # 20 bytes each, with the newline
    for number, entry in enumerate(entries[1:], 1):
        offset = int(entry[:10])
        assert content[offset:].startswith(f"{number} 0 obj\n".encode())
    m = re.search(rb"/Length (\d+)\s*>>\s*stream\n", content)
    assert m is not None
    start = m.end()
    end = start + int(m.group(1))
    assert content[end:end + len(b"\nendstream")] == b"\nendstream"
    assert b"/Count 1" in content and re.search(rb"/Type /Page\s", content)


def test_demo_pdf_escapes_text_and_is_deterministic() -> None:
    pdf = demo.simple_pdf("Form (draft) \\ test", ["Café – O'Brien (ATR)", "x" * 300])
    assert_well_formed_pdf(pdf)
    assert b"Form \\(draft\\) \\\\ test" in pdf
    assert "Café –".encode("cp1252") in pdf
    assert pdf == demo.simple_pdf("Form (draft) \\ test", ["Café – O'Brien (ATR)", "x" * 300])
    assert b"/CreationDate (D:20261030000000Z)" in pdf  # fixed: the demo's as-of date


def test_store_bytes_stores_like_store_file(tmp_path: Path, reg: Register) -> None:
    content = demo.simple_pdf("Same bytes", ["one", "two"])
    src = tmp_path / "same.pdf"
    src.write_bytes(content)
    from_bytes = docs.store_bytes(reg.paths, content)
    assert from_bytes == docs.store_file(reg.paths, src)
    assert from_bytes == (hashlib.sha256(content).hexdigest(), len(content))
    stored = docs.document_path(reg.paths, from_bytes[0])
    assert stored.read_bytes() == content
    assert len([p for p in reg.paths.documents.rglob("*") if p.is_file()]) == 1


def test_progress_is_reported_when_asked(reg: Register) -> None:
    messages: list[str] = []
    counts = demo.fill_demo(reg, orders=12, seed=3, report=messages.append)
    assert counts["orders"] == 12
    assert messages[0].startswith("generating 12 orders")
    assert "12 of 12 orders written" in messages


@pytest.mark.parametrize("argv", [["--orders", "0"], ["--orders", "x"], ["--seed", "a"]])
def test_bad_demo_arguments_are_usage_errors(argv: list[str], run_cli: Any,
                                             isolated_home: Path) -> None:
    assert run_cli("demo", *argv).code == 2
    assert not isolated_home.exists()
