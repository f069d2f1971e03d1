"""The demo agency is consistent (issue 15): its class decides what it holds (a non-exempt
state agency no ATOs, a non-state one ATOs, only a non-exempt state agency exemptions), an
exemption's costs by item add up to its total, and an outside contract under an IPR exemption
is for services CALNET offers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from calnet_desk.demo import create_demo, generate
from calnet_desk.records import AGENCY_CLASSES, KINDS
from calnet_desk.store import Register
from calnet_desk.store.verify import verify


def test_a_non_exempt_state_agency_holds_exemptions_and_no_atos() -> None:
    data = generate(250, 2026, "A", "non-exempt-state")
    assert data.records["atos"] == []
    assert data.records["exemptions"]
    assert any(o["exemption_id"] for o in data.records["orders"])


def test_a_non_state_agency_holds_atos_and_no_exemptions() -> None:
    data = generate(250, 2026, "A", "non-state")
    assert data.records["atos"]
    assert data.records["exemptions"] == []
    assert not any(o["exemption_id"] for o in data.records["orders"])
    assert not any(c["exemption_id"] for c in data.records["outside-contracts"])
    held = {d["delegation_id"] for d in data.records["delegations"]}
    assert all(o["delegation_id"] in held for o in data.records["orders"]
               if o["delegation_id"])


def test_an_exempt_state_agency_holds_neither_atos_nor_exemptions() -> None:
    data = generate(250, 2026, "A", "exempt-state")
    assert data.records["atos"] == [] and data.records["exemptions"] == []


def test_the_default_class_is_the_one_the_demo_agency_is_created_with() -> None:
    # the same records as before for the default class, ATOs aside
    assert generate(250, 2026, "A").records == generate(250, 2026, "A",
                                                        "non-exempt-state").records


def _dollars(text: str) -> list[int]:
    return [int(m.replace(",", "").replace(".", "")) for m in re.findall(r"\$([\d,]+\.\d\d)",
                                                                          text)]


@pytest.mark.parametrize("seed", [2026, 7, 99])
def test_an_exemptions_costs_by_item_add_up_to_its_total(seed: int) -> None:
    exemptions = generate(400, seed, "A", "non-exempt-state").records["exemptions"]
    checked = 0
    for ex in exemptions:
        if not ex["cost_by_item"]:  # some files are left incomplete on purpose
            continue
        install, monthly, service, total = _dollars(str(ex["cost_by_item"]))
        months = int(re.search(r"x (\d+) months", str(ex["cost_by_item"])).group(1))
        assert monthly * months == service
        assert install + service == total == ex["total_cost"], ex["exemption_id"]
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("seed", [2026, 7, 99])
def test_outside_contracts_under_ipr_exemptions_are_for_services_calnet_offers(
        seed: int) -> None:
    data = generate(2000, seed, "A", "non-exempt-state")
    reasons = {e["exemption_id"]: e["reason"] for e in data.records["exemptions"]}
    under = [c for c in data.records["outside-contracts"] if c["exemption_id"]]
    assert {reasons[c["exemption_id"]] for c in under} == {"ipr", "feature-gap"}
    for c in under:
        assert c["calnet_offers"] is (reasons[c["exemption_id"]] == "ipr"), c


@pytest.mark.parametrize("agency_class", AGENCY_CLASSES)
def test_each_class_fills_a_register_that_verifies(agency_class: str, tmp_path: Path) -> None:
    reg: Register = create_demo(tmp_path / agency_class, orders=60, seed=5,
                                agency_class=agency_class)
    try:
        assert reg.agency()["agency_class"] == agency_class
        assert (reg.count(KINDS["atos"]) > 0) is (agency_class == "non-state")
        assert (reg.count(KINDS["exemptions"]) > 0) is (agency_class == "non-exempt-state")
        found, _ = verify(reg, rehash=True)
        assert found == []
    finally:
        reg.close()


def test_the_cli_demo_takes_the_class(run_cli: Any, tmp_path: Path) -> None:
    home = str(tmp_path / "local")
    made = run_cli("--data-dir", home, "demo", "--orders", "40", "--agency-class",
                   "non-state")
    assert made.code == 0, made
    with Register.open(Path(home)) as reg:
        assert reg.agency()["agency_class"] == "non-state"
        assert reg.count(KINDS["atos"]) > 0 and reg.count(KINDS["exemptions"]) == 0
    bad = run_cli("--data-dir", home, "demo", "--agency-class", "state")
    assert bad.code == 2


def test_an_existing_register_keeps_its_class_and_a_different_one_is_refused(
        run_cli: Any, tmp_path: Path) -> None:
    home = str(tmp_path / "r")
    assert run_cli("--data-dir", home, "init", "--agency", "County of Examples",
                   "--agency-class", "non-state").code == 0
    refused = run_cli("--data-dir", home, "demo", "--orders", "40", "--agency-class",
                      "non-exempt-state")
    assert refused.code == 1 and "of a non-state agency, not non-exempt-state" in refused.err
    assert "nothing was changed" in refused.err
    with Register.open(Path(home)) as reg:
        assert reg.count(KINDS["orders"]) == 0
    filled = run_cli("--data-dir", home, "demo", "--orders", "40")
    assert filled.code == 0, filled
    with Register.open(Path(home)) as reg:
        assert reg.agency()["agency_class"] == "non-state"
        assert reg.count(KINDS["atos"]) > 0
