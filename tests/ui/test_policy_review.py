"""The policy review's wrong answers (issue 15), each replayed: NextGen terms, outside
contracts, SAM 4605's effective date, ATO dates, delegations, approval order, findings as of
a day, past deadlines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from calnet_desk.exchange.calendar import calendar_bytes
from calnet_desk.policy.deadlines import deadlines
from calnet_desk.policy.findings import Finding, findings
from calnet_desk.policy.rules import load_rules
from calnet_desk.records import KINDS
from calnet_desk.store import RecordError, Register
from tests.core.test_findings import approved, attach, delegation, order, person, put

DAY = dt.date(2026, 12, 1)


def codes(found: list[Finding]) -> set[tuple[str, str]]:
    return {(f.code, f.key) for f in found}


def with_catr(reg: Register) -> None:
    put(reg, "people", person("P-1", "Casey Catr", "catr"), person("P-2", "Avery Atr", "atr"))


# --- 2. NextGen: no 24 months assumed --------------------------------------------------------

def test_a_nextgen_ato_takes_its_term_from_the_signed_ato(reg: Register) -> None:
    with_catr(reg)
    put(reg, "contracts", {"contract_number": "C4A1LEG18", "generation": "nextgen",
                           "contractor": "AT&T"},
        {"contract_number": "C3-1", "generation": "calnet-3", "contractor": "AT&T"})
    put(reg, "atos",
        {"ato_id": "NG", "contractor": "AT&T", "services": ["SIP"],
         "contract_number": "C4A1LEG18", "approved_on": "2025-03-01",
         "notice_given_on": "2025-06-01"},
        {"ato_id": "NG-12", "contractor": "AT&T", "services": ["SIP"],
         "contract_number": "C4A1LEG18", "approved_on": "2025-03-01", "term_months": 12},
        {"ato_id": "C3", "contractor": "AT&T", "services": ["SIP"], "contract_number": "C3-1",
         "approved_on": "2025-03-01"})
    due = {(d.key, d.kind): d.date for d in deadlines(reg, DAY)}
    assert ("NG", "ato-exclusive-term-end") not in due  # no computed date
    assert ("NG", "ato-notice-effective") not in due  # unknown until the term is
    assert due[("NG-12", "ato-exclusive-term-end")] == dt.date(2026, 2, 28)
    assert due[("C3", "ato-exclusive-term-end")] == dt.date(2027, 2, 28)  # STMM 400.1's two
    found = [f for f in findings(reg, DAY) if f.code == "ato-without-term"]
    assert [f.key for f in found] == ["NG"]
    assert "enter it (term_months" in found[0].message.lower()
    rule = load_rules("nextgen").rules["ato-exclusive-term-months"]
    assert rule.citation == "NextGen overview" and rule.value == "from-signed-ato"


# --- 4. outside contracts --------------------------------------------------------------------

def test_outside_contract_checks_keep_talking_when_the_violation_happens(reg: Register) -> None:
    with_catr(reg)
    put(reg, "delegations", delegation(delegation_id="GD-1", decision="approved"))
    put(reg, "exemptions", approved("EX-1", term_end="2026-10-31"))
    attach(reg, "exemptions", "EX-1", b"approval")
    put(reg, "outside-contracts",
        {"contract_id": "RENEWED", "provider": "Acme", "services": ["SIP"],
         "renewal_date": "2026-11-20"},
        {"contract_id": "ENDING", "provider": "Acme", "services": ["SIP"],
         "end_date": "2027-02-01"},
        {"contract_id": "BEYOND", "provider": "Acme", "services": ["SIP"],
         "end_date": "2027-06-30", "exemption_id": "EX-1"})
    found = {f.key: f for f in findings(reg, DAY) if f.kind == "outside-contracts"}
    renewed = found["RENEWED"]
    assert renewed.code == "outside-renewal-needs-exemption" and renewed.severity == "error"
    assert "was due to renew 11/20/2026 (11 day(s) ago)" in renewed.message
    assert "may have been renewed without one" in renewed.message
    assert found["ENDING"].code == "outside-contract-end-needs-migration"
    assert "ends 02/01/2027 (in 62 day(s))" in found["ENDING"].message
    beyond = found["BEYOND"]
    assert beyond.code == "outside-contract-beyond-exemption" and beyond.severity == "error"
    assert "runs to 06/30/2027, past the term of its exemption EX-1, which ended 10/31/2026" \
        in beyond.message


# --- 5. SAM 4605 only from its effective date ------------------------------------------------

def test_sam_4605_applies_from_its_effective_date(reg: Register) -> None:
    with_catr(reg)
    put(reg, "exemptions",
        approved("EX-2019", decided_on="2019-05-01", general_delegation_id=None,
                 term_end=None),
        approved("EX-2024", decided_on="2024-05-01", general_delegation_id=None,
                 term_end=None))
    for key in ("EX-2019", "EX-2024"):
        attach(reg, "exemptions", key, key.encode())
    found = codes(findings(reg, DAY))
    assert ("exemption-missing-general-delegation", "EX-2024") in found
    assert ("exemption-without-term-end", "EX-2024") in found
    assert not {c for c in found if c[1] == "EX-2019"}
    assert load_rules().rules["exemption-limited-term"].extra["effective_from"] == "2023-07-01"
    # the date is data: a register that applies it from 2019 sees EX-2019 too
    (reg.paths.root / "rules.toml").write_text(
        '[rules.exemption-limited-term]\neffective_from = "2019-01-01"\n', "utf-8")
    assert ("exemption-missing-general-delegation", "EX-2019") in codes(findings(reg, DAY))


# --- 6. ATO dates ----------------------------------------------------------------------------

def test_ato_notice_without_approval_has_no_computed_effective_date(reg: Register) -> None:
    with_catr(reg)
    put(reg, "atos",
        {"ato_id": "NOAPP", "contractor": "AT&T", "services": ["SIP"],
         "notice_given_on": "2026-01-10"},
        {"ato_id": "EARLY", "contractor": "AT&T", "services": ["SIP"],
         "approved_on": "2026-03-01", "notice_given_on": "2026-01-10", "term_months": 0})
    kinds = {(d.key, d.kind) for d in deadlines(reg, DAY)}
    assert ("NOAPP", "ato-notice-effective") not in kinds
    found = findings(reg, DAY)
    assert ("ato-without-approval-date", "NOAPP") in codes(found)
    early = next(f for f in found if f.code == "ato-notice-before-approval")
    assert early.key == "EARLY" and "dated 01/10/2026, before the ATO was approved " \
        "(03/01/2026)" in early.message


def test_a_negative_term_is_refused_on_import_and_on_save(reg: Register, tmp_path: Path,
                                                          run_cli: Any) -> None:
    with pytest.raises(RecordError, match="Exclusive term \\(months\\) must be at least 0"):
        put(reg, "atos", {"ato_id": "NEG", "contractor": "AT&T", "services": ["SIP"],
                          "term_months": -5})
    assert reg.get(KINDS["atos"], "NEG") is None
    root = str(reg.paths.root)
    reg.close()
    sheet = tmp_path / "atos.csv"
    sheet.write_text("ato_id,contractor,services,term_months\nA-1,AT&T,SIP,-5\n", "utf-8")
    r = run_cli("--data-dir", root, "import", str(sheet), "--kind", "atos")
    assert r.code == 1
    assert "atos.csv:2:term_months: -5 is less than 0" in r.err  # file, row, field
    assert "nothing was imported" in r.err
    assert run_cli("--data-dir", root, "show", "atos", "A-1").code == 1  # nothing written


# --- 7 and 8. delegations get the exemptions' checks; before approval is one severity --------

def test_before_approval_is_an_error_whatever_the_decision_later(reg: Register) -> None:
    rules = load_rules()
    severities = {rules.findings[c]["severity"] for c in (
        "order-under-pending-exemption", "order-before-exemption-approved",
        "order-under-pending-delegation", "order-before-delegation-approved")}
    assert severities == {"error"}
    with_catr(reg)
    put(reg, "delegations",
        delegation(delegation_id="CD-P", type="contract"),
        delegation(delegation_id="CD-D", type="contract", decision="denied"),
        delegation(delegation_id="CD-A", type="contract", decision="approved",
                   decided_on="2026-06-01", timeframe_end="2026-09-30"))
    put(reg, "orders",
        order("O-P", delegation_id="CD-P", status="completed"),
        order("O-D", delegation_id="CD-D"),
        order("O-EARLY", delegation_id="CD-A", request_date="2026-05-01"),
        order("O-LATE", delegation_id="CD-A", request_date="2026-10-05"),
        order("O-OK", delegation_id="CD-A", request_date="2026-07-01", status="completed"))
    for key in ("O-P", "O-D", "O-EARLY", "O-LATE", "O-OK"):
        attach(reg, "orders", key, key.encode())
    found = {f.key: f for f in findings(reg, DAY) if f.kind == "orders"}
    assert found["O-P"].code == "order-under-pending-delegation"
    assert "(completed) was placed under delegation CD-P, which is still pending" \
        in found["O-P"].message  # past tense for a completed order
    assert found["O-D"].code == "order-under-denied-delegation"
    assert found["O-EARLY"].code == "order-before-delegation-approved"
    assert found["O-LATE"].code == "delegation-order-outside-timeframe"
    assert "O-OK" not in found


# --- findings as of a day ----------------------------------------------------------------------

def test_records_that_did_not_exist_yet_are_not_judged(reg: Register, clock: Any) -> None:
    with_catr(reg)
    put(reg, "orders", order("O-2026", request_date="2026-11-01", status="draft",
                             catalog_status=None))
    put(reg, "exemptions", approved("EX-NEW", submitted_on="2026-10-01", general_delegation_id=None,
                                    decided_on="2026-10-20"))
    clock.now = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    put(reg, "outside-contracts", {"contract_id": "OC-NEW", "provider": "Acme",
                                   "services": ["SIP"], "renewal_date": "2026-12-15"})
    before = {k for _, k in codes(findings(reg, dt.date(2026, 9, 1)))}
    assert not before & {"O-2026", "EX-NEW", "OC-NEW"}
    # the outside contract has no date of its own: its first history entry counts
    assert "OC-NEW" not in {k for _, k in codes(findings(reg, dt.date(2026, 11, 24)))}
    after = {k for _, k in codes(findings(reg, DAY))}
    assert {"O-2026", "EX-NEW", "OC-NEW"} <= after


def test_stale_catalog_status_only_before_the_order_is_placed(reg: Register) -> None:
    with_catr(reg)
    put(reg, "orders",
        order("DRAFT", status="draft", catalog_status_as_of="2025-01-01"),
        *[order(s, status=s, catalog_status_as_of="2025-01-01")
          for s in ("submitted", "approved", "in-progress", "completed")])
    stale = [f for f in findings(reg, DAY) if f.code == "catalog-status-stale"]
    assert [f.key for f in stale] == ["DRAFT"]
    assert "not yet placed" in stale[0].message
    assert load_rules().findings["catalog-status-stale"]["citation"] == "design"


def test_an_order_placed_by_someone_not_in_people(reg: Register) -> None:
    with_catr(reg)
    put(reg, "orders", order("O-1", placed_by="Pat Nobody"), order("O-2", placed_by="P-2"),
        order("O-3", placed_by="avery atr"), order("O-4", placed_by="Pat Nobody",
                                                   status="cancelled"))
    found = [f for f in findings(reg, DAY) if f.code == "order-placed-by-unknown-person"]
    assert [f.key for f in found] == ["O-1"]
    assert "Pat Nobody, who is not in people" in found[0].message


# --- past deadlines ----------------------------------------------------------------------------

def test_a_long_past_deadline_is_past_and_leaves_the_calendar(reg: Register) -> None:
    put(reg, "contracts",
        {"contract_number": "C3-B-12-10-TS-01", "generation": "calnet-3",
         "contractor": "AT&T", "end_date": "2021-12-31"},
        {"contract_number": "RECENT", "generation": "nextgen", "contractor": "AT&T",
         "end_date": "2026-10-01"})
    status = {d.key: d.status for d in deadlines(reg, DAY)}
    assert status == {"C3-B-12-10-TS-01": "past", "RECENT": "overdue"}
    window = load_rules().rules["deadline-past-after-days"]
    assert window.value == 90 and window.citation == "design"
    assert {d.key: d.status for d in deadlines(reg, dt.date(2027, 1, 1))}["RECENT"] == "past"
    ics, events = calendar_bytes(reg, DAY, start=dt.date(2000, 1, 1))  # every date
    assert events == 1 and b"RECENT" in ics and b"C3-B-12-10-TS-01" not in ics


def test_the_dashboard_leaves_past_deadlines_out(reg: Register) -> None:
    from ui.dialogs.deadline_actions import in_reminder_window

    put(reg, "contracts", {"contract_number": "OLD", "generation": "calnet-3",
                           "contractor": "AT&T", "end_date": "2021-12-31"})
    (old,) = deadlines(reg, DAY)
    assert old.status == "past" and not in_reminder_window(old)




def test_each_finding_carries_the_sentence_it_rests_on(reg: Register) -> None:
    with_catr(reg)
    put(reg, "orders", order("O-1", placed_by="Pat Nobody"),
        order("O-2", status="draft", catalog_status=None))
    found = {f.code: f for f in findings(reg, DAY)}
    assert found["order-placed-by-unknown-person"].sentence == "quotation unconfirmed"
    assert found["catalog-status-stale"].sentence.startswith("design choice")
    put(reg, "exemptions", approved("EX-X", general_delegation_id=None, decision="denied"))
    put(reg, "orders", order("O-3", exemption_id="EX-X"))
    denied = next(f for f in findings(reg, DAY) if f.code == "order-under-denied-exemption")
    assert denied.sentence.startswith("\u201cmust submit a written exemption request")
    assert "sentence" not in denied.as_dict()  # the JSON keeps its shape


def test_the_record_page_shows_the_sentence_beside_a_finding(reg: Register) -> None:
    from ui.pages.record_view import render

    with_catr(reg)
    put(reg, "exemptions", approved("EX-X", general_delegation_id=None, decision="denied"))
    put(reg, "orders", order("O-3", exemption_id="EX-X"))
    kind = KINDS["orders"]
    mine = [f for f in findings(reg, DAY) if f.key == "O-3"]
    page = render(reg, kind, reg.get(kind, "O-3") or {}, [], mine)
    assert "STMM 501.0: \u201cmust submit a written exemption request" in page
