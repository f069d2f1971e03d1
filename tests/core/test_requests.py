"""Request completeness: the elements STMM 501.0 and 3-502.0 ask of a request, as data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from calnet_desk.policy.requests import (
    UsageError,
    check_request,
    elements,
    missing_elements,
    request_kind,
)
from calnet_desk.policy.rules import RulesError, load_rules
from calnet_desk.records import KINDS, Record
from calnet_desk.store import RecordError, Register

EXEMPTION_ELEMENTS = [
    "project", "services-quantity-type-location", "services-needed", "reason",
    "calnet-cannot-meet-need", "consequences", "contract-length-terms",
    "early-termination-extension", "total-cost", "cost-by-item", "provider",
    "sla-rights-remedies", "ipr-documentation", "ipr-comparability",
    "ipr-no-undue-interference", "fsr-reference", "signer-aio-cio",
    "general-delegation-paired"]
DELEGATION_ELEMENTS = [
    "project-scope-purpose", "activities", "timeframes", "locations", "products-equipment",
    "staff-qualifications", "justification", "consequences-if-denied", "signer-cio"]


def exemption(**extra: Any) -> Record:
    record: Record = {
        "exemption_id": "EX-1", "project": "Satellite link for the Alturas field office",
        "services": ["Satellite broadband"],
        "service_locations": "1 x 100 Mbps, 4500 Mountain Rd, Alturas, CA 96101",
        "reason": "feature-gap", "calnet_gap": "No CALNET contractor serves the site.",
        "consequences": "The office stays offline.", "provider": "Sky Link Inc.",
        "provider_documents": "Quote SL-2291 and master agreement",
        "contract_length_months": 36, "contract_terms": "Monthly service, net 30",
        "early_termination": "Two months' charges", "extensions": "Two one-year options",
        "total_cost": 4_800_000, "cost_by_item": "Service $1,200/month; install $4,800",
        "sla_rights_remedies": "99.5 % availability; credits of 10 % per hour down",
        "ipr_documentation": None, "fsr_reference": None, "signer": "R. Patel",
        "signer_title": "Chief Information Officer", "decision": "pending",
        "need": "The field office has no broadband; staff drive to Redding to file reports.",
        "submitted_on": "2023-03-01"}  # before SAM 4605: no paired General Delegation asked
    record.update(extra)
    return record


def delegation(**extra: Any) -> Record:
    record: Record = {
        "delegation_id": "GD-1", "type": "general", "project": "PBX replacement",
        "scope": "Headquarters PBX", "purpose": "End of support",
        "locations": "1416 9th Street, Sacramento", "products_equipment": "Avaya IP Office",
        "staff_qualifications": "Two certified engineers, ten years each",
        "justification": "CALNET offers no premise PBX", "consequences_if_denied": "Outage risk",
        "signer": "R. Patel", "signer_title": "CIO", "timeframe_end": "2027-06-30",
        "timeframe_start": "2026-07-01", "activities": ["Installation", "Design and development"],
        "decision": "pending"}
    record.update(extra)
    return record


@pytest.fixture
def rules() -> Any:
    return load_rules()


def codes(rules: Any, kind: str, record: Record) -> list[str]:
    return [e.code for e in missing_elements(rules, kind, record)]


def test_element_codes_are_exactly_the_documented_ones_in_order(rules: Any) -> None:
    assert [e.code for e in elements(rules, "exemptions")] == EXEMPTION_ELEMENTS
    assert [e.code for e in elements(rules, "delegations")] == DELEGATION_ELEMENTS
    for e in elements(rules, "exemptions"):
        assert e.citation == ("SAM 4605" if e.code == "general-delegation-paired"
                              else "STMM 501.0") and e.label
    for e in elements(rules, "delegations"):
        assert e.citation == "STMM 3-502.0" and e.label


def test_a_complete_exemption_request(rules: Any) -> None:
    result = check_request(exemption(), "exemptions", rules=rules)
    assert result == {"kind": "exemptions", "key": "EX-1", "complete": True, "missing": []}


@pytest.mark.parametrize(("field", "element"), [
    ("project", "project"), ("services", "services-quantity-type-location"),
    ("service_locations", "services-quantity-type-location"), ("reason", "reason"),
    ("calnet_gap", "calnet-cannot-meet-need"), ("consequences", "consequences"),
    ("contract_length_months", "contract-length-terms"),
    ("contract_terms", "contract-length-terms"),
    ("early_termination", "early-termination-extension"),
    ("extensions", "early-termination-extension"), ("total_cost", "total-cost"),
    ("cost_by_item", "cost-by-item"), ("provider", "provider"),
    ("sla_rights_remedies", "sla-rights-remedies"), ("need", "services-needed"),
    ("signer", "signer-aio-cio"), ("signer_title", "signer-aio-cio"),
])
def test_each_exemption_element_missing_in_turn(rules: Any, field: str, element: str) -> None:
    empty: Any = [] if field == "services" else None
    result = check_request(exemption(**{field: empty}), "exemption", rules=rules)
    assert result["complete"] is False
    assert result["missing"] == [{"element": element, "label": result["missing"][0]["label"],
                                  "citation": "STMM 501.0"}]
    assert result["missing"][0]["label"]


@pytest.mark.parametrize("blank", ["", "   ", ["", " "]])
def test_blank_text_is_missing_and_zero_is_no_amount(rules: Any, blank: Any) -> None:
    field = "services" if isinstance(blank, list) else "provider"
    assert codes(rules, "exemptions", exemption(**{field: blank})) != []
    # contract length 0 and total cost $0 were accepted: amounts and terms must be positive
    assert codes(rules, "exemptions", exemption(total_cost=0)) == ["total-cost"]
    assert codes(rules, "exemptions", exemption(contract_length_months=0)) == [
        "contract-length-terms"]
    assert codes(rules, "exemptions", exemption(total_cost=-100)) == ["total-cost"]


def test_vendor_documentation_is_if_available(rules: Any) -> None:
    assert codes(rules, "exemptions", exemption(provider_documents=None)) == []


@pytest.mark.parametrize(("title", "ok"), [
    ("Chief Information Officer", True), ("Acting CIO", True),
    ("Agency Information Officer", True), ("Intern", False), ("Office technician", False),
])
def test_the_signer_title_must_be_aio_cio_or_a_configured_equivalent(
        rules: Any, title: str, ok: bool) -> None:
    expected = [] if ok else ["signer-aio-cio"]
    assert codes(rules, "exemptions", exemption(signer_title=title)) == expected
    assert codes(rules, "delegations", delegation(signer_title=title)) == (
        [] if ok else ["signer-cio"])


def test_an_agency_configures_an_equivalent_title(reg: Register) -> None:
    (reg.paths.root / "rules.toml").write_text(
        '[requests.signer-titles]\ntitles = ["Chief Information Officer", "CIO", '
        '"Chief Technology Officer"]\n', "utf-8")
    rules = load_rules(None, reg.paths.root)
    assert codes(rules, "exemptions", exemption(signer_title="Chief Technology Officer")) == []


def test_after_sam_4605_a_request_names_its_general_delegation(rules: Any) -> None:
    later = exemption(submitted_on="2024-05-01")
    assert codes(rules, "exemptions", later) == ["general-delegation-paired"]
    assert codes(rules, "exemptions", exemption(submitted_on=None)) == [
        "general-delegation-paired"]  # not yet submitted: it will be after SAM 4605
    assert codes(rules, "exemptions", exemption(submitted_on="2024-05-01",
                                                general_delegation_id="GD-1")) == []


@pytest.mark.parametrize(("locations", "ok"), [
    ("2 x SIP trunk, 244 County Center Drive, Fresno", True),
    ("1 x DIA at 1416 9th Street", True),
    ("12B Harbor Way, Oakland", True),
    ("The Fresno call center", False),
    ("Sacramento and Fresno offices", False),
    # junk the old check accepted: a quantity is not a house number, a city is not a street
    ("4 x Ethernet private line, Sacramento", False),
    ("25 x contact center agent seats in Fresno", False),
    ("1500 Capitol Mall, Sacramento; 2 x DIA, 4500 Mountain Rd., Alturas", True),
    ("1500 Capitol Mall, Sacramento; 25 x contact center agent seats in Fresno", False),
])
def test_the_street_address_must_be_given(rules: Any, locations: str, ok: bool) -> None:
    missing = codes(rules, "exemptions", exemption(service_locations=locations))
    assert missing == ([] if ok else ["services-quantity-type-location"])


def test_ipr_documentation_only_when_the_reason_is_ipr(rules: Any) -> None:
    assert codes(rules, "exemptions", exemption(reason="feature-gap")) == []
    assert codes(rules, "exemptions", exemption(reason="ipr")) == [
        "ipr-documentation", "ipr-comparability", "ipr-no-undue-interference"]
    assert codes(rules, "exemptions", exemption(
        reason="ipr", ipr_documentation="IPR worksheet", ipr_comparability="Same SLAs",
        ipr_network_ok=False)) == ["ipr-no-undue-interference"]
    assert codes(rules, "exemptions", exemption(
        reason="ipr", ipr_documentation="IPR worksheet", ipr_comparability="Same SLAs",
        ipr_network_ok=True)) == []
    # No reason at all: the reason is missing, the IPR papers are not asked for yet.
    assert codes(rules, "exemptions", exemption(reason=None)) == ["reason"]


@pytest.mark.parametrize(("field", "text"), [
    ("project", "Satellite link (FSR 2024-DOD-30)"),
    ("provider_documents", "See the Feasibility Study Report, section 4"),
    ("calnet_gap", "As the project approval documents show, no contractor serves the site"),
    ("consequences", "The PAL Stage 2 project stalls"),
    ("cost_by_item", "As costed in the S2AA"),
])
def test_fsr_reference_only_when_the_request_mentions_an_fsr_route(
        rules: Any, field: str, text: str) -> None:
    assert codes(rules, "exemptions", exemption(**{field: text})) == ["fsr-reference"]
    assert codes(rules, "exemptions", exemption(**{field: text},
                                                fsr_reference="FSR 2024-DOD-30")) == []


@pytest.mark.parametrize("text", ["Paladin Networks quote", "Offsrping typo", "pal stage"])
def test_words_that_merely_contain_the_letters_do_not_signal_an_fsr(rules: Any,
                                                                    text: str) -> None:
    assert codes(rules, "exemptions", exemption(provider_documents=text)) == []


def test_a_complete_general_delegation_and_each_element_missing(rules: Any) -> None:
    assert codes(rules, "delegations", delegation()) == []
    for field, element in [("project", "project-scope-purpose"),
                           ("scope", "project-scope-purpose"),
                           ("purpose", "project-scope-purpose"),
                           ("timeframe_end", "timeframes"), ("timeframe_start", "timeframes"),
                           ("activities", "activities"), ("locations", "locations"),
                           ("products_equipment", "products-equipment"),
                           ("staff_qualifications", "staff-qualifications"),
                           ("justification", "justification"),
                           ("consequences_if_denied", "consequences-if-denied"),
                           ("signer", "signer-cio"), ("signer_title", "signer-cio")]:
        assert codes(rules, "delegations", delegation(**{field: None})) == [element], field


def test_products_and_justification_only_for_general_delegations(rules: Any) -> None:
    bare = {"products_equipment": None, "justification": None}
    assert codes(rules, "delegations", delegation(type="general", **bare)) == [
        "products-equipment", "justification"]
    assert codes(rules, "delegations", delegation(type="contract", **bare)) == []


def test_check_request_reads_the_register(reg: Register) -> None:
    with reg.transaction() as tx:
        tx.put(KINDS["exemptions"], exemption(provider=None))
    result = check_request(reg, "exemptions", "EX-1")
    assert result["key"] == "EX-1" and result["complete"] is False
    assert [m["element"] for m in result["missing"]] == ["provider"]
    with pytest.raises(RecordError, match="no exemption EX-9"):
        check_request(reg, "exemptions", "EX-9")
    with pytest.raises(UsageError):
        check_request(reg, "exemptions")


@pytest.mark.parametrize("name", ["orders", "atos", "widgets"])
def test_only_exemptions_and_delegations_have_requests(name: str) -> None:
    with pytest.raises(UsageError, match="exemptions, delegations"):
        request_kind(name)
    assert request_kind("exemption").name == "exemptions"
    assert request_kind("Delegations").name == "delegations"


def test_a_register_override_changes_the_elements(reg: Register) -> None:
    (reg.paths.root / "rules.toml").write_text(
        '[[requests.exemptions.elements]]\n'
        'code = "general-delegation-paired"\nretired = true\n\n'
        '[[requests.exemptions.elements]]\n'
        'code = "sla-rights-remedies"\ncitation = "STMM 501.0 (2027 text)"\n\n'
        '[[requests.exemptions.elements]]\n'
        'code = "submitted-on"\nlabel = "The submission date"\ncitation = "design"\n'
        'fields = ["submitted_on"]\n', "utf-8")
    with reg.transaction() as tx:
        tx.put(KINDS["exemptions"], exemption(submitted_on=None,
                                              sla_rights_remedies=None))
    result = check_request(reg, "exemptions", "EX-1")
    assert result["missing"] == [
        {"element": "sla-rights-remedies", "label": "The service levels, with rights and "
         "remedies", "citation": "STMM 501.0 (2027 text)"},
        {"element": "submitted-on", "label": "The submission date", "citation": "design"}]


@pytest.mark.parametrize(("override", "message"), [
    ('code = "provider"\nfields = ["vendor"]\n', "vendor, not a field of exemptions"),
    ('code = "new"\nlabel = "x"\nfields = ["provider"]\n', "needs a citation"),
    ('code = "provider"\nformats = { provider = { pattern = "(" } }\n',
     "not a regular expression"),
    ('code = "provider"\nwhen = { colour = ["red"] }\n', "colour, not a field"),
])
def test_a_bad_override_is_named(reg: Register, override: str, message: str) -> None:
    (reg.paths.root / "rules.toml").write_text(
        "[[requests.exemptions.elements]]\n" + override, "utf-8")
    with pytest.raises(RulesError, match=message):
        elements(load_rules(None, reg.paths.root), "exemptions")


# --- the CLI -----------------------------------------------------------------------------


@pytest.fixture
def home(isolated_home: Path) -> Path:
    r = Register.create(isolated_home, agency="Department of Testing",
                        agency_class="non-exempt-state")
    with r, r.transaction() as tx:
        tx.put(KINDS["delegations"], delegation())
        tx.put(KINDS["delegations"], delegation(delegation_id="CD-1", type="contract",
                                                products_equipment=None, justification=None))
        tx.put(KINDS["exemptions"], exemption())
        tx.put(KINDS["exemptions"], exemption(exemption_id="EX-2", reason="ipr",
                                              service_locations="The Alturas office",
                                              signer_title=None))
    return isolated_home


def test_cli_complete_request_exits_0(home: Path, run_cli: Any) -> None:
    r = run_cli("request-check", "exemptions", "EX-1", "--json")
    assert r.code == 0, r
    assert json.loads(r.out) == {"kind": "exemptions", "key": "EX-1", "complete": True,
                                 "missing": []}
    r = run_cli("request-check", "delegation", "CD-1")  # singular; contract: no products
    assert r.code == 0 and "complete, all 7 elements given" in r.out


def test_cli_incomplete_request_exits_1_and_says_what_is_missing(home: Path,
                                                                 run_cli: Any) -> None:
    r = run_cli("request-check", "exemption", "EX-2", "--json")
    assert r.code == 1
    out = json.loads(r.out)
    assert out["kind"] == "exemptions" and out["key"] == "EX-2" and out["complete"] is False
    assert [m["element"] for m in out["missing"]] == [
        "services-quantity-type-location", "ipr-documentation", "ipr-comparability",
        "ipr-no-undue-interference", "signer-aio-cio"]
    assert all(set(m) == {"element", "label", "citation"} for m in out["missing"])
    text = run_cli("request-check", "exemptions", "EX-2")
    assert text.code == 1
    assert "incomplete, 5 of 16 elements missing" in text.out
    assert "service_locations does not give a street address" in text.out
    assert "signer_title is empty" in text.out


@pytest.mark.parametrize(("argv", "code", "err"), [
    (["request-check", "exemptions", "EX-9"], 1, "no exemption EX-9"),
    (["request-check", "delegations", "GD-9", "--json"], 1, "no delegation GD-9"),
    (["request-check", "orders", "HO-1"], 2, "has no request"),
    (["request-check", "exemptions"], 2, "required"),
    (["request-check"], 2, "required"),
])
def test_cli_request_check_not_found_and_bad_usage(home: Path, run_cli: Any, argv: list[str],
                                                   code: int, err: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli(*argv)
    assert r.code == code, r
    assert err in r.err + capsys.readouterr().err  # argparse writes usage errors itself
    assert r.out == ""


def test_cli_request_check_needs_a_register(run_cli: Any) -> None:
    r = run_cli("request-check", "exemptions", "EX-1")
    assert r.code == 1 and "no register in" in r.err


def test_cli_a_broken_override_exits_1(home: Path, run_cli: Any) -> None:
    (home / "rules.toml").write_text('[[requests.exemptions.elements]]\ncode = "provider"\n'
                                     'fields = ["vendor"]\n', "utf-8")
    r = run_cli("request-check", "exemptions", "EX-1")
    assert r.code == 1 and "vendor, not a field of exemptions" in r.err


def test_the_readme_lists_every_element_code(rules: Any) -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text("utf-8")
    for kind in ("exemptions", "delegations"):
        assert [e.code for e in elements(rules, kind) if f"`{e.code}`" not in readme] == []


def test_the_activities_are_the_five_the_chapter_names(rules: Any) -> None:
    assert codes(rules, "delegations", delegation(activities=["Operation and maintenance"])) == []
    assert codes(rules, "delegations", delegation(activities=["Everything"])) == ["activities"]
