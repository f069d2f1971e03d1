"""Rules as cited data, and the procurement check (every table row, every exit code)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from calnet_desk.policy.procurement import Purchase, UsageError, check_purchase
from calnet_desk.policy.rules import (
    PACKAGED,
    RulesError,
    load_rules,
    packaged_rule_sets,
    parsed_copy_name,
)

CITATION = re.compile(r"^(STMM (intro|\d[\d.-]*)|TL \d\d-\d\d|SAM \d+|GC \d+|PCC [\d-]+|"
                      r"Notification \d\d-\d\d|NextGen overview|design)$")


def test_every_rule_names_its_source() -> None:
    rules = load_rules()
    assert rules.rules
    for rule in rules.rules.values():
        assert CITATION.match(rule.citation), (rule.id, rule.citation)
        assert rule.text
    for kind, d in rules.deadlines.items():
        assert CITATION.match(d["citation"]), kind
    for case in rules.procurement:
        assert case["citations"] and all(CITATION.match(c) for c in case["citations"])


@pytest.mark.parametrize("name", packaged_rule_sets())
def test_each_shipped_rule_set_is_read_as_its_toml_says(name: str) -> None:
    """The app reads each shipped rule set's JSON copy (a millisecond, where parsing the
    TOML took a tenth of the cold start): it must hold exactly what the TOML says, in the
    same order. After changing a TOML, run scripts/make_rules_json.py."""
    import tomllib

    toml = tomllib.loads((PACKAGED / name).read_text("utf-8"))
    copy = json.loads((PACKAGED / parsed_copy_name(name)).read_text("utf-8"))
    assert json.dumps(copy) == json.dumps(toml), (
        f"{parsed_copy_name(name)} differs from {name}: run scripts/make_rules_json.py")


def test_policy_numbers_come_from_the_rule_set() -> None:
    rules = load_rules()
    assert rules.value("ato-exclusive-term-months") == 24
    assert rules.citation("ato-exclusive-term-months") == "STMM 400.1"
    assert rules.value("ato-notice-days") == 30
    assert rules.value("ipr-max-percent-of-calnet") == 80
    assert rules.ladder("atos") == [90, 60, 30, 7]
    assert rules.ladder("people") == [90, 60, 30, 7]  # no kind ladder: the default


@pytest.mark.parametrize("generation", ["calnet-2", "calnet-3", "nextgen"])
def test_each_generation_has_a_rule_set(generation: str) -> None:
    rules = load_rules(generation)
    assert rules.generation == generation
    assert rules.sources == ("common.toml", f"{generation}.toml")


def test_contractor_aliases_are_data() -> None:
    rules = load_rules()
    assert rules.canonical_contractor("CenturyLink") == "Lumen"
    assert rules.canonical_contractor(" sprint ") == "T-Mobile"
    assert rules.canonical_contractor("Zayo") == "Zayo"
    assert "CenturyLink" in rules.contractor_names("Lumen")


def test_register_overrides_keep_or_replace_citations(tmp_path: Path) -> None:
    (tmp_path / "rules.toml").write_text(
        '[rules.ato-notice-days]\nvalue = 45\n\n'
        '[rules.reminder-ladder-days.by-kind]\natos = [120, 30]\n', encoding="utf-8")
    rules = load_rules(None, tmp_path)
    assert rules.value("ato-notice-days") == 45
    assert rules.citation("ato-notice-days") == "STMM 400.1"  # kept from the package
    assert rules.rules["ato-notice-days"].source.endswith("rules.toml")
    assert rules.ladder("atos") == [120, 30]
    (tmp_path / "rules.toml").write_text('[rules.my-new-rule]\nvalue = 3\n', encoding="utf-8")
    with pytest.raises(RulesError, match="my-new-rule needs a citation"):
        load_rules(None, tmp_path)
    (tmp_path / "rules.toml").write_text("[rules\n", encoding="utf-8")
    with pytest.raises(RulesError, match="rules.toml: not valid TOML"):
        load_rules(None, tmp_path)


def test_rules_cli(run_cli: Any) -> None:
    r = run_cli("rules", "--json")
    assert r.code == 0
    data = json.loads(r.out)
    ids = {rule["id"]: rule for rule in data["rules"]}
    assert ids["ato-exclusive-term-months"]["citation"] == "STMM 400.1"
    assert {d["kind"] for d in data["deadlines"]} >= {"ato-exclusive-term-end",
                                                      "contract-end"}
    assert {f["code"] for f in data["findings"]} >= {"no-active-catr",
                                                     "exemption-request-incomplete"}
    codes = [e["code"] for e in data["requests"]["exemptions"]["elements"]]
    assert codes[0] == "project" and "signer-aio-cio" in codes
    text = run_cli("rules").out
    assert "ato-exclusive-term-months: 24 months  [STMM 400.1, STMM 501.0]" in text
    assert "Request elements: delegations  [STMM 3-502.0]" in text
    assert "CenturyLink -> Lumen" in text


# --- the procurement check: every row of the table -----------------------------------------

ROWS = [
    # (flags, requirements, a citation that must be there)
    ({"agency_class": "non-exempt-state", "offering": "contact-center-agents"},
     ["outside-calnet-rules"], "PCC 10335-10381"),
    ({"agency_class": "exempt-state", "offering": "contact-center-agents"},
     ["outside-calnet-rules"], "Notification 26-01"),
    ({"agency_class": "exempt-state", "offering": "calnet", "catalog_status": "required",
      "buy_outside": True}, ["calnet-optional"], "STMM 501.0"),
    ({"agency_class": "non-state", "offering": "calnet", "ato_term_active": "yes"},
     ["order-on-calnet"], "STMM 400.1"),
    ({"agency_class": "non-state", "offering": "calnet", "ato_term_active": "no"},
     ["calnet-optional"], "STMM 400.1"),
    ({"agency_class": "non-state", "offering": "not-on-calnet"}, ["calnet-optional"],
     "STMM 400.1"),
    ({"agency_class": "non-exempt-state", "offering": "calnet", "catalog_status": "required",
      "buy_outside": True}, ["exemption-before-purchase", "general-delegation"], "STMM 501.0"),
    ({"agency_class": "non-exempt-state", "offering": "calnet", "catalog_status": "required",
      "delegation_flag": "yes", "buy_outside": True},
     ["exemption-before-purchase", "general-delegation"], "SAM 4605"),
    ({"agency_class": "non-exempt-state", "offering": "calnet", "catalog_status": "required"},
     ["order-on-calnet"], "STMM 400.1"),
    ({"agency_class": "non-exempt-state", "offering": "calnet", "catalog_status": "required",
      "delegation_flag": "yes"}, ["order-on-calnet", "contract-delegation"], "STMM 3-502.0"),
    ({"agency_class": "non-exempt-state", "offering": "calnet",
      "catalog_status": "discretionary"}, ["order-on-calnet"], "SAM 4602"),
    ({"agency_class": "non-exempt-state", "offering": "calnet",
      "catalog_status": "discretionary", "delegation_flag": "yes"},
     ["order-on-calnet", "contract-delegation"], "STMM 3-502.0"),
    ({"agency_class": "non-exempt-state", "offering": "calnet",
      "catalog_status": "discretionary", "buy_outside": True},
     ["confirm-with-calnet-program"], "SAM 4602"),
    ({"agency_class": "non-exempt-state", "offering": "calnet",
      "catalog_status": "discretionary", "delegation_flag": "yes", "buy_outside": True},
     ["confirm-with-calnet-program"], "GC 11541"),
    ({"agency_class": "non-exempt-state", "offering": "not-on-calnet"},
     ["general-delegation"], "STMM 3-502.0"),
]


@pytest.mark.parametrize(("flags", "requirements", "citation"), ROWS)
def test_every_row_of_the_decision_table(flags: dict[str, Any], requirements: list[str],
                                         citation: str) -> None:
    result = check_purchase(load_rules(), Purchase(**flags))
    assert result["requirements"] == requirements
    assert citation in result["citations"]
    assert set(result) == {"requirements", "citations", "explanation", "documents",
                           "conflicts", "parts"}
    assert result["explanation"] and result["parts"] == []


def test_contact_center_technology_is_calnet() -> None:
    tech = check_purchase(load_rules(), Purchase("non-exempt-state", "calnet", "required"))
    assert tech["requirements"] == ["order-on-calnet"]


def _argv(flags: dict[str, Any]) -> list[str]:
    argv = ["check-purchase", "--json"]
    for k, v in flags.items():
        if v is True:
            argv.append("--" + k.replace("_", "-"))
        else:
            argv += ["--" + k.replace("_", "-"), v]
    return argv


@pytest.mark.parametrize(("flags", "requirements", "citation"), ROWS)
def test_check_purchase_cli_needs_no_register_with_the_class_flag(
        flags: dict[str, Any], requirements: list[str], citation: str, run_cli: Any,
        isolated_home: Path) -> None:
    r = run_cli(*_argv(flags))
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["requirements"] == requirements and citation in out["citations"]
    assert not isolated_home.exists()


@pytest.mark.parametrize(("flags", "message"), [
    ({"agency_class": "non-exempt-state", "offering": "not-on-calnet",
      "catalog_status": "required"}, "--catalog-status contradicts --offering not-on-calnet"),
    ({"agency_class": "non-exempt-state", "offering": "not-on-calnet", "buy_outside": True},
     "--buy-outside contradicts"),
    ({"agency_class": "non-exempt-state", "offering": "not-on-calnet",
      "delegation_flag": "no"}, "--delegation-flag contradicts"),
    ({"agency_class": "exempt-state", "offering": "calnet", "ato_term_active": "yes"},
     "non-state agencies only"),
    ({"agency_class": "non-exempt-state", "offering": "calnet"}, "--catalog-status"),
    # a service CALNET does not offer cannot be on an ATO (wrong answer 3: was order-on-calnet)
    ({"agency_class": "non-state", "offering": "not-on-calnet", "ato_term_active": "yes"},
     "--ato-term-active yes contradicts --offering not-on-calnet"),
    ({"agency_class": "non-state", "offering": "contact-center-agents",
      "ato_term_active": "yes"}, "contradicts --offering contact-center-agents"),
    ({"agency_class": "non-exempt-state", "offering": "contact-center-mixed"},
     "--catalog-status"),
    ({"agency_class": "non-exempt-state"}, "--offering is required"),
])
def test_contradictions_and_missing_flags_exit_2(flags: dict[str, Any], message: str,
                                                 run_cli: Any) -> None:
    r = run_cli(*_argv(flags))
    assert r.code == 2
    assert message in r.err
    if "offering" in flags:
        with pytest.raises(UsageError):
            check_purchase(load_rules(), Purchase(**flags))


def test_check_purchase_defaults_to_the_registers_class(run_cli: Any) -> None:
    assert run_cli("check-purchase", "--offering", "calnet", "--json").code == 1  # no register
    run_cli("init", "--agency", "City of Testing", "--agency-class", "non-state")
    r = run_cli("check-purchase", "--offering", "calnet", "--ato-term-active", "yes", "--json")
    assert r.code == 0 and json.loads(r.out)["requirements"] == ["order-on-calnet"]
    text = run_cli("check-purchase", "--offering", "calnet")
    assert "Requirements: calnet-optional" in text.out
    assert run_cli("check-purchase", "--offering", "satellite").code == 2


# --- wrong answers 1 and 10: all business telecom, the sources that differ, the caution ------

def test_discretionary_bought_elsewhere_shows_where_the_sources_differ(run_cli: Any) -> None:
    r = run_cli("check-purchase", "--agency-class", "non-exempt-state", "--offering", "calnet",
                "--catalog-status", "discretionary", "--buy-outside", "--json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["requirements"] == ["confirm-with-calnet-program"]
    assert out["requirements"] != ["calnet-optional"]
    assert {"SAM 4602", "GC 11541", "STMM 400.1"} <= set(out["citations"])
    assert [(c["source"], c["date"]) for c in out["conflicts"]] == [
        ("STMM 400.1", "2013-07-01"), ("Notification 26-01", "2026-04-29")]
    assert "optional" in out["conflicts"][0]["says"]
    assert "all Business Telecommunications" in out["conflicts"][1]["says"]
    # STMM 501.0's caution: other vehicles may lack CALNET's SLAs, remedies, installation
    assert "service level agreements, rights and remedies" in out["explanation"]
    assert "comprehensive system installation" in out["explanation"]
    text = run_cli("check-purchase", "--agency-class", "non-exempt-state", "--offering",
                   "calnet", "--catalog-status", "discretionary", "--buy-outside").out
    assert "Where the sources differ:" in text and "STMM 400.1 (2013-07-01)" in text


def test_a_mixed_contact_center_is_answered_in_parts(run_cli: Any) -> None:
    r = run_cli("check-purchase", "--agency-class", "non-exempt-state", "--offering",
                "contact-center-mixed", "--catalog-status", "required", "--json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert [(p["part"], p["requirements"]) for p in out["parts"]] == [
        ("technology", ["order-on-calnet"]), ("agents", ["outside-calnet-rules"])]
    assert out["requirements"] == ["order-on-calnet", "outside-calnet-rules"]
    assert "PCC 10335-10381" in out["parts"][1]["citations"]


def test_public_safety_is_gone_with_a_pointer_to_calnet(
        run_cli: Any, capsys: pytest.CaptureFixture[str]) -> None:
    r = run_cli("check-purchase", "--agency-class", "non-exempt-state", "--offering",
                "public-safety", "--json")
    assert r.code == 2
    err = r.err + capsys.readouterr().err  # argparse writes its usage errors to stderr
    assert "use --offering calnet" in err.lower() and "FirstNet" in err
    with pytest.raises(UsageError, match="--offering calnet"):
        check_purchase(load_rules(), Purchase("non-exempt-state", "public-safety"))


def test_not_on_calnet_uses_the_chapters_wording() -> None:
    out = check_purchase(load_rules(), Purchase("non-exempt-state", "not-on-calnet"))
    assert "not provided by the CALNET Contracts" in out["explanation"]
    assert "IP-enabling PBX components or hybrid PBX systems" in out["explanation"]
