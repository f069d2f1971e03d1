"""Audit bundles: export-bundle makes a BagIt bag a stock validator and sha256sum accept,
byte-identical for the same as-of date; verify-bundle catches every tampering."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import threading
import zipfile
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest

from calnet_desk.exchange import bundle
from calnet_desk.exchange.bundle import (
    BundleError,
    parse_scope,
    verify_bag,
)
from calnet_desk.progress import Cancelled
from calnet_desk.records import KINDS
from calnet_desk.store import Register
from calnet_desk.store.documents import add_document, document_path, link, store_bytes

AS_OF = dt.date(2026, 12, 1)
OS_USER = "mjones-os"
PERSONAL = ("Maria Jones", "maria.jones@example.ca.gov", "916-555-0199", "Ana Signer",
            "Tom Placer", "Carl Signer")
BAG = f"calnet-bundle-{AS_OF.isoformat()}"


def fill(reg: Register) -> None:
    reg.user = OS_USER  # the OS user name the history records
    with reg.transaction("seed") as tx:
        tx.put(KINDS["people"], {"person_id": "P-1", "name": "Maria Jones", "role": "catr",
                                 "email": "maria.jones@example.ca.gov",
                                 "phone": "916-555-0199", "active": True})
        tx.put(KINDS["delegations"], {"delegation_id": "GD-1", "type": "general",
                                      "project": "PBX refresh", "signer": "Carl Signer"})
        tx.put(KINDS["delegations"], {"delegation_id": "CD-1", "type": "contract",
                                      "project": "Contract delegation"})
        tx.put(KINDS["exemptions"], {"exemption_id": "EX-1", "project": "Rural links",
                                     "signer": "Ana Signer", "general_delegation_id": "GD-1",
                                     "decision": "approved", "term_end": "2026-12-20"})
        tx.put(KINDS["orders"], {"request_number": "O-1", "request_date": "2026-01-05",
                                 "order_type": "new", "contractor": "AT&T",
                                 "exemption_id": "EX-1", "placed_by": "Tom Placer",
                                 "description": "=HYPERLINK(\"x\")", "monthly_cost": 12345})
        tx.put(KINDS["orders"], {"request_number": "O-2", "request_date": "2026-02-05",
                                 "order_type": "new", "contractor": "Verizon",
                                 "delegation_id": "CD-1", "placed_by": "Tom Placer"})
        tx.put(KINDS["orders"], {"request_number": "O-3", "request_date": "2026-03-05",
                                 "order_type": "change", "contractor": "Lumen"})
        tx.put(KINDS["atos"], {"ato_id": "ATO-1", "contractor": "AT&T",
                               "services": ["voice", "data"], "approved_on": "2025-01-10"})
    docs = {"EX-1": ("exemptions", b"exemption letter " * 100, "Exemption letter.pdf"),
            "O-2": ("orders", b"form 20 copy " * 50, "form 20.pdf"),
            "ATO-1": ("atos", b"ato " * 10, "Form 20.PDF"),  # a case collision with O-2's
            "O-3": ("orders", b"bad:name " * 3, "con.txt")}
    with reg.transaction("documents") as tx:
        for key, (kind, content, name) in docs.items():
            sha, size = store_bytes(reg.paths, content)
            add_document(tx, sha, name, size)
            link(tx, sha, KINDS[kind], key)


@pytest.fixture
def filled(reg: Register) -> Register:
    fill(reg)
    return reg


def unzip(zip_path: Path, dest: Path) -> Path:
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)
    return dest / BAG


def export(reg: Register, tmp_path: Path, name: str = "b.zip", **kw: Any) -> Path:
    out = tmp_path / name
    kw.setdefault("as_of", AS_OF)
    kw.setdefault("today", AS_OF)
    bundle.export_bundle(reg, out, kw.pop("scope", parse_scope("all")), **kw)
    return out


def rehash(bag: Path) -> None:
    """Rewrite both manifests, as a forger would, so only the deeper checks remain."""
    lines = []
    for path in sorted((bag / "data").rglob("*")):
        if path.is_file():
            lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  "
                         f"{path.relative_to(bag).as_posix()}\n")
    (bag / "manifest-sha256.txt").write_text("".join(lines), encoding="utf-8")
    tags = "".join(f"{hashlib.sha256((bag / n).read_bytes()).hexdigest()}  {n}\n"
                   for n in ("bag-info.txt", "bagit.txt", "manifest-sha256.txt"))
    (bag / "tagmanifest-sha256.txt").write_text(tags, encoding="utf-8")


def records_of(bag: Path, kind: str) -> list[dict[str, Any]]:
    path = bag / "data" / "records" / f"{kind}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []


# --- the bag ------------------------------------------------------------------------------


def test_bag_passes_bagit_and_sha256sum(filled: Register, tmp_path: Path) -> None:
    bagit = pytest.importorskip("bagit")
    bag = unzip(export(filled, tmp_path), tmp_path / "x")
    bagit.Bag(str(bag)).validate()
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "-c", "--quiet", "manifest-sha256.txt"], cwd=bag,
                       check=True)
        subprocess.run(["sha256sum", "-c", "--quiet", "tagmanifest-sha256.txt"], cwd=bag,
                       check=True)
    assert verify_bag(bag) == []
    assert (bag / "bagit.txt").read_text() == ("BagIt-Version: 1.0\n"
                                               "Tag-File-Character-Encoding: UTF-8\n")
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    head = filled.history()[-1]["hash"]
    for line in ("Source-Organization: Department of Testing", "Contact-Name: Maria Jones",
                 f"Bagging-Date: {AS_OF.isoformat()}", "Bundle-Scope: all",
                 f"History-Chain-Head: {head}", "Agency-Class: non-exempt-state",
                 "Redacted: no", "External-Description: "):
        assert line in info
    # the layout the merge relies on
    names = {p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_file()}
    for kind in KINDS:
        for ext in ("csv", "xlsx", "json"):
            assert f"data/records/{kind}.{ext}" in names
    assert {"data/documents.json", "data/history/entries.jsonl", "data/history/chain.csv",
            "data/summary.pdf"} <= names
    chain = (bag / "data/history/chain.csv").read_text().splitlines()
    assert chain[0] == "id,at,kind,key,action,refs,body,prev,hash"
    assert len(chain) == len(filled.history()) + 1
    entries = [json.loads(x) for x in (bag / "data/history/entries.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert entries == [{k: v for k, v in e.items() if k != "body"} for e in filled.history()]


def test_bundles_follow_the_published_bagit_profile(filled: Register, tmp_path: Path) -> None:
    """bag-info.txt names the profile (calnet_desk/data/bagit-profile.json); every bundle
    passes the stock profile validator (the conftest checks each one a test makes), and a
    bag-info.txt the profile does not allow fails it."""
    import bagit_profile

    from calnet_desk.exchange.bundle.layout import PROFILE_IDENTIFIER
    from calnet_desk.exchange.bundle.layout import bagit_profile as ours
    from calnet_desk.records import AGENCY_CLASSES

    profile = ours()
    assert PROFILE_IDENTIFIER == "urn:calnet-desk:bagit-profile:audit-bundle:2"
    assert profile["Bag-Info"]["Agency-Class"]["values"] == ["", *AGENCY_CLASSES]
    assert profile["Bag-Info"]["Bundle-Format-Version"]["values"] == ["2"]
    for scope, redact in (("all", False), ("exemption:EX-1", True), ("since:2026-01-01", False)):
        zip_path = export(filled, tmp_path, f"{scope[:3]}-{redact}.zip",
                          scope=parse_scope(scope), redact=redact)
        bag = unzip(zip_path, tmp_path / zip_path.stem)
        info = (bag / "bag-info.txt").read_text(encoding="utf-8")
        assert f"\nBagIt-Profile-Identifier: {PROFILE_IDENTIFIER}\n" in info
    validator = bagit_profile.Profile(PROFILE_IDENTIFIER, profile=ours())
    import bagit

    for edit, why in ((lambda t: t.replace("Redacted: no", "Redacted: maybe"), "Redacted"),
                      (lambda t: t.replace("Bundle-Scope: all\n", ""), "Bundle-Scope"),
                      (lambda t: t.replace(f"BagIt-Profile-Identifier: {PROFILE_IDENTIFIER}",
                                           "BagIt-Profile-Identifier: urn:other"),
                       "BagIt-Profile-Identifier")):
        bag = unzip(export(filled, tmp_path, "edited.zip"), tmp_path / f"edit-{why}")
        text = (bag / "bag-info.txt").read_text(encoding="utf-8")
        (bag / "bag-info.txt").write_text(edit(text), encoding="utf-8")
        assert not validator.validate(bagit.Bag(str(bag)))
        assert why in str(validator.report)


def test_documents_get_safe_unique_names(filled: Register, tmp_path: Path) -> None:
    bag = unzip(export(filled, tmp_path), tmp_path / "x")
    docs = json.loads((bag / "data/documents.json").read_text(encoding="utf-8"))
    files = [d["file"] for d in docs]
    assert len({f.casefold() for f in files}) == len(files) == 4
    assert "data/documents/con_.txt" in files  # a Windows-reserved name made safe
    for d in docs:
        content = (bag / d["file"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == d["sha256"] and len(content) == d["size"]
        assert set(d) == {"sha256", "name", "size", "media_type", "added_at", "file", "links"}
    ato_doc = next(d for d in docs if d["name"] == "Form 20.PDF")
    assert ato_doc["links"] == [{"kind": "atos", "key": "ATO-1"}]


def test_record_files_match_list_json_and_are_formula_safe(filled: Register, run_cli: Any,
                                                          tmp_path: Path) -> None:
    bag = unzip(export(filled, tmp_path), tmp_path / "x")
    listed = run_cli("--data-dir", str(filled.paths.root), "list", "orders", "--json")
    assert records_of(bag, "orders") == json.loads(listed.out)
    csv_text = (bag / "data/records/orders.csv").read_bytes()
    assert csv_text.startswith(b"\xef\xbb\xbf") and b"'=HYPERLINK" in csv_text
    import openpyxl

    wb = openpyxl.load_workbook(bag / "data/records/orders.xlsx")
    cells = {c.value: c for row in wb.worksheets[0].iter_rows() for c in row}
    formula = cells["=HYPERLINK(\"x\")"]  # the text as typed, a string cell, quote-prefixed
    assert formula.data_type == "s" and formula.quotePrefix
    assert wb.properties.created == dt.datetime(2026, 12, 1)


def test_same_as_of_gives_the_same_bytes(filled: Register, tmp_path: Path,
                                         clock: Any) -> None:
    first = export(filled, tmp_path, "a.zip")
    clock.now += dt.timedelta(hours=5)  # the clock moves on; the bundle does not
    second = export(filled, tmp_path, "b.zip")
    assert first.read_bytes() == second.read_bytes()
    with zipfile.ZipFile(first) as zf:
        infos = zf.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert all(i.compress_type == zipfile.ZIP_STORED and i.date_time == (2026, 12, 1, 0, 0, 0)
               and i.external_attr == 0o100644 << 16 for i in infos)  # -rw-r--r--
    assert {i.filename.split("/")[0] for i in infos} == {BAG}
    other = export(filled, tmp_path, "c.zip", as_of=dt.date(2026, 12, 2))
    assert other.read_bytes() != first.read_bytes()


def test_exporting_writes_nothing_into_the_history(filled: Register, tmp_path: Path,
                                                   run_cli: Any) -> None:
    before = filled.history()
    export(filled, tmp_path)
    run = run_cli("--data-dir", str(filled.paths.root), "export-bundle",
                  str(tmp_path / "cli.zip"), "--as-of", "2026-12-01")
    assert run.code == 0, run
    assert filled.history() == before


# --- scopes -------------------------------------------------------------------------------


def _keys(bag: Path) -> dict[str, list[str]]:
    out = {}
    for kind in KINDS.values():
        rows = records_of(bag, kind.name)
        if rows:
            out[kind.name] = [r[kind.key.name] for r in rows]
    return out


@pytest.mark.parametrize(("scope", "expected", "documents"), [
    ("exemption:EX-1", {"exemptions": ["EX-1"], "orders": ["O-1"], "delegations": ["GD-1"]},
     ["Exemption letter.pdf"]),
    ("exemptions:EX-1", {"exemptions": ["EX-1"], "orders": ["O-1"], "delegations": ["GD-1"]},
     ["Exemption letter.pdf"]),
    ("delegation:CD-1", {"delegations": ["CD-1"], "orders": ["O-2"]}, ["form 20.pdf"]),
    ("ato:ATO-1", {"atos": ["ATO-1"]}, ["Form 20.PDF"]),
])
def test_scopes_select_the_right_records(filled: Register, tmp_path: Path, scope: str,
                                         expected: dict[str, list[str]],
                                         documents: list[str]) -> None:
    bag = unzip(export(filled, tmp_path, scope=parse_scope(scope)), tmp_path / "x")
    assert _keys(bag) == expected
    docs = json.loads((bag / "data/documents.json").read_text(encoding="utf-8"))
    assert [d["name"] for d in docs] == documents
    entries = [json.loads(x) for x in (bag / "data/history/entries.jsonl").read_text(
        encoding="utf-8").splitlines()]
    kinds_keys = {(e["kind"], e["key"]) for e in entries if e["kind"] in KINDS}
    assert kinds_keys == {(k, key) for k, keys in expected.items() for key in keys}
    assert verify_bag(bag) == []


def test_scope_relations_come_from_the_fields_declared_references() -> None:
    """A scope of one record follows the references its fields declare (records.py) and the
    chain keeps in plain: an exemption's and a delegation's orders, an exemption's General
    Delegation; never the exemptions paired with a delegation, nor outside contracts, whose
    reference the chain does not carry."""
    from calnet_desk.exchange.bundle.scope import named_by, under
    from calnet_desk.store.history import SCOPE_REFS

    def names(pairs: list[Any]) -> list[str]:
        return [f"{k.name}.{f.name}" for k, f in pairs]

    assert names(under("exemptions")) == ["orders.exemption_id"]
    assert names(under("delegations")) == ["orders.delegation_id"]
    assert under("atos") == []
    assert [(f.name, f.references) for f in named_by("exemptions")] == [
        ("general_delegation_id", "delegations")]
    assert named_by("delegations") == named_by("atos") == []
    for kind_name, refs in SCOPE_REFS.items():
        if kind_name in KINDS:
            assert all(KINDS[kind_name].by_name[n].references for n in refs), kind_name


def test_since_scope_takes_records_changed_on_or_after_the_date(filled: Register,
                                                                tmp_path: Path,
                                                                clock: Any) -> None:
    clock.now = dt.datetime(2027, 2, 1, 12, tzinfo=dt.UTC)
    with filled.transaction() as tx:
        tx.put(KINDS["orders"], {"request_number": "O-3", "status": "submitted"})
    bag = unzip(export(filled, tmp_path, scope=parse_scope("since:2027-02-01"),
                       as_of=dt.date(2027, 2, 1)), tmp_path / "x").parent / \
        "calnet-bundle-2027-02-01"
    assert _keys(bag) == {"orders": ["O-3"]}
    assert verify_bag(bag) == []


def test_scope_errors(filled: Register, run_cli: Any, tmp_path: Path) -> None:
    root = str(filled.paths.root)
    out = str(tmp_path / "b.zip")
    for bad in ("bogus:1", "exemption", "since:2026-13-01", "orders:O-1"):
        assert run_cli("--data-dir", root, "export-bundle", out, "--scope", bad).code == 2
    run = run_cli("--data-dir", root, "export-bundle", out, "--scope", "exemption:NOPE")
    assert run.code == 1 and "no exemption NOPE" in run.err
    assert not Path(out).exists()


# --- redaction -----------------------------------------------------------------------------


def _all_text(bag: Path) -> str:
    import openpyxl
    from pypdf import PdfReader

    parts = []
    for path in sorted(bag.rglob("*")):
        if not path.is_file() or "documents" in path.parent.name:
            continue
        if path.suffix == ".xlsx":
            wb = openpyxl.load_workbook(path)
            parts += [str(c.value) for row in wb.worksheets[0].iter_rows() for c in row]
        elif path.suffix == ".pdf":
            parts += [page.extract_text() for page in PdfReader(path).pages]
        else:
            parts.append(path.read_text(encoding="utf-8"))
    return "\n".join(parts)


def test_redaction_drops_personal_fields_and_user_names(filled: Register,
                                                         tmp_path: Path) -> None:
    plain = unzip(export(filled, tmp_path, "plain.zip"), tmp_path / "plain")
    text = _all_text(plain)
    assert all(value in text for value in (*PERSONAL, OS_USER))
    bag = unzip(export(filled, tmp_path, redact=True), tmp_path / "x")
    text = _all_text(bag)
    for value in (*PERSONAL, OS_USER):
        assert value not in text
    for kind in KINDS.values():
        for row in records_of(bag, kind.name):
            assert all(row[f.name] is None for f in kind.fields if f.personal)
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    assert "Redacted: yes" in info and "Redaction: " in info
    assert "Contact-Name: [redacted]" in info
    entries = [json.loads(x) for x in (bag / "data/history/entries.jsonl").read_text(
        encoding="utf-8").splitlines()]
    assert {e["user"] for e in entries} == {"[redacted]"}
    assert verify_bag(bag) == []  # every shown value proved by its leaf salt


# --- verify catches every tampering -------------------------------------------------------


@pytest.fixture
def bag(filled: Register, tmp_path: Path) -> Path:
    return unzip(export(filled, tmp_path), tmp_path / "x")


def _verify(run_cli: Any, path: Path) -> tuple[int, str]:
    run = run_cli("verify-bundle", str(path))
    return run.code, run.out


def _flip(path: Path, at: int = 10) -> None:
    os.chmod(path, stat.S_IREAD | stat.S_IWRITE)
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_sound_bundle_exits_0_as_zip_and_folder(filled: Register, run_cli: Any,
                                                tmp_path: Path) -> None:
    zip_path = export(filled, tmp_path)
    assert _verify(run_cli, zip_path)[0] == 0
    bag = unzip(zip_path, tmp_path / "x")
    assert _verify(run_cli, bag)[0] == 0
    assert _verify(run_cli, tmp_path / "x")[0] == 0  # the folder holding the bag folder


@pytest.mark.parametrize(("tamper", "expected"), [
    (lambda b: _flip(b / "data/records/orders.csv"),
     "data/records/orders.csv does not match"),
    (lambda b: _flip(next((b / "data/documents").iterdir()), 3), "does not match its SHA-256"),
    (lambda b: _flip(b / "bag-info.txt", 5), "bag-info.txt does not match"),
    (lambda b: (b / "data/extra.txt").write_text("x"), "data/extra.txt is not in manifest"),
    (lambda b: (b / "notes.txt").write_text("x"), "notes.txt is not in tagmanifest"),
    (lambda b: (b / "data/records/atos.json").unlink(), "data/records/atos.json is listed"),
    (lambda b: (b / "bagit.txt").unlink(), "bagit.txt is missing"),
    (lambda b: (b / "tagmanifest-sha256.txt").unlink(), "tagmanifest-sha256.txt is missing"),
    (lambda b: _flip(b / "data/history/entries.jsonl", 40), "entries.jsonl does not match"),
    (lambda b: _flip(b / "data/history/chain.csv", 30), "chain.csv does not match"),
])
def test_every_tampering_is_caught(bag: Path, run_cli: Any, tamper: Any,
                                   expected: str) -> None:
    tamper(bag)
    code, out = _verify(run_cli, bag)
    assert code == 1 and expected in out, out


def _edit_entry(bag: Path, edit: Any) -> None:
    path = bag / "data/history/entries.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines()
    entry = json.loads(lines[2])
    edit(entry)
    from calnet_desk.store.history import canonical_json

    lines[2] = canonical_json(entry)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _edit_chain(bag: Path) -> None:
    """Change entry 2's hash in the chain skeleton."""
    path = bag / "data/history/chain.csv"
    lines = path.read_text().splitlines()
    lines[2] = lines[2][:-1] + ("1" if lines[2][-1] == "0" else "0")
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize(("tamper", "expected"), [
    (lambda b: _edit_entry(b, lambda e: e.update(reason="edited")),
     "entry 3 is not the entry data/history/chain.csv links (its content was changed)"),
    (lambda b: _edit_entry(b, lambda e: e.update(hash="1" * 64)),
     "entry 3 is not the entry data/history/chain.csv links"),
    (_edit_chain, "chain.csv line 3: entry 2's hash is not SHA-256(prev + digest)"),
    (lambda b: (b / "bag-info.txt").write_text(
        (b / "bag-info.txt").read_text().replace("History-Chain-Head: ",
                                                 "History-Chain-Head: 0")),
     "History-Chain-Head in bag-info.txt"),
    (lambda b: (b / "bag-info.txt").write_text(
        (b / "bag-info.txt").read_text().replace("Payload-Oxum: ", "Payload-Oxum: 1")),
     "Payload-Oxum"),
])
def test_forged_manifests_do_not_hide_history_edits(bag: Path, run_cli: Any, tamper: Any,
                                                    expected: str) -> None:
    tamper(bag)
    rehash(bag)  # the manifests agree with the edit: only the deeper checks can tell
    code, out = _verify(run_cli, bag)
    assert code == 1 and expected in out, out


def test_a_changed_byte_in_the_zip_is_caught(filled: Register, run_cli: Any,
                                             tmp_path: Path) -> None:
    zip_path = export(filled, tmp_path)
    data = zip_path.read_bytes()
    at = data.index(b"request_number")  # inside the STORED orders.csv
    zip_path.write_bytes(data[:at] + b"R" + data[at + 1:])
    code, out = _verify(run_cli, zip_path)
    assert code == 1 and out.strip(), out


# --- streaming, cancel, failure -----------------------------------------------------------


def _big_document(reg: Register) -> str:
    content = os.urandom(3 << 20)
    with reg.transaction() as tx:
        sha, size = store_bytes(reg.paths, content)
        add_document(tx, sha, "big scan.pdf", size)
        link(tx, sha, KINDS["orders"], "O-3")
    return sha


def test_cancel_leaves_no_partial_file(filled: Register, tmp_path: Path) -> None:
    _big_document(filled)
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)

    def cancelled() -> bool:
        return any(d > 1 << 20 for d in seen)  # half-way through the big document

    with pytest.raises(Cancelled):
        export(filled, tmp_path, progress=progress, cancelled=cancelled)
    assert list(tmp_path.glob("b.zip*")) == []


def test_a_damaged_stored_document_fails_and_leaves_nothing(filled: Register,
                                                            tmp_path: Path) -> None:
    sha = _big_document(filled)
    _flip(document_path(filled.paths, sha), 2 << 20)
    with pytest.raises(BundleError, match="does not match its SHA-256"):
        export(filled, tmp_path)
    assert list(tmp_path.glob("b.zip*")) == []


def test_summary_pdf_names_the_agency_scope_and_findings(filled: Register,
                                                         tmp_path: Path) -> None:
    from pypdf import PdfReader

    bag = unzip(export(filled, tmp_path, scope=parse_scope("exemption:EX-1")),
                tmp_path / "x")
    reader = PdfReader(bag / "data/summary.pdf")
    text = " ".join(p.extract_text() for p in reader.pages)
    for needle in ("Department of Testing", "Maria Jones", "exemption:EX-1", "12/01/2026",
                   "EX-1", "O-1", "GD-1", "STMM 501.0", "Exemption term ends", "Due soon"):
        assert needle in text, needle
    # words, not codes: the rule set's labels for deadlines and findings, choices' labels
    for code in ("exemption-term-end", "due-soon", "non-exempt-state"):
        assert code not in text, code
    assert reader.metadata is not None and reader.metadata.creation_date is not None
    assert reader.metadata.creation_date.date() == AS_OF


def _summary(bag: Path) -> Path:
    return bag / "data" / "summary.pdf"


def test_summary_pdf_is_tagged_in_reading_order(filled: Register, tmp_path: Path) -> None:
    """Issue 17 item 4: a screen reader meets headings, paragraphs and tables with header
    cells, in the order a sighted reader reads them; title, language and marks are set."""
    from pdf_structure import catalog, in_order, structure, table_rows, tagged

    path = _summary(unzip(export(filled, tmp_path), tmp_path / "x"))
    assert tagged(path) == "yes"
    assert catalog(path) == {"lang": "en-US", "marked": True, "display_doc_title": True}
    tree = structure(path)
    assert [n.role for n in tree.kids] == ["Document"]
    doc = tree.kids[0]
    top = [(n.role, n.text()) for n in doc.kids]
    assert top[0] == ("H1", "CALNET audit bundle")
    headings = [text for role, text in top if role == "H2"]
    assert headings == ["Records", "Open findings as of 12/01/2026 (8)",
                        "Deadlines as of 12/01/2026 (2)", "Orders (STD. 20) (3)",
                        "Exemptions (1)", "Delegations (2)", "ATOs (1)", "People (1)",
                        "Citations"]
    # every heading is followed by what belongs under it: a table (header row of TH
    # cells) or a paragraph
    roles = [role for role, _ in top]
    for i, role in enumerate(roles):
        if role == "H2":
            assert roles[i + 1] in ("Table", "P"), top[i]
    facts = doc.kids[2]
    assert facts.role == "L" and [li.text() for li in facts.all("LI")][:2] == [
        "Agency Department of Testing", "Agency class Non-exempt state"]
    tables = doc.all("Table")
    for table in tables:
        header = table.all("THead")[0]
        assert header.all("TH") and not header.all("TD")
    rows = table_rows(tables[2])  # the deadlines
    assert rows[0] == ["Date", "Status", "Deadline", "Record", "Citation"]
    assert rows[1] == ["12/20/2026", "Due soon", "Exemption term ends", "Exemption EX-1",
                       "SAM 4605"]
    orders = table_rows(tables[3])
    assert [r[0] for r in orders] == ["Request number", "O-1", "O-2", "O-3"]
    assert table_rows(tables[6])[0] == ["ATO id", "Contractor", "Approved on"]  # no blank
    # the whole text in reading order: the letterhead, the facts, then section by section
    texts = [n.text() for n in doc.kids]
    assert in_order(texts, ["CALNET audit bundle", "Department of Testing"])
    assert texts.index("Citations") == len(texts) - 3


def test_summary_wraps_findings_whole(filled: Register, tmp_path: Path) -> None:
    """Issue 17 item 5: a finding's message is never cut with an ellipsis; it wraps."""
    from pdf_structure import structure, table_rows

    from calnet_desk.policy.findings import findings

    bag = unzip(export(filled, tmp_path), tmp_path / "x")
    path = _summary(bag)
    rows = table_rows(structure(path).all("Table")[1])
    assert rows[0] == ["Severity", "Finding", "Record", "Citation"]
    # every finding, whole, is in data/findings.csv too (the summary lists the first 250)
    listed = list(csv.DictReader(io.StringIO(
        (bag / "data" / "findings.csv").read_text(encoding="utf-8-sig"))))
    assert [r["message"] for r in listed] == [f.message for f in findings(filled, AS_OF)]
    assert {r["finding"] for r in listed} >= {"Exemption without an approved General "
                                              "Delegation"}
    messages = [f.message for f in findings(filled, AS_OF)]
    assert messages and any(len(m) > 150 for m in messages)
    def squeezed(text: str) -> str:  # a line may break after a hyphen
        return "".join(text.split())

    for message in messages:
        assert any(squeezed(row[1]).endswith(squeezed(message)) for row in rows[1:]), message
    assert "…" not in " ".join(" ".join(r) for r in rows)


def test_summary_shows_markup_as_typed(reg: Register, tmp_path: Path) -> None:
    """Values go to the typesetter as data: Typst markup in them prints as typed."""
    from pdf_structure import structure

    typed = 'Dept. of *Bold* #panic("x") $x$ ] [ \\ <lbl> @ref // not a comment'
    with reg.transaction("seed") as tx:
        tx.set_agency({"name": typed, "agency_class": "non-exempt-state"})
    path = _summary(unzip(export(reg, tmp_path, as_of=None), tmp_path / "x"))
    assert structure(path).kids[0].kids[1].text() == typed


def test_as_of_summary_judges_the_register_of_that_day(reg: Register, clock: Any,
                                                       tmp_path: Path) -> None:
    """Issue 17: a bundle --as-of D shows the findings and deadlines of the register as it
    stood at the end of D, not those of today's records."""
    from pdf_structure import structure

    clock.now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)  # after the register began
    with reg.transaction("seed") as tx:
        tx.set_agency({"name": "Department of Testing", "agency_class": "non-exempt-state"})
        tx.put(KINDS["exemptions"], {"exemption_id": "EX-9", "project": "Old links",
                                     "decision": "denied", "term_end": "2026-12-20"})
        tx.put(KINDS["orders"], {"request_number": "O-9", "request_date": "2026-11-25",
                                 "order_type": "new", "contractor": "AT&T",
                                 "exemption_id": "EX-9"})
    clock.now = dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC)
    with reg.transaction("approved after all") as tx:
        tx.put(KINDS["exemptions"], {"exemption_id": "EX-9", "project": "Old links",
                                     "decision": "approved", "decided_on": "2026-11-01",
                                     "term_end": "2027-12-20"})

    def summary(name: str, as_of: dt.date) -> str:
        zipped = export(reg, tmp_path, name, as_of=as_of, today=dt.date(2027, 1, 11))
        return " ".join(n.text() for n in structure(
            _summary(unzip_as_of(zipped, tmp_path / f"{name}.d", as_of))).walk()[:1])

    then = summary("then.zip", dt.date(2026, 12, 15))
    assert "Order under a denied exemption" in then
    assert "Deadlines as of 12/15/2026 (0)" in then  # a denied exemption's term: none
    now = summary("now.zip", dt.date(2027, 1, 11))
    assert "Order under a denied exemption" not in now
    assert "12/20/2027 Upcoming Exemption term ends Exemption EX-9" in now


def unzip_as_of(zip_path: Path, dest: Path, as_of: dt.date) -> Path:
    with zipfile.ZipFile(zip_path) as zf:
        zf.extractall(dest)
    return dest / f"calnet-bundle-{as_of.isoformat()}"


def test_the_column_guide_explains_every_column(filled: Register, run_cli: Any,
                                                tmp_path: Path) -> None:
    """Issue 17 item 5: the record files keep their canonical columns and codes; the bag's
    data/columns.csv gives the auditor each column's label, format, choices in words, help
    and source (from the fields' declarations). It is in the manifest and verify accepts
    the bag; a changed guide is caught like any payload file."""
    zipped = export(filled, tmp_path)
    bag = unzip(zipped, tmp_path / "x")
    raw = (bag / "data" / "columns.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw[3:].decode("utf-8"))))
    assert list(rows[0]) == ["file", "column", "label", "required", "format", "choices",
                             "help", "source"]
    manifest = (bag / "manifest-sha256.txt").read_text(encoding="utf-8")
    assert "  data/columns.csv\n" in manifest
    for kind_name in ("orders", "exemptions", "delegations", "atos", "people"):
        header = (bag / "data" / "records" / f"{kind_name}.csv").read_text(
            encoding="utf-8-sig").splitlines()[0].split(",")
        guided = [r for r in rows if r["file"] == f"records/{kind_name}.csv|.xlsx|.json"]
        assert [r["column"] for r in guided] == header  # every column, in order, once
        for r in guided:
            f = KINDS[kind_name].by_name[r["column"]]
            assert r["label"] == f.label and r["help"] == " ".join(f.help.split())
            assert r["source"] == (f.citation if f.citation not in ("", "design")
                                   else "CALNET Desk's design (no policy text behind it)")
    status = {r["column"]: r for r in rows if r["file"].startswith("records/orders.")}
    assert "in-progress = In progress" in status["status"]["choices"]
    assert status["request_date"]["format"].startswith("date, YYYY-MM-DD")
    assert [r["column"] for r in rows if r["file"] == "history/chain.csv"] == [
        "id", "at", "kind", "key", "action", "refs", "body", "prev", "hash"]
    assert _verify(run_cli, zipped)[0] == 0
    (bag / "data" / "columns.csv").write_bytes(raw.replace(b"Request date", b"Order date"))
    code, out = _verify(run_cli, bag)
    assert code == 1 and "data/columns.csv does not match its SHA-256" in out


def test_summary_passes_typsts_own_pdf_ua_checks(filled: Register) -> None:
    """Typst checks the PDF/UA-1 rules it knows of when asked to write PDF/UA-1 (headings
    in order, table headers, title, language). No independent validator (veraPDF) is run
    here, so the bundle does not claim PDF/UA conformance; this test keeps the document
    within what Typst checks."""
    from calnet_desk.exchange.bundle import Redactor
    from calnet_desk.exchange.bundle.scope import select
    from calnet_desk.exchange.pdf import typeset
    from calnet_desk.exchange.summary import summary_document

    scope = parse_scope("all")
    data, created = summary_document(filled, select(filled, scope), scope, AS_OF,
                                     Redactor(False, ()))
    assert typeset("document", data, created, ua_checks=True).startswith(b"%PDF-")


# --- forged bundles (issue 14 item 4): replay the forgeries --------------------------------


def _oxum(bag: Path) -> None:
    """Recompute Payload-Oxum as a forger would (then rehash the manifests)."""
    files = [p for p in (bag / "data").rglob("*") if p.is_file()]
    info = (bag / "bag-info.txt").read_text(encoding="utf-8").splitlines()
    oxum = f"{sum(p.stat().st_size for p in files)}.{len(files)}"
    info = [f"Payload-Oxum: {oxum}" if x.startswith("Payload-Oxum:") else x for x in info]
    (bag / "bag-info.txt").write_text("\n".join(info) + "\n", encoding="utf-8")
    rehash(bag)


def _rewrite_json(path: Path, edit: Any) -> None:
    rows = json.loads(path.read_text(encoding="utf-8"))
    rows = edit(rows)
    path.write_text(json.dumps(rows, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _entries(bag: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in (bag / "data/history/entries.jsonl").read_text(
        encoding="utf-8").splitlines()]


def _write_entries(bag: Path, entries: list[dict[str, Any]]) -> None:
    from calnet_desk.store.history import canonical_json

    (bag / "data/history/entries.jsonl").write_text(
        "".join(canonical_json(e) + "\n" for e in entries), encoding="utf-8")


def forge_order(bag: Path) -> None:
    """O-1's monthly cost to $1.00 and placed_by to another name, in orders.json and in
    the entry that inserted it."""
    def edit(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            if row["request_number"] == "O-1":
                row.update(monthly_cost=1, placed_by="Someone Else")
        return rows

    _rewrite_json(bag / "data/records/orders.json", edit)
    entries = _entries(bag)
    for e in entries:
        if e["kind"] == "orders" and e["key"] == "O-1":
            e["changes"]["monthly_cost"][1] = 100
    _write_entries(bag, entries)


def forge_document(bag: Path) -> None:
    """Another content for EX-1's letter, documents.json updated to match it."""
    def edit(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for doc in docs:
            if doc["name"] == "Exemption letter.pdf":
                content = b"a different letter"
                (bag / doc["file"]).write_bytes(content)
                doc.update(sha256=hashlib.sha256(content).hexdigest(), size=len(content))
        return docs

    _rewrite_json(bag / "data/documents.json", edit)


def forge_removal(bag: Path) -> None:
    """O-1 taken out: from orders.json and with every history entry about it."""
    _rewrite_json(bag / "data/records/orders.json",
                  lambda rows: [r for r in rows if r["request_number"] != "O-1"])
    kept = [e for e in _entries(bag) if (e["kind"], e["key"]) != ("orders", "O-1")
            and not e["key"].startswith("orders:O-1:")]
    _write_entries(bag, kept)
    info = (bag / "bag-info.txt").read_text(encoding="utf-8").splitlines()
    info = [f"History-Entries: {len(kept)}" if x.startswith("History-Entries:") else x
            for x in info]
    (bag / "bag-info.txt").write_text("\n".join(info) + "\n", encoding="utf-8")


@pytest.mark.parametrize("redact", [False, True], ids=["full", "redacted"])
@pytest.mark.parametrize("scope", ["all", "exemption:EX-1", "since:2000-01-01"])
@pytest.mark.parametrize(("forge", "expected"), [
    (forge_order, "not the entry data/history/chain.csv links"),
    (forge_document, "data/documents.json lacks document"),
    (forge_removal, "lacks entry"),
], ids=["changed-order", "changed-document", "removed-record"])
def test_a_forged_bundle_does_not_verify(filled: Register, run_cli: Any, tmp_path: Path,
                                         forge: Any, expected: str, scope: str,
                                         redact: bool) -> None:
    bag = unzip(export(filled, tmp_path, scope=parse_scope(scope), redact=redact),
                tmp_path / "x")
    assert verify_bag(bag) == []
    forge(bag)
    _oxum(bag)  # both manifests and Payload-Oxum agree with the forgery
    code, out = _verify(run_cli, bag)
    assert code == 1 and expected in out, out


def test_a_record_file_that_says_other_than_its_history_does_not_verify(
        bag: Path, run_cli: Any) -> None:
    """Only the record file edited (the history left alone): the replay tells."""
    _rewrite_json(bag / "data/records/orders.json",
                  lambda rows: [{**r, "monthly_cost": 1} for r in rows])
    _oxum(bag)
    code, out = _verify(run_cli, bag)
    assert code == 1 and "data/records/orders.json: its content differs" in out, out


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("monthly_cost", 1, "row 2 column monthly_cost differs"),
    ("request_date", "2020-01-02", "row 2 column request_date differs"),
    ("quantity", 7, "row 2 column quantity differs"),
    ("description", "Another line", "row 2 column description differs"),
])
def test_a_spreadsheet_that_says_other_than_its_history_does_not_verify(
        filled: Register, bag: Path, field: str, value: Any, expected: str) -> None:
    """Only orders.xlsx rewritten with one cell changed: verify reads its rows back (whole
    rows compared first, then cell by cell) and names the cell."""
    from calnet_desk.exchange.bundle.layout import records_xlsx

    path = bag / "data/records/orders.xlsx"
    rows = filled.records(KINDS["orders"])
    assert records_xlsx(KINDS["orders"], rows, AS_OF) == path.read_bytes()  # as exported
    rows[0][field] = value
    path.write_bytes(records_xlsx(KINDS["orders"], rows, AS_OF))
    _oxum(bag)
    assert verify_bag(bag) == [f"data/records/orders.xlsx: {expected} (not what the history "
                               "explains)"]


def _rechain(bag: Path, entries: list[dict[str, Any]]) -> str:
    """Write the entries and recompute chain.csv from them, as a forger who rewrites the
    whole chain would: every body, prev and hash. The new head is returned."""
    from calnet_desk.exchange.bundle.layout import CHAIN_COLUMNS, read_chain
    from calnet_desk.exchange.bundle.redact import body_of_shown
    from calnet_desk.store.history import canonical_json, entry_digest, link_hash

    chain = read_chain(bag / "data/history/chain.csv", [])
    prev = "0" * 64
    by_id = {e["id"]: e for e in entries}
    for row in chain:
        row["prev"] = prev
        if row["id"] in by_id:
            row["body"] = body_of_shown(by_id[row["id"]])
        row["hash"] = prev = link_hash(prev, entry_digest(
            {k: row[k] for k in ("id", "at", "kind", "key", "action", "refs")}, row["body"]))
        if row["id"] in by_id:
            by_id[row["id"]].update(prev=row["prev"], hash=row["hash"])
    _write_entries(bag, entries)
    with open(bag / "data/history/chain.csv", "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(CHAIN_COLUMNS)
        writer.writerows([canonical_json(row[c]) if c == "refs" else row[c]
                          for c in CHAIN_COLUMNS] for row in chain)
    return prev


@pytest.mark.parametrize(("field", "value"), [
    ("description", 5), ("monthly_cost", "12.34"), ("monthly_cost", 1.5),
    ("request_date", ["2026-01-05"]), ("order_type", True)])
def test_a_rechained_history_with_a_value_no_record_holds_is_named_not_a_crash(
        bag: Path, field: str, value: Any) -> None:
    """A forger rewrites the chain so that O-1's entry gives a field a value of the wrong
    type (a number for a text, a text for an amount…): verify names it, with no traceback,
    and the head printed at export would differ too."""
    entries = _entries(bag)
    for e in entries:
        if e["kind"] == "orders" and e["key"] == "O-1":
            e["changes"][field] = [None, value]
    head = _rechain(bag, entries)
    info = (bag / "bag-info.txt").read_text(encoding="utf-8").splitlines()
    info = [f"History-Chain-Head: {head}" if x.startswith("History-Chain-Head:") else x
            for x in info]
    (bag / "bag-info.txt").write_text("\n".join(info) + "\n", encoding="utf-8")
    _oxum(bag)
    problems = verify_bag(bag)
    wanted = f"the history gives orders field {field} a value that is not a"
    assert problems and all(wanted in p for p in problems), problems
    assert {p.split(":")[0] for p in problems} == {
        f"data/records/orders.{suffix}" for suffix in ("csv", "json", "xlsx")}


def test_records_json_is_what_json_dumps_writes() -> None:
    """The records files' JSON writer (the C encoder for plain rows) gives exactly
    json.dumps(rows, indent=2, ensure_ascii=False)."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from calnet_desk.exchange.bundle.layout import indented_rows

    scalar = st.none() | st.booleans() | st.integers() | st.text() | st.floats(
        allow_nan=False)
    value = st.recursive(scalar, lambda inner: st.lists(inner, max_size=3)
                         | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                         max_leaves=6)

    @settings(max_examples=300, deadline=None)
    @given(st.lists(st.dictionaries(st.text(max_size=8), value, max_size=5), max_size=4))
    def same(rows: list[dict[str, Any]]) -> None:
        assert indented_rows(rows) == json.dumps(rows, indent=2, ensure_ascii=False)

    same()


def test_a_forger_who_recomputes_the_chain_is_caught_by_the_head_given_at_export(
        filled: Register, run_cli: Any, tmp_path: Path) -> None:
    """Entries, chain, records and bag-info all rewritten consistently: only the head,
    which travels separately, tells."""
    from calnet_desk.exchange.bundle import layout as b

    zip_path = tmp_path / "b.zip"
    run = run_cli("--data-dir", str(filled.paths.root), "export-bundle", str(zip_path),
                  "--as-of", AS_OF.isoformat())
    assert run.code == 0
    head = filled.history()[-1]["hash"]
    assert f"History chain head: {head}" in run.out
    bag = unzip(zip_path, tmp_path / "x")
    entries = _entries(bag)
    for e in entries:
        if e["kind"] == "orders" and e["key"] == "O-1":
            e["changes"]["monthly_cost"][1] = 100
    prev = _rechain(bag, entries)
    orders = [{**r, "monthly_cost": 100 if r["request_number"] == "O-1" else r["monthly_cost"]}
              for r in filled.records(KINDS["orders"])]
    for name, content in ((".json", b.records_json), (".csv", b.records_csv)):
        (bag / f"data/records/orders{name}").write_bytes(content(KINDS["orders"], orders))
    (bag / "data/records/orders.xlsx").write_bytes(
        b.records_xlsx(KINDS["orders"], orders, AS_OF))
    info = (bag / "bag-info.txt").read_text(encoding="utf-8").replace(head, prev)
    (bag / "bag-info.txt").write_text(info, encoding="utf-8")
    _oxum(bag)
    assert _verify(run_cli, bag) == (0, ANY)  # consistent in itself: the threat the head answers
    run = run_cli("verify-bundle", str(bag), "--expect-head", head)
    assert run.code == 1 and f"the history chain ends at {prev}, not at the expected head" \
        in run.out, run.out
    assert run_cli("verify-bundle", str(zip_path), "--expect-head", head.upper()).code == 0


def test_a_redacted_bundle_proves_each_shown_value_and_hides_the_rest(
        filled: Register, tmp_path: Path) -> None:
    bag = unzip(export(filled, tmp_path, redact=True), tmp_path / "x")
    entries = _entries(bag)
    assert all("salt" not in e and set(e["proof"]) == {"commitments", "salts"}
               for e in entries)
    o1 = next(e for e in entries if e["key"] == "O-1")
    assert o1["changes"]["placed_by"] == [None, "[redacted]"]
    assert "changes/placed_by/1" in o1["proof"]["commitments"]
    assert o1["changes"]["monthly_cost"] == [None, 12345]
    # a hidden value cannot be turned into a shown one, nor a shown one changed
    for edit in (lambda e: e["changes"]["placed_by"].__setitem__(1, "Tom Placer"),
                 lambda e: e["changes"]["monthly_cost"].__setitem__(1, 100)):
        changed = [json.loads(json.dumps(e)) for e in entries]
        edit(next(e for e in changed if e["key"] == "O-1"))
        _write_entries(bag, changed)
        _oxum(bag)
        assert any("entry" in p for p in verify_bag(bag)), edit
    _write_entries(bag, entries)
    _oxum(bag)
    assert verify_bag(bag) == []



def test_bagging_date_is_the_day_the_bag_is_made(filled: Register, run_cli: Any,
                                                 tmp_path: Path) -> None:
    """RFC 8493: Bagging-Date is when the bag was prepared (--today), not the as-of date;
    the same as-of and --today give the same bytes."""
    args = ("--data-dir", str(filled.paths.root), "export-bundle")
    dates = ("--as-of", "2026-11-22", "--today", "2026-12-03")
    assert run_cli(*args, str(tmp_path / "a.zip"), *dates).code == 0
    assert run_cli(*args, str(tmp_path / "b.zip"), *dates).code == 0
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        info = zf.read("calnet-bundle-2026-11-22/bag-info.txt").decode()
    assert "Bagging-Date: 2026-12-03\n" in info and "Bundle-Format-Version: 2\n" in info


@pytest.mark.parametrize("scope", ["all", "exemption:EX-1", "since:2026-11-01"])
def test_as_of_is_the_register_as_it_stood_at_the_end_of_that_day(
        filled: Register, clock: Any, run_cli: Any, tmp_path: Path, scope: str) -> None:
    """Changed after the as-of date: the bundle shows the old values, rebuilt from the
    history, and verifies against the head of that day."""
    head = filled.history()[-1]
    clock.now += dt.timedelta(days=3)  # 2026-11-24
    with filled.transaction("later") as tx:
        tx.put(KINDS["orders"], {"request_number": "O-1", "monthly_cost": 100})
        tx.delete(KINDS["orders"], "O-3")
        tx.put(KINDS["orders"], {"request_number": "O-9", "request_date": "2026-11-24",
                                 "order_type": "new", "contractor": "AT&T",
                                 "exemption_id": "EX-1"})
    out = tmp_path / "b.zip"
    run = run_cli("--data-dir", str(filled.paths.root), "export-bundle", str(out), "--scope",
                  scope, "--as-of", "2026-11-22", "--today", "2026-12-01")
    assert run.code == 0, run
    assert f"History chain head: {head['hash']}" in run.out
    bag = unzip(out, tmp_path / "x").parent / "calnet-bundle-2026-11-22"
    orders = {r["request_number"]: r for r in records_of(bag, "orders")}
    assert orders["O-1"]["monthly_cost"] == 123.45 and "O-9" not in orders
    assert ("O-3" in orders) == (scope != "exemption:EX-1")
    info = (bag / "bag-info.txt").read_text(encoding="utf-8")
    assert f"history entries 1 to {head['id']})" in info and "Bagging-Date: 2026-12-01" in info
    assert run_cli("verify-bundle", str(out), "--expect-head", head["hash"]).code == 0
    now = run_cli("--data-dir", str(filled.paths.root), "export-bundle",
                  str(tmp_path / "now.zip"), "--scope", scope)
    assert now.code == 0 and f"History chain head: {filled.history()[-1]['hash']}" in now.out


def test_a_pipe_in_place_of_a_document_is_named_not_read(filled: Register,
                                                          tmp_path: Path) -> None:
    """Attack found (session 3): a FIFO where a manifest lists a document was opened for
    hashing, and opening a pipe with no writer waits for ever; verify names it instead."""
    bag = unzip(export(filled, tmp_path), tmp_path / "x")
    victim = bag / "data/documents/con_.txt"
    victim.unlink()
    os.mkfifo(victim)
    found: list[list[str]] = []
    checking = threading.Thread(target=lambda: found.append(verify_bag(bag)), daemon=True)
    checking.start()
    checking.join(60)  # a small bag: verified in a second or two
    stuck = checking.is_alive()
    if stuck:  # waiting to open the pipe: a writer lets it go (then the test fails)
        os.close(os.open(victim, os.O_WRONLY | os.O_NONBLOCK))
        checking.join(60)
    assert not stuck, "verify waited on the pipe"
    assert "data/documents/con_.txt is a link or not a regular file" in found[0], found
