"""Request packets: the PDF letter for an exemption or delegation request, read back with
pypdf (its text, metadata and pages), byte for byte the same for the same data, and
rendered by pdftoppm. Completeness itself is tested in test_requests.py."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from calnet_desk.exchange.packet import cost_items, long_date
from calnet_desk.policy.ipr import make_input, save_calculation
from calnet_desk.policy.rules import load_rules
from calnet_desk.records import KINDS, Record
from calnet_desk.store import Register
from calnet_desk.store import documents as docs

EXEMPTIONS, DELEGATIONS, PEOPLE = KINDS["exemptions"], KINDS["delegations"], KINDS["people"]
AGENCY = "Department of Testing — Región Norte"
MISSING = "MISSING"
# Tool text that must never appear in the letter (the pages before the checklist).
TOOL_TEXT = ["prepared with", "CALNET Desk", "feature-gap", "Complete:", "Incomplete:",
             "required by STMM", "STMM 501.0", "STMM 3-502.0", "Not applicable",
             "SAM 4605"]
ALL = ["sla", "network-support", "diversity", "survivability", "recoverability",
       "scalability"]


def exemption(**extra: Any) -> Record:
    record: Record = {
        "exemption_id": "EX-IPR", "project": "Ethernet transport to the Eureka office",
        "services": ["Ethernet private line 1 Gbps"],
        "service_locations": "2 x 1 Gbps, 409 K Street, Eureka, CA 95501",
        "reason": "ipr", "calnet_gap": "An Individual Price Reduction: 20 % below CALNET.",
        "consequences": "The agency pays 20 % more.", "provider": "Coastline Fiber Inc.",
        "provider_documents": "Quote Q-2291 and master agreement",
        "contract_length_months": 36, "contract_terms": "Monthly service, net 30",
        "early_termination": "Two months' charges", "extensions": "Two one-year options",
        "total_cost": 8_000_000, "cost_by_item": "Installation $4,800; service "
                                                 "$2,088.89/month x 36 months",
        "sla_rights_remedies": "99.9 % availability; credits of 10 % per hour down",
        "ipr_documentation": "IPR worksheet with the comparability checklist",
        "signer": "María Núñez-Patel", "signer_title": "Chief Information Officer",
        "submitted_on": "2026-03-03", "decision": "pending", "general_delegation_id": "GD-1",
        "need": "The Eureka office's line is at capacity; the court filings need 1 Gbps.",
        "ipr_comparability": "Same availability SLA, diverse paths, 24x7 network support",
        "ipr_network_ok": True}
    record.update(extra)
    return record


@pytest.fixture
def register(tmp_path: Path, clock: Any) -> Path:
    """Two exemptions (one complete with a saved IPR and two documents, one missing
    elements), a general delegation, and an active CATR; history at a fixed time."""
    root = tmp_path / "reg"
    with Register.create(root, agency=AGENCY, agency_class="non-exempt-state",
                         billing_code="TST-0042", clock=clock) as reg:
        with reg.transaction() as tx:
            tx.put(PEOPLE, {"person_id": "P-1", "name": "María Núñez", "role": "catr",
                            "active": True, "email": "maria.nunez@example.ca.gov",
                            "phone": "916-555-0100"})
            tx.put(PEOPLE, {"person_id": "P-0", "name": "Former Catr", "role": "catr",
                            "active": False})
            tx.put(DELEGATIONS, {
                "delegation_id": "GD-1", "type": "general", "project": "PBX replacement",
                "scope": "Headquarters PBX", "purpose": "End of support",
                "activities": ["installation", "operation and maintenance"],
                "locations": "1416 9th Street, Sacramento", "timeframe_end": "2027-06-30",
                "timeframe_start": "2026-07-01",
                "products_equipment": "Hybrid IP PBX, 600 handsets",
                "staff_qualifications": "Two certified engineers, ten years each",
                "justification": "CALNET offers no premise PBX",
                "consequences_if_denied": "Outage risk", "signer": "R. Patel",
                "signer_title": "CIO", "decision": "pending"})
            tx.put(EXEMPTIONS, exemption())
            tx.put(EXEMPTIONS, exemption(
                exemption_id="EX-GAP", reason="feature-gap", ipr_documentation=None,
                ipr_comparability=None, ipr_network_ok=None,
                service_locations="The Sacramento headquarters", consequences=None,
                signer_title=None, project="Satellite link for the Alturas field office"))
        for name, content in (("Quote Q-2291.pdf", b"%PDF-1.4 quote " * 100),
                              ("IPR worksheet.xlsx", b"PK worksheet")):
            sha, size = docs.store_bytes(reg.paths, content)
            with reg.transaction() as tx:
                docs.add_document(tx, sha, name, size)
                docs.link(tx, sha, EXEMPTIONS, "EX-IPR")
        save_calculation(reg, "EX-IPR", make_input(load_rules(), 10_000_000, 8_000_000, 36,
                                                   ALL, True))
    return root


def packet(run_cli: Any, register: Path, kind: str, key: str, name: str = "p.pdf"
           ) -> tuple[Path, Any]:
    target = register.parent / name
    r = run_cli("--data-dir", str(register), "request-packet", kind, key, "-o", str(target))
    assert r.code == 0, r
    return target, r


def text_of(path: Path, letter_only: bool = False) -> str:
    """The packet's text, whitespace collapsed (lines wrap where the layout says); with
    ``letter_only`` the letter without the coordinator's checklist page."""
    reader = PdfReader(path)
    text = " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())
    return text.split("Checklist for the coordinator")[0] if letter_only else text


# --- content ------------------------------------------------------------------------------


def test_a_complete_exemption_packet(run_cli: Any, register: Path) -> None:
    path, r = packet(run_cli, register, "exemptions", "EX-IPR")
    assert "every element given" in r.out
    full = text_of(path)
    text = text_of(path, letter_only=True)
    # Letterhead (the inactive CATR left out), date, addressee as STMM 501.0 gives it, subject.
    for expected in (AGENCY, "Billing code TST-0042",
                     "CATR: María Núñez · maria.nunez@example.ca.gov · 916-555-0100",
                     "March 3, 2026", "Deputy Director Statewide Telecommunications and Network "
                     "Division (now the Office of Technology Services) California Department "
                     "of Technology P.O. Box 1810, MS# STND Y-13 Rancho Cordova, CA 95741-1810",
                     "Also sent by e-mail STNDexemptions@dts.ca.gov and fax (916) 463-9920",
                     "Subject: Request for exemption from CALNET — EX-IPR, Ethernet transport "
                     "to the Eureka office", "Dear Deputy Director:"):
        assert expected in text, expected
    assert "Former Catr" not in text and "MISSING" not in text
    # A letter ready to sign: no tool text in it; the checklist page says it is complete.
    assert [w for w in TOOL_TEXT if w in text] == []
    assert "Reason Individual Price Reduction (IPR)" in text and " ipr " not in text
    assert "Ready to sign: all 17 elements STMM 501.0 asks for are given." in full
    # Every element that applies, in the rule set's order, with the record's data.
    rules = load_rules()
    labels = [e["label"] for e in rules.requests["exemptions"]["elements"]
              if e["code"] != "fsr-reference"]
    positions = [text.find(f"{n}. {label}") for n, label in enumerate(labels, start=1)]
    assert -1 not in positions, list(zip(labels, positions, strict=True))
    assert positions == sorted(positions)
    for value in ("2 x 1 Gbps, 409 K Street, Eureka, CA 95501", "Coastline Fiber Inc.",
                  "Quote Q-2291 and master agreement", "Two one-year options",
                  "$80,000.00", "Average per month $2,222.22 over 36 months"):
        assert value in text, value
    assert "Feasibility Study Report" not in text  # does not apply: on the checklist only
    assert "does not apply: only when the request mentions an FSR" in full
    # Cost by item as a table, and the saved IPR calculation.
    assert "Contract item Cost Installation $4,800 Service $2,088.89/month x 36 months" in text
    for row in ("IPR calculation", "CALNET cost (total over the term) "
                "$100,000.00", "Alternative cost (same term) $80,000.00",
                "Saving $20,000.00 (20.00 %)", "Alternative ÷ CALNET 0.8000",
                "Term 36 months", "Comparable SLAs shown", "Comparable scalability shown",
                "Statewide network not unduly affected attested"):
        assert row in text, row
    # the calculator's judgement is for the coordinator: on the checklist page
    assert "meets the guide: yes" in full and "about 20 %" in full
    assert "about 20 %" not in text
    # Signature block for the AIO/CIO.
    assert ("María Núñez-Patel Chief Information Officer " + AGENCY) in text
    assert "Agency Information Officer / Chief Information Officer, or equivalent" in text
    assert re.search(r"Page 1 of \d", text)


def test_missing_elements_are_marked_plainly(run_cli: Any, register: Path) -> None:
    path, r = packet(run_cli, register, "exemption", "EX-GAP")
    assert r.out.endswith("3 element(s) marked MISSING: services-quantity-type-location, "
                          "consequences, signer-aio-cio\n")
    full = text_of(path)
    text = text_of(path, letter_only=True)
    assert [w for w in TOOL_TEXT if w in text] == []
    # the letter marks each missing element (and the signature block's title) MISSING
    assert text.count(MISSING) == 4
    for label, next_label in (
            ("The services with quantity, type and location, street address included",
             "3. Why the services are needed"),
            ("The consequences if the exemption is not granted",
             "7. The contract length and terms"),
            ("Signed by the AIO/CIO or equivalent (name and title)",
             "Please direct questions")):
        start = text.index(label)
        assert text.index(MISSING, start) < text.index(next_label, start)
    assert "Title — MISSING" in text  # the signature block too
    assert "Reason The CALNET contracts cannot meet the need" in text
    assert "IPR calculation" not in text and "IPR documentation" not in text
    # the checklist page says what is missing and why
    assert "Not ready to sign: 3 of 14 required elements are missing" in full
    for problem in ("Quantities, types and street addresses: does not give a street address",
                    "Consequences if not granted: not given", "Signer title: not given",
                    "does not apply: only when the reason is ipr"):
        assert problem in full, problem


def test_documents_are_listed_with_name_size_and_sha256(run_cli: Any, register: Path) -> None:
    path, _ = packet(run_cli, register, "exemptions", "EX-IPR")
    text = text_of(path)
    with Register.open(register) as reg:
        linked = docs.documents_of(reg, EXEMPTIONS, "EX-IPR")
    assert len(linked) == 2
    assert "Enclosures: documents on file" in text
    for d in linked:
        assert d.sha256 in text
        assert f"{d.name} {d.size:,} bytes, added 11/21/2026" in text
    no_docs, _ = packet(run_cli, register, "exemptions", "EX-GAP", "gap.pdf")
    assert "No documents are linked to this request" in text_of(no_docs)


def test_a_delegation_packet(run_cli: Any, register: Path) -> None:
    path, r = packet(run_cli, register, "delegation", "GD-1")
    assert "every element given" in r.out
    text = text_of(path)
    assert "Subject: Request for a general delegation — GD-1, PBX replacement" in text
    assert "Ready to sign: all 9 elements STMM 3-502.0 asks for are given." in text
    assert "9. Signed by the CIO or equivalent (name and title)" in text
    assert "Activities installation; operation and maintenance" in text
    assert "Timeframe start 07/01/2026" in text and "Timeframe end 06/30/2027" in text
    assert ("CALNET Program Chief Office of Technology Services California Department of "
            "Technology P.O. Box 1810 Rancho Cordova, CA 95741-1810") in text
    assert "STNDdelegations@state.ca.gov" in text and "Dear CALNET Program Chief:" in text
    letter = text_of(path, letter_only=True)
    assert [w for w in TOOL_TEXT if w in letter] == []
    assert "Chief Information Officer, or equivalent" in letter
    assert "Saved IPR calculation" not in text and "Contract item" not in text


def test_an_ipr_exemption_without_a_saved_calculation_says_so(run_cli: Any,
                                                               register: Path) -> None:
    assert run_cli("--data-dir", str(register), "delete", "exemptions", "EX-IPR").code == 0
    with Register.open(register, write=True) as reg, reg.transaction() as tx:
        tx.put(EXEMPTIONS, exemption())
    path, _ = packet(run_cli, register, "exemptions", "EX-IPR")
    assert "No IPR calculation is saved with this request" in text_of(path)


# --- the file -----------------------------------------------------------------------------


def test_metadata_language_fonts_and_us_letter(run_cli: Any, register: Path,
                                               clock: Any) -> None:
    path, _ = packet(run_cli, register, "exemptions", "EX-IPR")
    reader = PdfReader(path)
    meta = reader.metadata
    assert meta is not None
    assert meta.title == "Exemption request EX-IPR: Ethernet transport to the Eureka office"
    assert meta.subject == "Request for exemption from CALNET (STMM 501.0)"
    assert meta.author == AGENCY
    assert meta.creator is not None and meta.creator.startswith("Typst")  # the typesetter
    assert "CALNET Desk" in str(meta["/Keywords"])
    assert meta.creation_date == clock.now  # the newest history entry behind the packet
    assert reader.trailer["/Root"]["/Lang"] == "en-US"
    assert len(reader.pages) >= 2
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == (612, 792)
    raw = path.read_bytes()
    assert b"/FontFile2" in raw  # the TrueType font is embedded: real, searchable text
    assert b"/Helvetica" not in raw and b"/Times" not in raw


def test_the_packet_is_tagged_in_reading_order(run_cli: Any, register: Path) -> None:
    """Issue 17 item 4: the letter's structure tree reads as the letter does: letterhead,
    date, addressee, the subject as the title heading, each element as a numbered heading
    with its label/value list, the signature block, the enclosures as a table with header
    cells; then the coordinator's checklist."""
    from pdf_structure import catalog, in_order, structure, table_rows, tagged

    path, _ = packet(run_cli, register, "exemption", "EX-GAP")
    assert tagged(path) == "yes"
    assert catalog(path) == {"lang": "en-US", "marked": True, "display_doc_title": True}
    doc = structure(path).kids[0]
    assert doc.role == "Document"

    def flat(node: Any) -> list[tuple[str, str]]:  # headings and blocks, depth first
        out = []
        for kid in node.kids:
            if kid.role in ("H1", "H2", "H3", "P", "L", "Table"):
                out.append((kid.role, kid.text()))
            else:
                out += flat(kid)
        return out

    blocks = flat(doc)
    assert blocks[0] == ("P", AGENCY)
    h1 = [t for r, t in blocks if r == "H1"]
    assert h1 == ["Subject: Request for exemption from CALNET — EX-GAP, Satellite link for "
                  "the Alturas field office"]
    h2 = [t for r, t in blocks if r == "H2"]
    assert h2 == ["The request", "Additional information", "Enclosures: documents on file",
                  "Checklist for the coordinator"]
    h3 = [t for r, t in blocks if r == "H3"]
    assert h3[:3] == ["1. The one specific project or acquisition it applies to",
                      "2. The services with quantity, type and location, street address "
                      "included", "3. Why the services are needed"]
    texts = [t for _, t in blocks]
    assert in_order(texts, [AGENCY, h1[0], "The request", h3[0], h3[1], "MISSING", h3[2],
                            "Respectfully submitted,", "Title — MISSING",
                            "Enclosures: documents on file",
                            "Checklist for the coordinator"])
    # an element's label and value are one list item, in that order
    items = [li.text() for li in doc.all("LI")]
    assert "Reason The CALNET contracts cannot meet the need for lack of features, "\
           "functionality or availability" in items
    checklist = doc.all("Table")[-1]
    rows = table_rows(checklist)
    assert rows[0] == ["#", "Element", "Status", "Source"]
    assert checklist.all("THead")[0].all("TH")
    assert rows[2][0] == "2" and rows[2][2].startswith("MISSING: ")


def test_the_same_data_gives_the_same_bytes(run_cli: Any, register: Path,
                                            clock: Any) -> None:
    first, _ = packet(run_cli, register, "exemptions", "EX-IPR", "first.pdf")
    second, _ = packet(run_cli, register, "exemptions", "EX-IPR", "second.pdf")
    assert first.read_bytes() == second.read_bytes()
    # Changes elsewhere in the register do not touch it …
    clock.now += dt.timedelta(days=3)
    with Register.open(register, write=True, clock=clock) as reg, reg.transaction() as tx:
        tx.put(EXEMPTIONS, exemption(exemption_id="EX-OTHER"))
    third, _ = packet(run_cli, register, "exemptions", "EX-IPR", "third.pdf")
    assert third.read_bytes() == first.read_bytes()
    # … a change to the request does, and its time becomes the creation date.
    with Register.open(register, write=True, clock=clock) as reg, reg.transaction() as tx:
        tx.put(EXEMPTIONS, exemption(extensions="One two-year option"))
    fourth, _ = packet(run_cli, register, "exemptions", "EX-IPR", "fourth.pdf")
    assert fourth.read_bytes() != first.read_bytes()
    assert PdfReader(fourth).metadata.creation_date == clock.now  # type: ignore[union-attr]


def test_written_atomically_over_an_older_file(run_cli: Any, register: Path) -> None:
    target = register.parent / "packet.pdf"
    target.write_bytes(b"an older packet")
    path, _ = packet(run_cli, register, "exemptions", "EX-IPR", "packet.pdf")
    assert path.read_bytes().startswith(b"%PDF-")
    assert sorted(p.name for p in register.parent.iterdir() if p.is_file()) == ["packet.pdf"]


# --- exit codes ---------------------------------------------------------------------------


def test_not_found_and_no_register_exit_1(run_cli: Any, register: Path, tmp_path: Path
                                          ) -> None:
    out = tmp_path / "x.pdf"
    r = run_cli("--data-dir", str(register), "request-packet", "exemptions", "EX-NOPE",
                "-o", str(out))
    assert r.code == 1 and "no exemption EX-NOPE in the register" in r.err
    r = run_cli("--data-dir", str(tmp_path / "none"), "request-packet", "exemptions", "EX-1",
                "-o", str(out))
    assert r.code == 1
    r = run_cli("--data-dir", str(register), "request-packet", "exemptions", "EX-IPR",
                "-o", str(tmp_path / "no-such-folder" / "x.pdf"))
    assert r.code == 1 and "not a folder" in r.err
    assert not out.exists()


def test_bad_usage_exits_2(run_cli: Any, register: Path, tmp_path: Path) -> None:
    d = str(register)
    assert run_cli("--data-dir", d, "request-packet", "orders", "HO-1", "-o",
                   str(tmp_path / "x.pdf")).code == 2
    assert run_cli("--data-dir", d, "request-packet", "exemptions", "EX-IPR").code == 2


# --- rendering ----------------------------------------------------------------------------


def test_pdftoppm_renders_every_page(run_cli: Any, register: Path, tmp_path: Path) -> None:
    assert shutil.which("pdftoppm"), "install poppler-utils (the README's test packages)"
    path, _ = packet(run_cli, register, "exemptions", "EX-GAP")
    pages = len(PdfReader(path).pages)
    done = subprocess.run(["pdftoppm", "-png", "-r", "30", str(path), str(tmp_path / "page")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == pages
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in images)


# --- helpers ------------------------------------------------------------------------------


def test_cost_items_split_free_text_into_rows() -> None:
    assert cost_items("Installation $12,000; service $1,500/month x 36 months") == [
        ("Installation", "$12,000"), ("Service", "$1,500/month x 36 months")]
    assert cost_items("Router: $2,000.50\nSupport (no charge)\n\n") == [
        ("Router", "$2,000.50"), ("Support (no charge)", "")]
    assert cost_items("") == []


def test_long_date() -> None:
    assert long_date(dt.date(2026, 3, 3)) == "March 3, 2026"


def test_a_template_fault_is_a_sentence_not_a_traceback(run_cli: Any, register: Path,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """Typst refusing the document (a template bug) is reported like any refusal: exit 1,
    a sentence saying nothing was written."""
    from calnet_desk.exchange import pdf

    monkeypatch.setattr(pdf, "TEMPLATES", "no-such-folder")
    target = register.parent / "broken.pdf"
    r = run_cli("--data-dir", str(register), "request-packet", "exemptions", "EX-IPR", "-o",
                str(target))
    assert r.code == 1 and "could not be typeset" in r.err and "nothing was written" in r.err
    assert "Traceback" not in r.err and not target.exists()


def test_typesetting_in_a_forked_child_does_not_wait_forever() -> None:
    """Typst's thread pool lives in the process that first typeset; a child forked from it
    (the tests drop privileges that way) has the pool's state without its threads, and
    Typst waited for them forever. Such a child typesets in a fresh process: the same
    bytes."""
    import os

    from calnet_desk.exchange.pdf import typeset

    data = {"title": "t", "author": "a", "subject": "s", "blocks": [{"k": "p", "t": "x"}]}
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    first = typeset("document", data, when)
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        code = 99
        try:
            code = 0 if typeset("document", data, when) == first else 5
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
