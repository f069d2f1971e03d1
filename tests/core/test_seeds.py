"""`init` seeds the CALNET contracts named in public records, each with its source and date
(editable, never a claim of completeness); `demo` accepts a register holding only those."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from calnet_desk.policy.seeds import SEED_REASON, seed_contracts
from calnet_desk.records import KINDS
from calnet_desk.store import Register

CONTRACTS = KINDS["contracts"]


def test_every_seed_has_a_source_and_its_date_and_a_known_generation() -> None:
    seeds = seed_contracts()
    assert {s["contract_number"] for s in seeds} >= {"C4A1LEG18", "C4DNCS19",
                                                     "C3-B-12-10-TS-01"}
    for s in seeds:
        assert s["generation"] in CONTRACTS.by_name["generation"].choices, s
        assert isinstance(s["source"], str) and len(s["source"]) > 40, s
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", str(s["source_date"])), s
    # what no record at hand confirmed is said so in the source, not passed off as fact
    unconfirmed = [s for s in seeds if "not confirmed" in str(s["source"])]
    assert {s["contract_number"] for s in unconfirmed} == {"C4DNCS19", "C3-B-12-10-TS-01"}


def test_init_seeds_the_contracts_in_their_own_history_entry(run_cli: Any,
                                                             tmp_path: Path) -> None:
    home = str(tmp_path / "r")
    made = run_cli("--data-dir", home, "init", "--agency", "A",
                   "--agency-class", "exempt-state")
    assert made.code == 0, made
    with Register.open(Path(home)) as reg:
        held = {r["contract_number"]: r for r in reg.records(CONTRACTS)}
        assert set(held) == {s["contract_number"] for s in seed_contracts()}
        lodi = held["C4A1LEG18"]
        assert lodi["contractor"] == "AT&T" and lodi["generation"] == "nextgen"
        assert "C4A 1 LEG 18, Categories 15, 16, 17, and 18" in str(lodi["source"])
        assert lodi["source_date"] == "2022-01-19"
        entries = reg.history("contracts")
        assert {e["reason"] for e in entries} == {SEED_REASON}
        assert "not a complete list" in SEED_REASON
    # editable like any record
    with Register.open(Path(home), write=True) as reg, reg.transaction("corrected") as tx:
        tx.put(CONTRACTS, {"contract_number": "C4DNCS19", "contractor": "Verizon"})
    shown = run_cli("--data-dir", home, "show", "contracts", "C4DNCS19", "--json")
    assert '"contractor": "Verizon"' in shown.out


def test_demo_fills_a_register_holding_only_the_seeds_and_keeps_them(run_cli: Any,
                                                                    tmp_path: Path) -> None:
    home = str(tmp_path / "r")
    assert run_cli("--data-dir", home, "init", "--agency", "Dept of Seeds",
                   "--agency-class", "non-exempt-state").code == 0
    filled = run_cli("--data-dir", home, "demo", "--orders", "60")
    assert filled.code == 0, filled
    with Register.open(Path(home)) as reg:
        assert reg.count(KINDS["orders"]) == 60
        seeded = reg.get(CONTRACTS, "C3-B-12-10-TS-01")
        assert seeded is not None and seeded["end_date"] == "2021-12-31"  # the seed's, kept
        assert str(seeded["source"]).startswith("CALNET Desk's domain reference")
        assert reg.agency()["name"] == "Dept of Seeds"
    # an edited seed is the coordinator's data: the demo refuses, as for any record
    other = str(tmp_path / "r2")
    assert run_cli("--data-dir", other, "init", "--agency", "B",
                   "--agency-class", "non-exempt-state").code == 0
    with Register.open(Path(other), write=True) as reg, reg.transaction("mine") as tx:
        tx.put(CONTRACTS, {"contract_number": "C4DNCS19", "contractor": "Verizon"})
    refused = run_cli("--data-dir", other, "demo", "--orders", "60")
    assert refused.code == 1 and "already holds records" in refused.err
    with Register.open(Path(other)) as reg:
        assert reg.count(KINDS["orders"]) == 0
