"""The IPR calculator (STMM 501.0): exact money, the 80 % boundary, the checklist, the
network attestation, refusals (exit 2), and the calculation kept with an IPR exemption."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from calnet_desk.policy.ipr import (
    IprUsageError,
    calculate,
    make_input,
    parse_checklist,
    parse_dollars,
    saved_calculation,
)
from calnet_desk.policy.rules import load_rules
from calnet_desk.records import KINDS
from calnet_desk.store import Register
from calnet_desk.store.verify import verify

ALL = "sla,network-support,diversity,survivability,recoverability,scalability"
KEYS = {"saving", "saving_percent", "ratio", "checklist_complete", "meets_guide", "citation",
        "explanation"}
EXEMPTIONS = KINDS["exemptions"]


def ipr_json(run_cli: Any, *args: str) -> dict[str, Any]:
    r = run_cli("ipr", "--json", *args)
    assert r.code == 0, r
    result = json.loads(r.out)
    assert set(result) == KEYS
    return dict(result)


def full(calnet: str, alternative: str, *extra: str) -> list[str]:
    return ["--calnet-cost", calnet, "--alternative-cost", alternative, "--months", "36",
            "--checklist", ALL, "--attest-network", *extra]


# --- the calculation ------------------------------------------------------------------


def test_exactly_80_percent_meets_the_guide(run_cli: Any) -> None:
    result = ipr_json(run_cli, *full("100000", "80000"))
    assert result["meets_guide"] is True
    assert result["checklist_complete"] is True
    assert result["saving"] == 20000
    assert result["saving_percent"] == 20.0
    assert result["ratio"] == 0.8
    assert result["citation"] == "STMM 501.0"
    assert "about 20 %" in result["explanation"]
    assert "Advisory" in result["explanation"]
    assert "meets that guide" in result["explanation"]


def test_80_01_percent_does_not(run_cli: Any) -> None:
    result = ipr_json(run_cli, *full("100000", "80010"))
    assert result["meets_guide"] is False
    assert result["saving"] == 19990
    assert result["saving_percent"] == 19.99
    assert result["ratio"] == 0.8001
    assert "80.01 % of the CALNET cost, above 80 %" in result["explanation"]


def test_money_is_exact_in_cents(run_cli: Any) -> None:
    # 0.8 of these is whole cents only in decimal: binary floats would get them wrong.
    assert ipr_json(run_cli, *full("0.05", "0.04"))["meets_guide"] is True
    assert ipr_json(run_cli, *full("$1,000.10", "$800.08"))["meets_guide"] is True
    one_cent_over = ipr_json(run_cli, *full("$1,000.10", "$800.09"))
    assert one_cent_over["meets_guide"] is False
    assert one_cent_over["saving"] == 200.01
    assert ipr_json(run_cli, *full("1234.56", "987.65"))["saving"] == 246.91


def test_an_incomplete_checklist_does_not_meet_the_guide(run_cli: Any) -> None:
    result = ipr_json(run_cli, "--calnet-cost", "100000", "--alternative-cost", "50000",
                      "--checklist", "sla, network-support,diversity", "--attest-network")
    assert result["checklist_complete"] is False
    assert result["meets_guide"] is False
    assert "lacks survivability, recoverability and scalability" in result["explanation"]
    none_given = ipr_json(run_cli, "--calnet-cost", "100000", "--alternative-cost", "50000",
                          "--attest-network")
    assert none_given["checklist_complete"] is False and none_given["meets_guide"] is False


def test_the_network_must_be_attested(run_cli: Any) -> None:
    result = ipr_json(run_cli, "--calnet-cost", "100000", "--alternative-cost", "50000",
                      "--checklist", ALL)
    assert result["checklist_complete"] is True
    assert result["meets_guide"] is False
    assert "statewide network" in result["explanation"]


def test_an_alternative_dearer_than_calnet(run_cli: Any) -> None:
    result = ipr_json(run_cli, *full("1000", "1500"))
    assert result["saving"] == -500 and result["saving_percent"] == -50.0
    assert result["ratio"] == 1.5 and result["meets_guide"] is False
    assert "$500.00 more than CALNET" in result["explanation"]


def test_plain_output_says_the_same(run_cli: Any) -> None:
    r = run_cli("ipr", *full("100000", "80000"))
    assert r.code == 0, r
    assert "Saving: $20,000.00 (20.00 % of the CALNET cost)" in r.out
    assert "Meets the IPR guide (advisory): yes  [STMM 501.0]" in r.out


def test_the_threshold_comes_from_the_rule_set(run_cli: Any, isolated_home: Path) -> None:
    assert run_cli("init", "--agency", "Department of Testing", "--agency-class",
                   "non-exempt-state").code == 0
    (isolated_home / "rules.toml").write_text(
        "[rules.ipr-max-percent-of-calnet]\nvalue = 75\n", encoding="utf-8")
    result = ipr_json(run_cli, *full("100000", "80000"))
    assert result["meets_guide"] is False
    assert "at most 75 % of the CALNET cost" in result["explanation"]
    assert ipr_json(run_cli, *full("100000", "75000"))["meets_guide"] is True


# --- refusals: exit 2 -------------------------------------------------------------------


@pytest.mark.parametrize(("flag", "value", "says"), [
    ("--calnet-cost", "0", "not more than zero"),
    ("--calnet-cost", "-5", "not more than zero"),
    ("--alternative-cost", "0", "not more than zero"),
    ("--alternative-cost", "-80000", "not more than zero"),
    ("--alternative-cost", "(12.00)", "not more than zero"),
    ("--calnet-cost", "lots", "not an amount"),
    ("--calnet-cost", "1.005", "fractions of a cent"),
    ("--months", "0", "not a positive whole number"),
    ("--months", "-3", "not a positive whole number"),
    ("--months", "three", "not a positive whole number"),
])
def test_bad_numbers_are_refused_with_exit_2(run_cli: Any, capsys: pytest.CaptureFixture[str],
                                             flag: str, value: str, says: str) -> None:
    args = {"--calnet-cost": "100000", "--alternative-cost": "80000", "--months": "36"}
    args[flag] = value
    r = run_cli("ipr", "--json", *[f"{k}={v}" for k, v in args.items()])
    assert r.code == 2, r
    usage = capsys.readouterr().err  # argparse writes its usage errors to stderr itself
    assert flag in usage and says in usage
    assert r.out == ""


def test_unknown_checklist_items_are_refused_with_exit_2(run_cli: Any) -> None:
    r = run_cli("ipr", "--json", "--calnet-cost", "100", "--alternative-cost", "50",
                "--checklist", "sla,uptime,colour")
    assert r.code == 2, r
    assert "unknown checklist item(s) colour, uptime" in r.err
    assert "network-support" in r.err  # says what is accepted
    assert r.out == ""


def test_both_costs_are_required(run_cli: Any) -> None:
    assert run_cli("ipr", "--json", "--calnet-cost", "100").code == 2
    assert run_cli("ipr", "--json", "--alternative-cost", "100").code == 2


def test_the_core_refuses_the_same() -> None:
    rules = load_rules()
    with pytest.raises(IprUsageError):
        make_input(rules, 0, 10, None, [], True)
    with pytest.raises(IprUsageError):
        make_input(rules, 10, 10, 0, [], True)
    with pytest.raises(IprUsageError, match="unknown"):
        parse_checklist(rules, "sla,nope")
    with pytest.raises(IprUsageError):
        parse_dollars("-0.01")
    assert parse_checklist(rules, " Scalability ,sla,, sla") == ("sla", "scalability")
    result = calculate(rules, make_input(rules, 3, 2, None, ALL.split(","), True))
    assert result["ratio"] == 0.6667 and result["saving_percent"] == 33.33


# --- saved with an exemption ------------------------------------------------------------


def exemption(key: str, reason: str) -> dict[str, Any]:
    return {"exemption_id": key, "project": f"Project {key}", "reason": reason,
            "decision": "pending"}


@pytest.fixture
def register(tmp_path: Path) -> Path:
    root = tmp_path / "reg"
    with Register.create(root, agency="Department of Testing",
                         agency_class="non-exempt-state") as reg, reg.transaction() as tx:
        tx.put(EXEMPTIONS, exemption("EX-IPR", "ipr"))
        tx.put(EXEMPTIONS, exemption("EX-GAP", "feature-gap"))
        tx.put(EXEMPTIONS, {"exemption_id": "EX-NONE", "project": "No reason yet"})
    return root


def test_save_to_keeps_the_calculation_with_its_history(run_cli: Any, register: Path) -> None:
    d = str(register)
    r = run_cli("--data-dir", d, "ipr", "--json", *full("100000", "80000"),
                "--save-to", "EX-IPR", "--reason", "quote Q-1")
    assert r.code == 0, r
    assert json.loads(r.out)["meets_guide"] is True  # stdout stays pure JSON
    assert "Saved the calculation with exemption EX-IPR" in r.err
    with Register.open(register) as reg:
        saved = saved_calculation(reg, "EX-IPR")
        assert saved is not None
        assert (saved.calnet_cost, saved.alternative_cost, saved.months) == (
            10_000_000, 8_000_000, 36)
        assert saved.checklist == tuple(ALL.split(",")) and saved.network_attested
        [entry] = reg.history("ipr-calculations", "EX-IPR")
        assert entry["action"] == "insert" and entry["reason"] == "quote Q-1"
        assert entry["changes"] == {
            "alternative_cost": [None, 8_000_000], "calnet_cost": [None, 10_000_000],
            "checklist": [None, ALL], "exemption_id": [None, "EX-IPR"],
            "months": [None, 36], "network_attested": [None, 1]}
        findings, counts = verify(reg)
        assert findings == [] and counts["ipr-calculations"] == 1

    # Saving again: an update with only what changed; the same again changes nothing.
    r = run_cli("--data-dir", d, "ipr", *full("100000", "85000"), "--save-to", "EX-IPR")
    assert r.code == 0 and "Saved the calculation" in r.out
    r = run_cli("--data-dir", d, "ipr", *full("100000", "85000"), "--save-to", "EX-IPR")
    assert r.code == 0 and "was already this one" in r.out
    with Register.open(register) as reg:
        entries = reg.history("ipr-calculations", "EX-IPR")
        assert [e["action"] for e in entries] == ["insert", "update"]
        assert entries[1]["changes"] == {"alternative_cost": [8_000_000, 8_500_000]}
        assert verify(reg)[0] == []


@pytest.mark.parametrize(("key", "says"), [
    ("EX-MISSING", "no exemption EX-MISSING in the register"),
    ("EX-GAP", "gives the reason feature-gap, not ipr"),
    ("EX-NONE", "gives the reason none, not ipr"),
])
def test_save_to_needs_an_ipr_exemption(run_cli: Any, register: Path, key: str,
                                        says: str) -> None:
    r = run_cli("--data-dir", str(register), "ipr", "--json", *full("100000", "80000"),
                "--save-to", key)
    assert r.code == 1, r
    assert says in r.err and "nothing was saved" in r.err
    with Register.open(register) as reg:
        assert reg.history("ipr-calculations") == []


def test_save_to_without_a_register_exits_1(run_cli: Any, tmp_path: Path) -> None:
    r = run_cli("--data-dir", str(tmp_path / "none"), "ipr", *full("100", "80"),
                "--save-to", "EX-1")
    assert r.code == 1, r


def test_deleting_the_exemption_deletes_its_calculation(run_cli: Any, register: Path) -> None:
    d = str(register)
    assert run_cli("--data-dir", d, "ipr", *full("100", "80"), "--save-to", "EX-IPR").code == 0
    assert run_cli("--data-dir", d, "delete", "exemptions", "EX-IPR").code == 0
    with Register.open(register) as reg:
        assert saved_calculation(reg, "EX-IPR") is None
        assert [e["action"] for e in reg.history("ipr-calculations", "EX-IPR")] == [
            "insert", "delete"]
        findings, counts = verify(reg)
        assert findings == [] and counts["ipr-calculations"] == 0


def test_the_table_changes_only_through_calnet_desk(register: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(register / "register.sqlite3")
    conn.create_function("calnet_desk_writing", 0, lambda: 0)
    with pytest.raises(sqlite3.IntegrityError, match="only through CALNET Desk"):
        conn.execute("INSERT INTO ipr_calculations (exemption_id, calnet_cost, "
                     "alternative_cost, network_attested) VALUES ('EX-IPR', 1, 1, 0)")
    conn.close()
