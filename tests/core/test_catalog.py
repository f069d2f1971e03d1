"""Catalog items (issue 15, reference data) and the composite record keys they need (issue
13): a kind named by contract and product id goes through the register's generic path (save,
history, delete, browse, search, verify, import, export, merge, bundles); orders naming an
item take its status, delegation flag and as-of date; staleness is counted per item."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from calnet_desk.exchange.importer import import_file
from calnet_desk.operations import save_record
from calnet_desk.policy.findings import findings
from calnet_desk.records import CATALOG_ITEMS, KINDS, UnknownKey
from calnet_desk.store import RecordError, Register
from calnet_desk.store.browse import ViewQuery, read_rows, titles, view_keys
from calnet_desk.store.search import search
from calnet_desk.store.verify import verify
from tests.factories import order

ITEMS = KINDS["catalog-items"]
HEADER = ("Contract number,Product id,Description,Category,Catalog status,"
          "Delegation required,Status as of,Source\n")


def item(contract: str = "C4DNCS19", product: str = "ETH-100", **extra: Any) -> dict[str, Any]:
    return {"contract_number": contract, "product_id": product, "description": "Ethernet",
            "catalog_status": "required", "delegation_required": False,
            "as_of": "2026-10-01", "source": "Catalog A, 10/01/2026", **extra}


def put(reg: Register, *records: dict[str, Any]) -> None:
    with reg.transaction("test") as tx:
        tx.put_many(ITEMS, list(records))


def test_a_kind_declares_its_composite_key_and_names_records_by_it() -> None:
    assert ITEMS.key_names == ("contract_number", "product_id") and ITEMS.composite
    assert ITEMS.record_key(item()) == "C4DNCS19:ETH-100"
    assert ITEMS.key_values("C4DNCS19:ETH-100") == {"contract_number": "C4DNCS19",
                                                     "product_id": "ETH-100"}
    # the last part may hold the separator; the others may not
    assert ITEMS.key_values("C4DNCS19:PBX:1") == {"contract_number": "C4DNCS19",
                                                   "product_id": "PBX:1"}
    assert "contains ':'" in str(ITEMS.key_problem(item(contract="C4:X")))
    assert ITEMS.key_problem(item(product="")) == "a record without Product id"
    with pytest.raises(UnknownKey, match="CONTRACT_NUMBER:PRODUCT_ID"):
        ITEMS.key_values("C4DNCS19")
    assert KINDS["orders"].record_key(order("HO-9")) == "HO-9"  # single keys unchanged


def test_the_generic_write_path_history_and_delete_take_a_composite_key(
        reg: Register) -> None:
    put(reg, item(), item(product="PBX:1", description="Hosted PBX", delegation_required=True))
    assert reg.count(ITEMS) == 2
    assert reg.keys(ITEMS) == {"C4DNCS19:ETH-100", "C4DNCS19:PBX:1"}
    assert reg.get(ITEMS, "C4DNCS19:PBX:1")["description"] == "Hosted PBX"
    assert reg.get(ITEMS, "C4DNCS19") is None and not reg.exists(ITEMS, "nothing")
    # the same contract and product id is the same record: an update, one history entry
    with reg.transaction("status changed") as tx:
        assert tx.put(ITEMS, item(catalog_status="discretionary", as_of="2026-11-01")) \
            == "update"
        assert tx.put(ITEMS, item(catalog_status="discretionary", as_of="2026-11-01")) \
            == "unchanged"
    entries = reg.history("catalog-items", "C4DNCS19:ETH-100")
    assert [e["action"] for e in entries] == ["insert", "update"]
    assert entries[1]["changes"]["catalog_status"] == ["required", "discretionary"]
    # the same product id on another contract is another item
    put(reg, item(contract="C4A1LEG18"))
    assert reg.count(ITEMS) == 3
    with reg.transaction("gone") as tx:
        tx.delete(ITEMS, "C4DNCS19:PBX:1")
    assert reg.keys(ITEMS) == {"C4DNCS19:ETH-100", "C4A1LEG18:ETH-100"}
    assert reg.history("catalog-items", "C4DNCS19:PBX:1")[-1]["action"] == "delete"
    findings_, _ = verify(reg, rehash=False)
    assert findings_ == []


def test_a_record_without_a_key_part_or_with_the_separator_in_one_writes_nothing(
        reg: Register) -> None:
    for bad, said in ((item(product=None), "without Product id"),
                      (item(contract="C4:DNCS"), "contains ':'")):
        with pytest.raises(RecordError, match=said), reg.transaction("bad") as tx:
            tx.put_many(ITEMS, [item(product="OK-1"), bad])
    assert reg.count(ITEMS) == 0


def test_look_alike_composite_keys_are_refused(reg: Register) -> None:
    put(reg, item())
    with pytest.raises(RecordError, match="looks the same"), reg.transaction("x") as tx:
        tx.put(ITEMS, item(product="eth-100"))


def test_browse_and_search_list_catalog_items_by_their_key(reg: Register) -> None:
    put(reg, item(), item(product="PBX:1", description="Hosted PBX",
                          catalog_status="discretionary"),
        item(contract="C4A1LEG18", product="A-1", description="Legacy voice"))
    assert view_keys(reg, ViewQuery(ITEMS)) == ["C4A1LEG18:A-1", "C4DNCS19:ETH-100",
                                                "C4DNCS19:PBX:1"]
    assert view_keys(reg, ViewQuery(ITEMS, statuses=("discretionary",))) == ["C4DNCS19:PBX:1"]
    assert view_keys(reg, ViewQuery(ITEMS, text="hosted")) == ["C4DNCS19:PBX:1"]
    assert view_keys(reg, ViewQuery(ITEMS, sort_field="description")) == [
        "C4DNCS19:ETH-100", "C4DNCS19:PBX:1", "C4A1LEG18:A-1"]
    rows = read_rows(reg, ITEMS, ["C4DNCS19:PBX:1", "C4A1LEG18:A-1"])
    assert rows["C4A1LEG18:A-1"]["description"] == "Legacy voice"
    assert ("C4DNCS19:PBX:1", "Hosted PBX") in titles(reg, ITEMS)
    hits = search(reg, "legacy")
    assert [(h.kind, h.key) for h in hits] == [("catalog-items", "C4A1LEG18:A-1")]


def test_import_from_csv_dry_run_errors_and_all_or_nothing(reg: Register,
                                                          tmp_path: Path) -> None:
    good = tmp_path / "items.csv"
    good.write_text(HEADER + "C4DNCS19,ETH-100,Ethernet 100,Data,Required,No,10/01/2026,"
                    "Catalog A\nC4DNCS19,PBX-1,Hosted PBX,Voice,discretionary,yes,2026-09-01,"
                    "Catalog B\n", encoding="utf-8")
    dry = import_file(reg, good, ITEMS, dry_run=True)
    assert dry.errors == [] and dry.rows == 2 and reg.count(ITEMS) == 0
    done = import_file(reg, good, ITEMS)
    assert done.inserted == 2 and reg.get(ITEMS, "C4DNCS19:PBX-1")["delegation_required"]
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "C4DNCS19,ETH-200,x,Data,sometimes,no,2026-10-01,A\n"
                   "C4:DNCS,ETH-300,x,Data,required,no,2026-10-01,A\n"
                   "C4DNCS19,ETH-200,x,Data,required,no,2026-10-01,A\n"
                   "C4DNCS19,,x,Data,required,no,2026-10-01,A\n", encoding="utf-8")
    result = import_file(reg, bad, ITEMS)
    joined = "\n".join(result.errors)
    assert f"{bad}:2:Catalog status: 'sometimes' is not one of" in joined
    assert f"{bad}:3:Contract number: the Contract number 'C4:DNCS' contains ':'" in joined
    assert f"{bad}:4:Product id: C4DNCS19:ETH-200 appears again (first on row 2)" in joined
    assert f"{bad}:5:Product id: required, but blank" in joined
    assert reg.count(ITEMS) == 2  # nothing of the bad file


def test_cli_lists_shows_exports_and_deletes_catalog_items(run_cli: Any,
                                                          tmp_path: Path) -> None:
    home = str(tmp_path / "r")
    assert run_cli("--data-dir", home, "init", "--agency", "A",
                   "--agency-class", "non-exempt-state").code == 0
    src = tmp_path / "items.csv"
    src.write_text(HEADER + "C4DNCS19,ETH-100,Ethernet,Data,required,no,2026-10-01,A\n",
                   encoding="utf-8")
    assert run_cli("--data-dir", home, "import", "--kind", "catalog-items", str(src)).code == 0
    listed = run_cli("--data-dir", home, "list", "catalog-items")
    assert listed.code == 0 and "ETH-100" in listed.out and "1 catalog-items" in listed.out
    shown = run_cli("--data-dir", home, "show", "catalog-items", "C4DNCS19:ETH-100")
    assert shown.code == 0 and "Ethernet" in shown.out
    missing = run_cli("--data-dir", home, "show", "catalog-items", "C4DNCS19")
    assert missing.code == 1 and "no catalog item C4DNCS19" in missing.err
    assert "named CONTRACT_NUMBER:PRODUCT_ID" in missing.err
    out = tmp_path / "items.xlsx"
    assert run_cli("--data-dir", home, "export", "--kind", "catalog-items", "--format", "xlsx",
                   "-o", str(out)).code == 0
    hist = run_cli("--data-dir", home, "history", "catalog-items", "C4DNCS19:ETH-100")
    assert hist.code == 0 and "insert" in hist.out
    gone = run_cli("--data-dir", home, "delete", "catalog-items", "C4DNCS19:ETH-100",
                   "--reason", "withdrawn")
    assert gone.code == 0, gone
    # the exported workbook imports back as the same item
    assert run_cli("--data-dir", home, "import", "--kind", "catalog-items", str(out)).code == 0
    assert run_cli("--data-dir", home, "verify").code == 0


def test_bundles_and_merge_carry_catalog_items(run_cli: Any, tmp_path: Path) -> None:
    a, b = str(tmp_path / "a"), str(tmp_path / "b")
    for home in (a, b):
        assert run_cli("--data-dir", home, "init", "--agency", "A",
                       "--agency-class", "non-exempt-state").code == 0
    with Register.open(Path(a), write=True) as reg:
        put(reg, item(), item(product="PBX:1"))
    with Register.open(Path(b), write=True) as reg:
        put(reg, item(description="Ethernet, as the other register has it"))
    bundle = tmp_path / "a.zip"
    made = run_cli("--data-dir", a, "export-bundle", str(bundle), "--scope", "all",
                   "--today", "2026-11-30")
    assert made.code == 0, made
    assert run_cli("verify-bundle", str(bundle)).code == 0
    merged = run_cli("--data-dir", b, "merge-bundle", str(bundle), "--json")
    assert merged.code in (0, 1), merged
    with Register.open(Path(b)) as reg:
        assert reg.keys(ITEMS) == {"C4DNCS19:ETH-100", "C4DNCS19:PBX:1"}
        # a conflict keeps the register's record, named by its composite key
        assert reg.get(ITEMS, "C4DNCS19:ETH-100")["description"].startswith("Ethernet, as")
    assert '"key": "C4DNCS19:ETH-100"' in merged.out


# --- orders pick an item ---------------------------------------------------------------------

def test_an_order_naming_an_item_takes_its_status_flag_and_as_of(reg: Register) -> None:
    put(reg, item(catalog_status="discretionary", delegation_required=True))
    saved = save_record(reg, KINDS["orders"],
                        order("O-1", contract_number="C4DNCS19", product_id="ETH-100"),
                        "new", None)
    got = reg.get(KINDS["orders"], saved.key)
    assert (got["catalog_status"], got["delegation_required"], got["catalog_status_as_of"]) \
        == ("discretionary", True, "2026-10-01")
    # its own values stay (what was true when it was placed)
    save_record(reg, KINDS["orders"],
                order("O-2", contract_number="C4DNCS19", product_id="ETH-100",
                      catalog_status="required", catalog_status_as_of="2026-01-01"),
                "new", None)
    kept = reg.get(KINDS["orders"], "O-2")
    assert (kept["catalog_status"], kept["delegation_required"]) == ("required", None)
    # a product id not in the catalog: typed as it is, nothing taken
    save_record(reg, KINDS["orders"],
                order("O-3", contract_number="C4DNCS19", product_id="NOT-LISTED"), "new", None)
    assert reg.get(KINDS["orders"], "O-3")["catalog_status"] is None


def test_imported_orders_take_their_items_values(reg: Register, tmp_path: Path) -> None:
    put(reg, item(delegation_required=True))
    src = tmp_path / "orders.csv"
    src.write_text("Request number,Request date,Order type,Contractor,Contract number,"
                   "Product id\nI-1,2026-11-01,new,AT&T,C4DNCS19,ETH-100\n"
                   "I-2,2026-11-01,new,AT&T,C4DNCS19,OTHER\n", encoding="utf-8")
    result = import_file(reg, src, KINDS["orders"])
    assert result.errors == [] and result.inserted == 2
    one = reg.get(KINDS["orders"], "I-1")
    assert (one["catalog_status"], one["delegation_required"], one["catalog_status_as_of"]) \
        == ("required", True, "2026-10-01")
    assert reg.get(KINDS["orders"], "I-2")["catalog_status"] is None


def test_staleness_is_counted_from_the_item_and_a_changed_item_is_flagged(
        reg: Register) -> None:
    today = dt.date(2026, 12, 1)
    put(reg, item(as_of="2026-10-01"))
    save_record(reg, KINDS["orders"], order("D-1", contract_number="C4DNCS19",
                                            product_id="ETH-100"), "new", None)

    def stale() -> list[str]:
        return [f.message for f in findings(reg, today) if f.code == "catalog-status-stale"
                and f.key == "D-1"]

    assert stale() == []  # 61 days
    # the item, read long ago, makes the order's status stale although the order's own
    # as-of date is recent
    put(reg, item(as_of="2026-06-01"))
    with reg.transaction("recent") as tx:
        tx.put(KINDS["orders"], {"request_number": "D-1", "catalog_status_as_of": "2026-11-30"})
    [message] = stale()
    assert "catalog item C4DNCS19:ETH-100 (required) was read as of 06/01/2026" in message
    # the catalog changed the item: the draft order still records the old status
    put(reg, item(as_of="2026-11-15", catalog_status="discretionary",
                  delegation_required=True))
    assert stale() == []
    [differs] = [f for f in findings(reg, today) if f.code == "order-catalog-item-differs"]
    assert differs.severity == "warning" and differs.key == "D-1"
    assert "catalog status required (the item: discretionary)" in differs.message
    assert "delegation required no (the item: yes)" in differs.message
    assert "as of 11/15/2026" in differs.message
    # placed orders keep what was true when they were placed
    with reg.transaction("placed") as tx:
        tx.put(KINDS["orders"], {"request_number": "D-1", "status": "submitted"})
    assert not [f for f in findings(reg, today) if f.code == "order-catalog-item-differs"]


def test_catalog_items_migrate_onto_an_older_register(tmp_path: Path) -> None:
    assert CATALOG_ITEMS.table == "catalog_items"
    reg = Register.create(tmp_path / "r", agency="A", agency_class="non-exempt-state")
    try:
        assert "0010_catalog_items" in reg.applied_migrations()
        cols = [c.name for c in reg.db["orders"].columns]
        assert cols[-1] == "product_id"
    finally:
        reg.close()
