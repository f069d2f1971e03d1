"""Findings on a crafted register: every code, positive and negative, as of a given day."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from calnet_desk.policy.deadlines import set_ladder
from calnet_desk.policy.findings import FINDING_CODES, SEVERITIES, Finding, findings
from calnet_desk.policy.rules import RulesError, load_rules
from calnet_desk.records import KINDS, Record
from calnet_desk.store import Register
from calnet_desk.store import documents as docs

DAY = dt.date(2026, 12, 1)

ISSUE_CODES = {
    "exemption-expired-with-active-orders", "exemption-missing-general-delegation",
    "exemption-without-term-end", "delegated-order-missing-form20", "order-missing-delegation",
    "outside-renewal-needs-exemption", "ato-notice-during-term", "more-than-one-active-catr",
    "no-active-catr", "order-placed-by-inactive-atr", "exemption-request-incomplete"}


def exemption(**extra: Any) -> Record:
    """A pending exemption request with every STMM 501.0 element."""
    record: Record = {
        "exemption_id": "EX-1", "project": "Satellite link for the Alturas field office",
        "services": ["Satellite broadband"],
        "service_locations": "1 x 100 Mbps, 4500 Mountain Rd, Alturas, CA 96101",
        "reason": "feature-gap", "calnet_gap": "No CALNET contractor serves the site.",
        "consequences": "The office stays offline.", "provider": "Sky Link Inc.",
        "provider_documents": "Quote SL-2291", "contract_length_months": 36,
        "contract_terms": "Monthly service", "early_termination": "Two months' charges",
        "extensions": "Two one-year options", "total_cost": 4_800_000,
        "cost_by_item": "Service $1,200/month", "sla_rights_remedies": "99.5 %; credits",
        "signer": "R. Patel", "signer_title": "Chief Information Officer",
        "submitted_on": "2024-06-01", "decision": "pending", "general_delegation_id": "GD-1",
        "need": "The field office has no broadband."}
    record.update(extra)
    return record


def delegation(**extra: Any) -> Record:
    """A pending General Delegation request with every STMM 3-502.0 element."""
    record: Record = {
        "delegation_id": "GD-1", "type": "general", "project": "PBX replacement",
        "scope": "Headquarters PBX", "purpose": "End of support",
        "locations": "1416 9th Street, Sacramento", "products_equipment": "Avaya IP Office",
        "staff_qualifications": "Two certified engineers", "justification": "No CALNET PBX",
        "consequences_if_denied": "Outage risk", "signer": "R. Patel", "signer_title": "CIO",
        "timeframe_end": "2027-06-30", "submitted_on": "2024-06-01", "decision": "pending",
        "timeframe_start": "2024-07-01", "activities": ["Installation"]}
    record.update(extra)
    return record


def order(key: str, **extra: Any) -> Record:
    record: Record = {"request_number": key, "request_date": "2026-11-01", "order_type": "new",
                      "contractor": "AT&T", "status": "submitted",
                      "catalog_status": "required", "catalog_status_as_of": "2026-11-15"}
    record.update(extra)
    return record


def person(key: str, name: str, role: str, active: bool = True) -> Record:
    return {"person_id": key, "name": name, "role": role, "active": active,
            "cdt965_date": "2020-01-01"}


def approved(key: str, **extra: Any) -> Record:
    return exemption(**{"exemption_id": key, "decision": "approved",
                        "decided_on": "2025-01-01", "term_end": "2027-12-31",
                        "general_delegation_id": "GD-1", **extra})


def attach(reg: Register, kind: str, key: str, content: bytes) -> None:
    sha, size = docs.store_bytes(reg.paths, content)
    with reg.transaction() as tx:
        docs.add_document(tx, sha, f"{key}.pdf", size)
        docs.link(tx, sha, KINDS[kind], key)


def put(reg: Register, kind: str, *records: Record) -> None:
    with reg.transaction() as tx:
        for r in records:
            tx.put(KINDS[kind], r)


def craft(reg: Register) -> None:
    """One register with every finding but no-active-catr, and a near miss for each."""
    put(reg, "people",
        person("P-1", "Casey Catr", "catr"), person("P-2", "Dana Second", "catr"),
        person("P-3", "Avery Active", "atr"), person("P-4", "Ian Inactive", "atr", False),
        person("P-5", "Old Catr", "catr", False))
    put(reg, "delegations",
        delegation(delegation_id="GD-1", decision="approved"),
        delegation(delegation_id="GD-2", products_equipment=None),  # pending, incomplete
        delegation(delegation_id="GD-3", decision="denied"),
        delegation(delegation_id="CD-1", type="contract", decision="approved"),
        delegation(delegation_id="CD-2", type="contract", products_equipment=None,
                   justification=None),  # pending, complete for a contract delegation
        delegation(delegation_id="CD-3", type="contract", decision="denied"),
        delegation(delegation_id="CD-4", type="contract", decision="approved",
                   decided_on="2026-06-01"),
        delegation(delegation_id="CD-5", type="contract", decision="approved",
                   decided_on="2025-01-01", timeframe_end="2026-06-30"))
    put(reg, "exemptions",
        approved("EX-OK"),
        approved("EX-OLD", term_end="2026-06-30"),
        approved("EX-NOGD", general_delegation_id=None),
        approved("EX-CDGD", general_delegation_id="CD-1"),
        approved("EX-DENGD", general_delegation_id="GD-3"),
        approved("EX-NOEND", term_end=None),
        exemption(exemption_id="EX-PEND", provider=None),
        exemption(exemption_id="EX-PEND-OK"),
        exemption(exemption_id="EX-DEN", decision="denied", decided_on="2025-01-01"),
        # approved in 2019, before SAM 4605 (07/2023): no limited term, no paired delegation
        approved("EX-2019", decided_on="2019-05-01", submitted_on="2019-02-01",
                 general_delegation_id=None, term_end=None))
    for key in ("EX-OK", "EX-OLD", "EX-CDGD", "EX-DENGD", "EX-NOEND", "EX-2019"):
        attach(reg, "exemptions", key, f"approval {key}".encode())
    put(reg, "orders",
        order("O-OK", status="completed", catalog_status=None, catalog_status_as_of=None),
        order("O-EXP1", exemption_id="EX-OLD", request_date="2026-01-10", status="completed"),
        order("O-EXP2", exemption_id="EX-OLD", request_date="2026-01-11", status="cancelled"),
        order("O-LATE", exemption_id="EX-OLD", request_date="2026-08-01", status="draft"),
        order("O-EARLY", exemption_id="EX-OK", request_date="2024-12-01", status="completed"),
        order("O-EXOK", exemption_id="EX-OK", request_date="2026-01-10", status="completed"),
        order("O-DENIED", exemption_id="EX-DEN", status="draft"),
        order("O-DENIED-X", exemption_id="EX-DEN", status="cancelled"),
        order("O-PENDING", exemption_id="EX-PEND", status="approved"),
        order("O-PENDING-DRAFT", exemption_id="EX-PEND", status="draft"),
        order("O-DG-NODOC", delegation_id="CD-1"),
        order("O-DG-DOC", delegation_id="CD-1"),
        order("O-DG-DRAFT", delegation_id="CD-1", status="draft"),
        order("O-DG-CANCEL", delegation_id="CD-1", status="cancelled"),
        order("O-REQ-NONE", delegation_required=True, status="in-progress"),
        order("O-REQ-DEN", delegation_required=True, delegation_id="CD-3",
              status="completed", request_date="2026-11-25"),
        order("O-REQ-OK", delegation_required=True, delegation_id="CD-1"),
        order("O-REQ-DRAFT", delegation_required=True, status="draft"),
        order("O-REQ-NO", delegation_required=False),
        order("O-ATR-NAME", placed_by="  ian inactive "),
        order("O-ATR-ID", placed_by="P-4", status="completed", request_date="2026-11-25"),
        order("O-ATR-OLD", placed_by="Ian Inactive", status="completed",
              request_date="2023-06-01"),
        order("O-ATR-CANCEL", placed_by="Ian Inactive", status="cancelled"),
        order("O-ATR-ACTIVE", placed_by="Avery Active"),
        order("O-ATR-CATR", placed_by="Old Catr"),
        order("O-STALE", catalog_status_as_of="2026-08-01", status="draft",
              request_date="2026-07-01"),
        order("O-STALE-PLACED", catalog_status_as_of="2026-08-01"),  # placed: not judged
        order("O-DG-PEND", delegation_id="GD-2"),
        order("O-DG-PEND-DRAFT", delegation_id="GD-2", status="draft"),
        order("O-DG-EARLY", delegation_id="CD-4", request_date="2026-05-01",
              status="completed"),
        order("O-DG-INTIME", delegation_id="CD-4", request_date="2026-07-01"),
        order("O-DG-LATE", delegation_id="CD-5", request_date="2026-08-01",
              status="completed"),
        order("O-DG-OPEN", delegation_id="CD-5", request_date="2026-01-10",
              status="in-progress"),
        order("O-DG-DONE", delegation_id="CD-5", request_date="2026-01-10",
              status="completed"),
        order("O-ATR-NOBODY", placed_by="Pat Nobody"),
        order("O-NOCAT", status="draft", catalog_status=None, catalog_status_as_of=None),
        order("O-NOASOF", catalog_status="discretionary", catalog_status_as_of=None,
              status="draft"),
        # names a catalog item that now says Discretionary (recorded: Required)
        order("O-ITEM-DIFF", status="draft", contract_number="C4DNCS19", product_id="SIP-1"))
    put(reg, "catalog-items",
        {"contract_number": "C4DNCS19", "product_id": "SIP-1", "catalog_status": "discretionary",
         "delegation_required": False, "as_of": "2026-11-20"})
    for key in ("O-DG-DOC", "O-REQ-OK", "O-REQ-DEN", "O-DG-PEND", "O-DG-EARLY", "O-DG-INTIME",
                "O-DG-LATE", "O-DG-OPEN", "O-DG-DONE"):
        attach(reg, "orders", key, f"STD. 20 {key}".encode())
    put(reg, "outside-contracts",
        {"contract_id": "OC-NONE", "provider": "Acme", "services": ["SIP"],
         "renewal_date": "2027-01-15"},
        {"contract_id": "OC-NOTCALNET", "provider": "Acme", "services": ["PBX maintenance"],
         "renewal_date": "2027-01-15", "calnet_offers": False},
        {"contract_id": "OC-EXOK", "provider": "Acme", "services": ["SIP"],
         "renewal_date": "2027-01-15", "exemption_id": "EX-OK"},
        {"contract_id": "OC-EXOLD", "provider": "Acme", "services": ["SIP"],
         "renewal_date": "2027-01-15", "exemption_id": "EX-OLD"},
        {"contract_id": "OC-EXPEND", "provider": "Acme", "services": ["SIP"],
         "renewal_date": "2027-01-15", "exemption_id": "EX-PEND"},
        {"contract_id": "OC-FAR", "provider": "Acme", "services": ["SIP"],
         "renewal_date": "2027-09-01"},
        {"contract_id": "OC-PAST", "provider": "Acme", "services": ["SIP"],
         "renewal_date": "2026-11-30"},
        {"contract_id": "OC-ENDING", "provider": "Acme", "services": ["SIP"],
         "end_date": "2027-01-15"},
        {"contract_id": "OC-ENDING-NOTCALNET", "provider": "Acme", "services": ["PBX"],
         "end_date": "2027-01-15", "calnet_offers": False},
        {"contract_id": "OC-ENDED", "provider": "Acme", "services": ["SIP"],
         "end_date": "2025-01-15"},
        {"contract_id": "OC-WITHIN", "provider": "Acme", "services": ["SIP"],
         "end_date": "2027-06-30", "exemption_id": "EX-OK"})
    put(reg, "contracts", {"contract_number": "C4-NG", "generation": "nextgen",
                           "contractor": "AT&T"})
    put(reg, "atos",
        {"ato_id": "ATO-EARLY", "contractor": "AT&T", "services": ["SIP"],
         "approved_on": "2025-01-01", "notice_given_on": "2026-10-01"},
        {"ato_id": "ATO-AFTER", "contractor": "AT&T", "services": ["SIP"],
         "approved_on": "2022-01-01", "notice_given_on": "2024-06-01"},
        {"ato_id": "ATO-TERM0", "contractor": "AT&T", "services": ["SIP"],
         "approved_on": "2026-01-01", "term_months": 0, "notice_given_on": "2026-02-01"},
        {"ato_id": "ATO-QUIET", "contractor": "AT&T", "services": ["SIP"],
         "approved_on": "2026-01-01"},
        {"ato_id": "ATO-NODATE", "contractor": "AT&T", "services": ["SIP"]},
        {"ato_id": "ATO-NG", "contractor": "AT&T", "services": ["SIP"],
         "contract_number": "C4-NG", "approved_on": "2025-01-01"},
        {"ato_id": "ATO-NG-TERM", "contractor": "AT&T", "services": ["SIP"],
         "contract_number": "C4-NG", "approved_on": "2025-01-01", "term_months": 12},
        {"ato_id": "ATO-NOTICE-FIRST", "contractor": "AT&T", "services": ["SIP"],
         "approved_on": "2025-06-01", "notice_given_on": "2025-05-01"})


EXPECTED = {
    ("exemption-expired-with-active-orders", "exemptions", "EX-OLD"),
    ("exemption-missing-general-delegation", "exemptions", "EX-NOGD"),
    ("exemption-missing-general-delegation", "exemptions", "EX-CDGD"),
    ("exemption-missing-general-delegation", "exemptions", "EX-DENGD"),
    ("exemption-without-term-end", "exemptions", "EX-NOEND"),
    ("exemption-file-missing-documents", "exemptions", "EX-NOGD"),
    ("exemption-request-incomplete", "exemptions", "EX-PEND"),
    ("delegation-request-incomplete", "delegations", "GD-2"),
    ("delegated-order-missing-form20", "orders", "O-DG-NODOC"),
    ("order-missing-delegation", "orders", "O-REQ-NONE"),
    ("order-under-denied-delegation", "orders", "O-REQ-DEN"),
    ("order-under-denied-exemption", "orders", "O-DENIED"),
    ("order-under-pending-exemption", "orders", "O-PENDING"),
    ("order-before-exemption-approved", "orders", "O-EARLY"),
    ("exemption-order-outside-term", "orders", "O-LATE"),
    ("order-placed-by-inactive-atr", "orders", "O-ATR-NAME"),
    ("order-placed-by-inactive-atr", "orders", "O-ATR-ID"),
    ("catalog-status-stale", "orders", "O-STALE"),
    ("catalog-status-stale", "orders", "O-NOCAT"),
    ("catalog-status-stale", "orders", "O-NOASOF"),
    ("outside-renewal-needs-exemption", "outside-contracts", "OC-NONE"),
    ("outside-renewal-needs-exemption", "outside-contracts", "OC-EXOLD"),
    ("outside-renewal-needs-exemption", "outside-contracts", "OC-EXPEND"),
    # the renewal date passed yesterday without an exemption: it may have been renewed
    ("outside-renewal-needs-exemption", "outside-contracts", "OC-PAST"),
    # EX-OLD ended 06/30/2026; the contract under it is still on file
    ("outside-contract-beyond-exemption", "outside-contracts", "OC-EXOLD"),
    ("ato-notice-during-term", "atos", "ATO-EARLY"),
    ("ato-without-approval-date", "atos", "ATO-NODATE"),
    ("more-than-one-active-catr", "people", "P-1"),
    ("more-than-one-active-catr", "people", "P-2"),
    ("order-under-pending-delegation", "orders", "O-DG-PEND"),
    ("order-before-delegation-approved", "orders", "O-DG-EARLY"),
    ("delegation-order-outside-timeframe", "orders", "O-DG-LATE"),
    ("delegation-order-outside-timeframe", "orders", "O-DG-OPEN"),
    ("order-placed-by-unknown-person", "orders", "O-ATR-NOBODY"),
    ("outside-contract-end-needs-migration", "outside-contracts", "OC-ENDING"),
    ("ato-without-term", "atos", "ATO-NG"),
    ("ato-notice-before-approval", "atos", "ATO-NOTICE-FIRST"),
    ("ato-notice-during-term", "atos", "ATO-NOTICE-FIRST"),
    ("order-catalog-item-differs", "orders", "O-ITEM-DIFF"),
}


@pytest.fixture
def crafted(reg: Register, clock: Any) -> Register:
    # entered long ago: records without a date of their own exist from their first entry
    clock.now = dt.datetime(2024, 1, 2, 9, 0, tzinfo=dt.UTC)
    craft(reg)
    return reg


def triples(found: list[Finding]) -> set[tuple[str, str, str]]:
    return {(f.code, f.kind, f.key) for f in found}


def by(found: list[Finding], code: str, key: str) -> Finding:
    return next(f for f in found if f.code == code and f.key == key)


def test_the_crafted_register_gives_exactly_the_expected_findings(crafted: Register) -> None:
    found = findings(crafted, DAY)
    assert triples(found) == EXPECTED
    assert len(found) == len(EXPECTED)  # one finding per (code, record)


def test_every_code_is_produced_and_the_issue_codes_are_all_there(crafted: Register) -> None:
    assert ISSUE_CODES <= set(FINDING_CODES)
    seen = {f.code for f in findings(crafted, DAY)}
    with crafted.transaction() as tx:
        for key in ("P-1", "P-2"):
            tx.put(KINDS["people"], {"person_id": key, "active": False})
    seen |= {f.code for f in findings(crafted, DAY)}
    assert seen == set(FINDING_CODES)


def test_finding_shape_sorting_and_rule_set_data(crafted: Register) -> None:
    found = findings(crafted, DAY)
    rules = load_rules()
    ranks = [SEVERITIES.index(f.severity) for f in found]
    assert ranks == sorted(ranks)
    assert [f.sort_key for f in found] == sorted(f.sort_key for f in found)
    for f in found:
        d = f.as_dict()
        assert list(d) == ["code", "severity", "kind", "key", "message", "citation"]
        entry = rules.findings[f.code]
        assert f.severity == entry["severity"] and f.citation == entry["citation"]
        assert f.key in f.message and "{" not in f.message


def test_messages_say_what_is_wrong_and_what_to_do(crafted: Register) -> None:
    found = findings(crafted, DAY)
    expired = by(found, "exemption-expired-with-active-orders", "EX-OLD")
    assert "ended 06/30/2026" in expired.message
    assert "2 order(s) not cancelled still rely on it: O-EXP1, O-LATE." in expired.message
    assert "O-EXP2" not in expired.message  # cancelled
    assert expired.severity == "error" and expired.citation == "SAM 4605"
    assert "names no General Delegation" in by(
        found, "exemption-missing-general-delegation", "EX-NOGD").message
    assert "contract delegation, not a General Delegation" in by(
        found, "exemption-missing-general-delegation", "EX-CDGD").message
    assert "which is denied, not approved" in by(
        found, "exemption-missing-general-delegation", "EX-DENGD").message
    assert "attach FILE --to orders:O-DG-NODOC" in by(
        found, "delegated-order-missing-form20", "O-DG-NODOC").message
    assert "no delegation is linked" in by(found, "order-missing-delegation",
                                           "O-REQ-NONE").message
    assert ("Order O-REQ-DEN (completed) was placed under delegation CD-3, which was "
            "denied.") in by(found, "order-under-denied-delegation", "O-REQ-DEN").message
    renew = by(found, "outside-renewal-needs-exemption", "OC-NONE")
    assert "renews 01/15/2027 (in 45 day(s)) and no exemption is linked" in renew.message
    assert "ends 06/30/2026, before the renewal" in by(
        found, "outside-renewal-needs-exemption", "OC-EXOLD").message
    assert "EX-PEND is pending" in by(found, "outside-renewal-needs-exemption",
                                      "OC-EXPEND").message
    notice = by(found, "ato-notice-during-term", "ATO-EARLY").message
    assert "given 10/01/2026" in notice and "24-month" in notice
    assert "takes effect 01/01/2027" in notice
    catr = by(found, "more-than-one-active-catr", "P-1").message
    assert "2 active CATRs" in catr and "Dana Second (P-2)" in catr
    assert "placed by ian inactive; Ian Inactive (P-4) is an inactive ATR" in by(
        found, "order-placed-by-inactive-atr", "O-ATR-NAME").message
    incomplete = by(found, "exemption-request-incomplete", "EX-PEND").message
    # the elements in words, as the packet names them, not their codes (issue 17 item 5)
    assert "lacks 1 element(s): the provider (and its documentation" in incomplete
    assert "request-check exemptions EX-PEND" in incomplete
    assert "the specific products and equipment" in by(found, "delegation-request-incomplete",
                                              "GD-2").message
    assert "was requested before exemption EX-OK was approved (01/01/2025)" in by(
        found, "order-before-exemption-approved", "O-EARLY").message
    assert "term ended 06/30/2026" in by(found, "exemption-order-outside-term",
                                          "O-LATE").message
    assert "more than 90 days ago" in by(found, "catalog-status-stale", "O-STALE").message
    assert "is not recorded" in by(found, "catalog-status-stale", "O-NOCAT").message
    assert "has no as-of date" in by(found, "catalog-status-stale", "O-NOASOF").message


@pytest.mark.parametrize(("today", "present", "absent"), [
    # The exemption ends 06/30/2026: on that day it is still in force.
    (dt.date(2026, 6, 30), set(), {("exemption-expired-with-active-orders", "EX-OLD")}),
    (dt.date(2026, 7, 1), {("exemption-expired-with-active-orders", "EX-OLD")}, set()),
    # The renewal (01/15/2027) enters the outside-contracts ladder's first step, 120 days.
    (dt.date(2026, 9, 16), set(), {("outside-renewal-needs-exemption", "OC-NONE")}),
    (dt.date(2026, 9, 17), {("outside-renewal-needs-exemption", "OC-NONE")}, set()),
    (dt.date(2027, 1, 15), {("outside-renewal-needs-exemption", "OC-NONE")}, set()),
    # ... and stays once the date has passed: it may have been renewed without an exemption
    (dt.date(2027, 1, 16), {("outside-renewal-needs-exemption", "OC-NONE")}, set()),
    # Early notice matters until it takes effect on the anniversary (01/01/2027).
    (dt.date(2026, 12, 31), {("ato-notice-during-term", "ATO-EARLY")}, set()),
    (dt.date(2027, 1, 1), set(), {("ato-notice-during-term", "ATO-EARLY")}),
    # The catalog status of O-STALE (as of 08/01/2026) is stale after 90 days.
    (dt.date(2026, 10, 30), set(), {("catalog-status-stale", "O-STALE")}),
    (dt.date(2026, 10, 31), {("catalog-status-stale", "O-STALE")}, set()),
])
def test_today_changes_the_outcome(crafted: Register, today: dt.date,
                                   present: set[tuple[str, str]],
                                   absent: set[tuple[str, str]]) -> None:
    seen = {(f.code, f.key) for f in findings(crafted, today)}
    assert present <= seen
    assert not absent & seen


def test_the_renewal_window_follows_a_per_record_ladder(crafted: Register) -> None:
    set_ladder(crafted, "outside-contracts", "OC-NONE", (30, 7))  # 45 days out: not yet
    keys = {f.key for f in findings(crafted, DAY)
            if f.code == "outside-renewal-needs-exemption"}
    assert keys == {"OC-EXOLD", "OC-EXPEND", "OC-PAST"}
    set_ladder(crafted, "outside-contracts", "OC-FAR", (365,))  # 274 days out: now
    keys = {f.key for f in findings(crafted, DAY)
            if f.code == "outside-renewal-needs-exemption"}
    assert keys == {"OC-EXOLD", "OC-EXPEND", "OC-FAR", "OC-PAST"}


@pytest.mark.parametrize("agency_class", ["exempt-state", "non-state"])
def test_renewals_need_no_exemption_outside_non_exempt_state_agencies(
        crafted: Register, agency_class: str) -> None:
    with crafted.transaction() as tx:
        tx.set_agency({"agency_class": agency_class})
    codes = {f.code for f in findings(crafted, DAY)}
    assert "outside-renewal-needs-exemption" not in codes
    assert "exemption-expired-with-active-orders" in codes


def test_an_atr_made_inactive_later_keeps_older_completed_orders_clean(
        reg: Register, clock: Any) -> None:
    put(reg, "people", person("P-1", "Casey Catr", "catr"),
        person("P-7", "Lee Later", "atr"))
    clock.now = dt.datetime(2027, 3, 1, 17, tzinfo=dt.UTC)
    put(reg, "people", {"person_id": "P-7", "active": False})
    put(reg, "orders",
        order("O-BEFORE", placed_by="Lee Later", status="completed", request_date="2027-02-01"),
        order("O-AFTER", placed_by="Lee Later", status="completed", request_date="2027-03-05"),
        order("O-OPEN", placed_by="P-7", request_date="2027-02-01",
              catalog_status_as_of="2027-02-01"))
    found = findings(reg, dt.date(2027, 3, 10))
    assert triples(found) == {("order-placed-by-inactive-atr", "orders", "O-AFTER"),
                              ("order-placed-by-inactive-atr", "orders", "O-OPEN")}
    # Someone active by the same name: the order is taken as theirs.
    put(reg, "people", person("P-8", "Lee Later", "atr"))
    assert findings(reg, dt.date(2027, 3, 10)) == [
        f for f in found if f.key == "O-OPEN"]


def test_a_person_listed_after_their_orders_is_not_unknown_as_of_an_earlier_day(
        reg: Register, clock: Any) -> None:
    """The demo dashboard (made today, as of a month ago) flagged 237 orders "placed by an
    unknown person": its people have no CDT-965 date, so as of that day they did not exist
    yet. Who placed an order is looked up among every person in the register."""
    put(reg, "orders", order("O-1", placed_by="Kim Listed", status="completed",
                             request_date="2026-10-01"),
        order("O-2", placed_by="Nobody Known", status="completed", request_date="2026-10-01"))
    clock.now = dt.datetime(2026, 11, 30, 17, tzinfo=dt.UTC)
    put(reg, "people", {**person("P-1", "Casey Catr", "catr"),
                        "cdt965_date": None}, {**person("P-2", "Kim Listed", "atr"),
                                               "cdt965_date": None})
    unknown = [f.key for f in findings(reg, dt.date(2026, 10, 30))
               if f.code == "order-placed-by-unknown-person"]
    assert unknown == ["O-2"]


def test_no_active_catr_is_a_finding_on_the_agency(reg: Register) -> None:
    found = findings(reg, DAY)
    assert [f.as_dict() | {"message": ""} for f in found] == [
        {"code": "no-active-catr", "severity": "error", "kind": "agency", "key": "agency",
         "message": "", "citation": "STMM 0300.0"}]
    put(reg, "people", person("P-1", "Casey Catr", "catr", active=False))
    assert [f.code for f in findings(reg, DAY)] == ["no-active-catr"]
    put(reg, "people", person("P-2", "Dana Catr", "catr"))
    assert findings(reg, DAY) == []


def test_severity_message_and_parameters_come_from_the_rule_set(crafted: Register) -> None:
    (crafted.paths.root / "rules.toml").write_text(
        '[findings.more-than-one-active-catr]\nseverity = "info"\ncitation = "CDT-965 (2027)"\n'
        'message = "CATR {name} ({key}): {count} active."\n\n'
        '[findings.catalog-status-stale]\nmax_age_days = 200\n\n'
        '[rules.one-active-catr]\nvalue = 2\n', "utf-8")
    found = findings(crafted, DAY)
    assert not any(f.code == "more-than-one-active-catr" for f in found)  # two allowed now
    assert ("catalog-status-stale", "O-STALE") not in {(f.code, f.key) for f in found}
    (crafted.paths.root / "rules.toml").write_text(
        '[findings.more-than-one-active-catr]\nseverity = "info"\ncitation = "CDT-965 (2027)"\n'
        'message = "CATR {name} ({key}): {count} active."\n', "utf-8")
    catr = by(findings(crafted, DAY), "more-than-one-active-catr", "P-2")
    assert catr.as_dict() == {"code": "more-than-one-active-catr", "severity": "info",
                              "kind": "people", "key": "P-2",
                              "message": "CATR Dana Second (P-2): 2 active.",
                              "citation": "CDT-965 (2027)"}


@pytest.mark.parametrize(("override", "message"), [
    ('[findings.no-active-catr]\nseverity = "fatal"\n', "severity must be one of"),
    ('[findings.no-active-catr]\nmessage = "No CATR in {agency}."\n', "uses {agency}"),
    ('[findings.no-active-catr]\nmessage = "No CATR {"\n', "not a valid template"),
    ('[findings.no-active-catr]\ncitation = ""\n', "needs a citation"),
    ('[findings.catalog-status-stale]\nmax_age_days = "soon"\n', "whole number of days"),
    ('[findings]\nno-active-catr = 3\n', "must be a table"),
    ('[findings.no-active-catrs]\nseverity = "info"\n', "unknown finding code"),
])
def test_a_bad_findings_override_is_named(reg: Register, override: str,
                                          message: str) -> None:
    (reg.paths.root / "rules.toml").write_text(override, "utf-8")
    with pytest.raises(RulesError, match=message):
        findings(reg, DAY)


# --- the CLI -----------------------------------------------------------------------------


@pytest.fixture
def home(isolated_home: Path) -> Path:
    r = Register.create(isolated_home, agency="Department of Testing",
                        agency_class="non-exempt-state")
    with r:
        put(r, "people", person("P-1", "Casey Catr", "catr"))
        put(r, "delegations", delegation(delegation_id="GD-1", decision="approved"))
        put(r, "exemptions", approved("EX-OLD", term_end="2026-06-30"))
        attach(r, "exemptions", "EX-OLD", b"approval")
        put(r, "orders", order("O-1", exemption_id="EX-OLD", status="completed",
                               request_date="2026-01-10"))
    return isolated_home


def test_cli_findings_exit_1_with_findings_and_0_without(home: Path, run_cli: Any) -> None:
    r = run_cli("findings", "--json", "--today", "2026-07-01")
    assert r.code == 1, r
    out = json.loads(r.out)
    assert [(f["code"], f["kind"], f["key"]) for f in out] == [
        ("exemption-expired-with-active-orders", "exemptions", "EX-OLD")]
    assert set(out[0]) == {"code", "severity", "kind", "key", "message", "citation"}
    r = run_cli("findings", "--json", "--today", "2026-06-30")
    assert r.code == 0 and json.loads(r.out) == []


def test_cli_findings_text(home: Path, run_cli: Any) -> None:
    r = run_cli("findings", "--today", "2026-07-01")
    assert r.code == 1
    assert r.out.startswith("error    exemption-expired-with-active-orders  exemptions "
                            "EX-OLD  [SAM 4605]\n")
    assert r.out.endswith("1 finding(s) as of 07/01/2026: 1 error, 0 warning, 0 info\n")
    r = run_cli("findings", "--today", "2026-06-30")
    assert r.code == 0 and r.out == "No findings as of 06/30/2026\n"


@pytest.mark.parametrize("argv", [["findings", "--today", "tomorrow"],
                                  ["findings", "--today", "2026-13-01"],
                                  ["findings", "--within", "3"]])
def test_cli_findings_bad_usage_exits_2(home: Path, run_cli: Any, argv: list[str]) -> None:
    assert run_cli(*argv).code == 2


def test_cli_findings_needs_a_register(run_cli: Any) -> None:
    r = run_cli("findings", "--json")
    assert r.code == 1 and "no register in" in r.err


def test_cli_findings_broken_rule_set_exits_1(home: Path, run_cli: Any) -> None:
    (home / "rules.toml").write_text('[findings.no-active-catr]\nseverity = "fatal"\n',
                                     "utf-8")
    r = run_cli("findings", "--json")
    assert r.code == 1 and "severity must be one of" in r.err and r.out == ""


def test_the_readme_lists_every_finding_code() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    assert [c for c in FINDING_CODES if f"| `{c}` |" not in readme] == []
