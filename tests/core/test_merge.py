"""merge-bundle: hostile or bad bundles refused without writing; good ones merged whole."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from calnet_desk.cli import record_json
from calnet_desk.exchange import bundle as bundles
from calnet_desk.exchange.archive import Limits
from calnet_desk.exchange.bundle import BAGIT_TXT
from calnet_desk.exchange.merge import dependency_order, merge_bundle
from calnet_desk.policy.seeds import seed_contracts
from calnet_desk.records import KINDS
from calnet_desk.store import Register
from calnet_desk.store import documents as docs

AGENCY = "Department of Testing"
DOC = b"%PDF-1.4 the signed STD. 20" * 100


# --- a bag made from a register (kept small; export-bundle makes the real ones) ------------


def bag_payload(reg: Register, redact: bool = False) -> dict[str, bytes]:
    """The files of a bundle of the whole register made by export-bundle: the payload
    (under data/) by name, and its bag-info.txt."""
    out = reg.paths.root.parent / f"source-{reg.history()[-1]['id']}-{redact}.zip"
    bundles.export_bundle(reg, out, as_of=dt.date(2026, 11, 21), redact=redact)
    payload: dict[str, bytes] = {}
    with zipfile.ZipFile(out) as zf:
        for name in zf.namelist():
            rest = name.partition("/")[2]
            if rest.startswith("data/"):
                payload[rest[len("data/"):]] = zf.read(name)
            elif rest == "bag-info.txt":
                payload[BAG_INFO] = zf.read(name)
    return payload


BAG_INFO = "::bag-info.txt"


def write_bag(folder: Path, payload: dict[str, bytes]) -> Path:
    """A bag of these files, manifests and Payload-Oxum made anew (as a forger would)."""
    bag = folder / "calnet-bundle"
    files = {n: c for n, c in payload.items() if n != BAG_INFO}
    for name, content in files.items():
        (bag / "data" / name).parent.mkdir(parents=True, exist_ok=True)
        (bag / "data" / name).write_bytes(content)
    oxum = f"{sum(map(len, files.values()))}.{len(files)}"
    info = "".join(f"Payload-Oxum: {oxum}\n" if line.startswith("Payload-Oxum:") else line
                   for line in payload[BAG_INFO].decode().splitlines(keepends=True))
    tags = {"bagit.txt": BAGIT_TXT, "bag-info.txt": info.encode(),
            "manifest-sha256.txt": "".join(f"{hashlib.sha256(c).hexdigest()}  data/{n}\n"
                                           for n, c in sorted(files.items())).encode()}
    for name, content in tags.items():
        (bag / name).write_bytes(content)
    (bag / "tagmanifest-sha256.txt").write_text("".join(
        f"{hashlib.sha256(c).hexdigest()}  {n}\n" for n, c in sorted(tags.items())))
    return bag


def zip_bag(bag: Path, out: Path, extra: Sequence[tuple[str | zipfile.ZipInfo, bytes]] = ()
            ) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(bag.rglob("*")):
            if p.is_file():
                zf.write(p, f"{bag.name}/{p.relative_to(bag).as_posix()}")
        for name, content in extra:
            zf.writestr(name, content)
    return out


# --- fixtures ------------------------------------------------------------------------------


def fill(reg: Register, tmp_path: Path) -> None:
    """An ATR's register: a delegation, an exemption under it, an order under both, a
    person, a contract and a document on the order."""
    with reg.transaction("atr work") as tx:
        tx.put(KINDS["delegations"], {"delegation_id": "D-1", "type": "general",
                                      "project": "Call center", "activities": ["planning"],
                                      "timeframe_end": "2027-06-30"})
        tx.put(KINDS["exemptions"], {"exemption_id": "E-1", "project": "Call center",
                                     "services": ["SIP", "voice"], "total_cost": 1234567,
                                     "general_delegation_id": "D-1", "decision": "approved"})
        tx.put(KINDS["orders"], {"request_number": "HO-1", "request_date": "2026-02-03",
                                 "order_type": "new", "contractor": "AT&T",
                                 "monthly_cost": 12345, "one_time_cost": 10,
                                 "delegation_required": True, "delegation_id": "D-1",
                                 "exemption_id": "E-1", "quantity": 3})
        tx.put(KINDS["people"], {"person_id": "P-1", "name": "Pat CATR", "role": "catr"})
        tx.put(KINDS["contracts"], {"contract_number": "C4-1", "generation": "calnet-3",
                                    "contractor": "AT&T", "categories": ["voice"]})
    src = tmp_path / "Form 20 HO-1.pdf"
    src.write_bytes(DOC)
    sha, size = docs.store_file(reg.paths, src)
    with reg.transaction() as tx:
        docs.add_document(tx, sha, src.name, size)
        docs.link(tx, sha, KINDS["orders"], "HO-1")


@pytest.fixture
def source(reg: Register, tmp_path: Path) -> dict[str, bytes]:
    fill(reg, tmp_path)
    return bag_payload(reg)


@pytest.fixture
def bundle(source: dict[str, bytes], tmp_path: Path) -> Path:
    return zip_bag(write_bag(tmp_path / "bag", source), tmp_path / "bundle.zip")


@pytest.fixture
def target(run_cli: Any, isolated_home: Path) -> Path:
    r = run_cli("init", "--agency", AGENCY, "--agency-class", "non-exempt-state")
    assert r.code == 0, r
    return isolated_home


def snapshot(home: Path) -> dict[str, Any]:
    with Register.open(home) as reg:
        return {"history": len(reg.history()),
                "records": {k: reg.records(kind) for k, kind in KINDS.items()},
                "documents": reg.conn.execute("SELECT count(*) FROM documents").fetchone(),
                "stored": sorted(p.name for p in (home / "documents").rglob("*"))}


def refused(run_cli: Any, home: Path, bundle: Path, *words: str, args: tuple[str, ...] = ()
            ) -> None:
    before = snapshot(home)
    r = run_cli("merge-bundle", str(bundle), *args)
    assert r.code == 1, r
    assert "nothing was merged" in r.err
    for w in words:
        assert w in r.err, r
    assert snapshot(home) == before


# --- refusals ------------------------------------------------------------------------------


@pytest.mark.parametrize("name, words", [
    ("calnet-bundle/../evil.txt", "'..'"),
    ("/tmp/evil.txt", "absolute"),
    ("C:/x", "drive"),
    ("\\\\server\\x", "backslash"),
    ("other-bag/x", "one top folder"),
    ("calnet-bundle/data/Documents.json", "same name"),
])
def test_hostile_entries_are_refused(run_cli: Any, target: Path, source: dict[str, bytes],
                                     tmp_path: Path, name: str, words: str) -> None:
    info = zipfile.ZipInfo("x")
    info.filename = name
    z = zip_bag(write_bag(tmp_path / "bag", source), tmp_path / "b.zip", [(info, b"x")])
    refused(run_cli, target, z, words, repr(name))
    assert not (tmp_path / "evil.txt").exists()


def test_a_symlink_entry_is_refused(run_cli: Any, target: Path, source: dict[str, bytes],
                                    tmp_path: Path) -> None:
    info = zipfile.ZipInfo("calnet-bundle/data/link")
    info.create_system = 3
    info.external_attr = 0o120777 << 16
    z = zip_bag(write_bag(tmp_path / "bag", source), tmp_path / "b.zip", [(info, b"/etc")])
    refused(run_cli, target, z, "symbolic link")


def test_too_many_entries_and_zip_bombs(target: Path, source: dict[str, bytes],
                                        tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "bag", source)
    z = zip_bag(bag, tmp_path / "b.zip", [("calnet-bundle/data/zeros", b"\0" * 3_000_000)])
    before = snapshot(target)
    with Register.open(target, write=True) as reg:
        many = merge_bundle(reg, z, limits=Limits(max_entries=5))
        bomb = merge_bundle(reg, z, limits=Limits(max_ratio=100, ratio_floor_bytes=100_000))
        big = merge_bundle(reg, z, limits=Limits(max_total_bytes=1_000_000))
    assert "more than the limit of 5" in many.problems[0]
    assert "'calnet-bundle/data/zeros' unpacks to more than 100 times" in bomb.problems[0]
    assert "more than the limit of 1,000,000 bytes" in big.problems[0]
    assert not (many.written or bomb.written or big.written)
    assert snapshot(target) == before


def test_a_changed_byte_fails_verification(run_cli: Any, target: Path,
                                           source: dict[str, bytes], tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "bag", source)
    doc = next((bag / "data" / "documents").iterdir())
    data = bytearray(doc.read_bytes())
    data[10] ^= 1
    doc.write_bytes(bytes(data))
    refused(run_cli, target, zip_bag(bag, tmp_path / "b.zip"), "SHA-256")
    refused(run_cli, target, bag.parent, "SHA-256")  # the unzipped folder too


@pytest.mark.parametrize("name, content, words", [
    ("records/orders.json", b"[{\"request_number\": ", "not valid JSON"),
    ("records/orders.json", b"{}", "not a JSON array"),
    ("records/widgets.json", b"[]", "not a records file of a known kind"),
    ("records/orders.json", b'[{"request_number": "X", "colour": "red"}]',
     "unknown column(s) colour"),
    ("records/orders.json", b'[{"request_number": "X", "request_date": "2026-02-30", '
                            b'"order_type": "new", "contractor": "A"}]', "not a date"),
    ("records/orders.json", b'[{"request_number": "X", "request_date": "2026-02-03", '
                            b'"order_type": "new", "contractor": "A", "monthly_cost": 1.234}]',
     "whole cents"),
    ("records/orders.json", b'[{"request_number": "X", "request_date": "2026-02-03", '
                            b'"order_type": "new", "contractor": "A", '
                            b'"delegation_required": "yes"}]', "not true or false"),
    ("records/orders.json", b'[{"request_number": "X", "request_date": "2026-02-03", '
                            b'"order_type": "swap", "contractor": "A"}]', "not one of"),
    ("records/orders.json", b'[{"request_number": "X", "request_date": "2026-02-03", '
                            b'"order_type": "new", "contractor": "A", '
                            b'"exemption_id": "E-404"}]',
     "orders.json: its content differs (not what the history explains)"),
    ("records/contracts.json", b'[{"contract_number": "C", "generation": "calnet-3", '
                               b'"contractor": "A", "categories": "voice"}]',
     "not a list of texts"),
])
def test_malformed_records_are_refused(run_cli: Any, target: Path, source: dict[str, bytes],
                                       tmp_path: Path, name: str, content: bytes,
                                       words: str) -> None:
    bag = write_bag(tmp_path / "bag", {**source, name: content})  # manifests made anew
    refused(run_cli, target, zip_bag(bag, tmp_path / "b.zip"), words)


def test_another_agencys_bundle(run_cli: Any, target: Path, reg: Register,
                                tmp_path: Path) -> None:
    fill(reg, tmp_path)
    with reg.transaction() as tx:
        tx.set_agency({**reg.agency(), "name": "Department of Elsewhere"})
    z = zip_bag(write_bag(tmp_path / "bag", bag_payload(reg)), tmp_path / "b.zip")
    refused(run_cli, target, z, "Department of Elsewhere", "--allow-other-agency")
    r = run_cli("merge-bundle", str(z), "--allow-other-agency")
    assert r.code == 0, r


def test_a_redacted_bundle_is_refused(run_cli: Any, target: Path, reg: Register,
                                      tmp_path: Path) -> None:
    fill(reg, tmp_path)
    z = zip_bag(write_bag(tmp_path / "bag", bag_payload(reg, redact=True)), tmp_path / "b.zip")
    refused(run_cli, target, z, "redacted")


# --- merging -------------------------------------------------------------------------------


def test_dependency_order() -> None:
    names = [k.name for k in dependency_order()]
    assert names.index("delegations") < names.index("exemptions") < names.index("orders")
    assert names.index("exemptions") < names.index("outside-contracts")


def test_merge_into_an_empty_register(run_cli: Any, target: Path, bundle: Path,
                                      reg: Register) -> None:
    sha = hashlib.sha256(bundle.read_bytes()).hexdigest()
    before = snapshot(target)
    dry = run_cli("merge-bundle", str(bundle), "--dry-run")
    assert dry.code == 0, dry
    assert "Would merge" in dry.out and "5 added" in dry.out and "1 document(s)" in dry.out
    assert "1 link(s)" in dry.out and "nothing was written" in dry.out
    assert snapshot(target) == before

    r = run_cli("merge-bundle", str(bundle))
    assert r.code == 0, r
    assert "5 added, 0 identical skipped, 0 conflict(s)" in r.out
    assert sha in r.out
    seeded = {s["contract_number"] for s in seed_contracts()}  # init's, kept as they were
    for kind in KINDS:
        mine = [r for r in json.loads(run_cli("list", kind, "--json").out)
                if kind != "contracts" or r["contract_number"] not in seeded]
        assert mine == [record_json(KINDS[kind], x) for x in reg.records(KINDS[kind])]
    listed = json.loads(run_cli("documents", "orders", "HO-1", "--json").out)
    assert [d["sha256"] for d in listed] == [hashlib.sha256(DOC).hexdigest()]
    with Register.open(target) as mine_reg:
        merged = [e for e in mine_reg.history() if e["reason"] == f"merge bundle {sha}"]
    assert len(merged) == 5 + 2  # the records, the document and its link
    assert run_cli("verify").code == 0

    again = run_cli("merge-bundle", str(bundle), "--json")
    assert again.code == 0
    out = json.loads(again.out)
    assert out["merged"] and sum(out["skipped"].values()) == 5 and out["conflicts"] == []
    assert out["documents_added"] == 0 and out["links_added"] == 0


def test_conflicts_kept_or_taken(run_cli: Any, target: Path, bundle: Path) -> None:
    with Register.open(target, write=True) as mine, mine.transaction() as tx:
        tx.put(KINDS["delegations"], {"delegation_id": "D-1", "type": "general",
                                      "project": "Call center", "activities": ["planning"],
                                      "timeframe_end": "2027-06-30"})  # identical
        tx.put(KINDS["contracts"], {"contract_number": "C4-1", "generation": "calnet-3",
                                    "contractor": "Verizon", "categories": ["voice"]})
        tx.put(KINDS["people"], {"person_id": "P-9", "name": "Sam ATR", "role": "atr"})
    r = run_cli("merge-bundle", str(bundle))
    assert r.code == 0, r
    assert "3 added, 1 identical skipped, 1 conflict(s) kept as the register's" in r.out
    assert 'CONFLICT contracts C4-1: contractor: register "Verizon", bundle "AT&T"' in r.out
    assert json.loads(run_cli("show", "contracts", "C4-1", "--json").out)["contractor"] \
        == "Verizon"
    assert run_cli("show", "people", "P-9").code == 0  # the register's own stay

    r = run_cli("merge-bundle", str(bundle), "--prefer", "bundle", "--json")
    assert r.code == 0, r
    out = json.loads(r.out)
    assert out["conflicts"] == [{"kind": "contracts", "key": "C4-1", "fields": {
        "contractor": {"register": "Verizon", "bundle": "AT&T"}}}]
    assert json.loads(run_cli("show", "contracts", "C4-1", "--json").out)["contractor"] \
        == "AT&T"
    assert run_cli("verify").code == 0


def test_money_and_lists_round_trip_exactly(target: Path, reg: Register,
                                            tmp_path: Path) -> None:
    fill(reg, tmp_path)
    with reg.transaction() as tx:  # 0.07: a float a naive * 100 gets wrong
        tx.put(KINDS["orders"], {"request_number": "HO-1", "monthly_cost": 7,
                                 "one_time_cost": 1999999999})
    source = bag_payload(reg)
    assert json.loads(source["records/orders.json"])[0]["monthly_cost"] == 0.07
    z = zip_bag(write_bag(tmp_path / "bag", source), tmp_path / "b.zip")
    with Register.open(target, write=True) as reg:
        assert merge_bundle(reg, z).written
        order = reg.get(KINDS["orders"], "HO-1")
    assert order is not None
    assert order["monthly_cost"] == 7 and order["one_time_cost"] == 1999999999
    assert order["delegation_required"] is True


def test_the_unzipped_folder_merges_too(run_cli: Any, target: Path, source: dict[str, bytes],
                                        tmp_path: Path) -> None:
    bag = write_bag(tmp_path / "bag", source)
    r = run_cli("merge-bundle", str(bag), "--json")
    assert r.code == 0, r
    out = json.loads(r.out)
    assert out["sha256"] == hashlib.sha256(
        (bag / "tagmanifest-sha256.txt").read_bytes()).hexdigest()


def test_bad_usage(run_cli: Any, target: Path, bundle: Path) -> None:
    assert run_cli("merge-bundle", str(bundle), "--prefer", "mine").code == 2
    assert run_cli("merge-bundle").code == 2


def test_a_bundle_from_export_bundle_merges(run_cli: Any, target: Path, reg: Register,
                                            tmp_path: Path) -> None:
    fill(reg, tmp_path)
    out = tmp_path / "atr.zip"
    r = run_cli("--data-dir", str(reg.paths.root), "export-bundle", str(out),
                "--as-of", "2026-11-21")
    assert r.code == 0, r
    assert run_cli("verify-bundle", str(out)).code == 0
    r = run_cli("merge-bundle", str(out), "--json")
    assert r.code == 0, r
    result = json.loads(r.out)
    assert sum(result["added"].values()) == 5 and result["documents_added"] == 1
    assert result["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert run_cli("verify").code == 0
    assert run_cli("merge-bundle", str(out)).out.count("5 identical skipped") == 1
    redacted = tmp_path / "public.zip"
    assert run_cli("--data-dir", str(reg.paths.root), "export-bundle", str(redacted),
                   "--redact").code == 0
    refused(run_cli, target, redacted, "redacted")
