"""Deadlines: term arithmetic, every deadline kind, status, ack/snooze, ladders, CLI."""

from __future__ import annotations

import calendar
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from calnet_desk.policy.deadlines import (
    add_months,
    ato_anniversary,
    days_in_month,
    deadlines,
    notice_effective,
)
from calnet_desk.records import KINDS
from calnet_desk.store import Register

D = dt.date


# --- date arithmetic ----------------------------------------------------------------------

@pytest.mark.parametrize(("start", "months", "expected"), [
    (D(2024, 2, 29), 24, D(2026, 2, 28)),  # DOMAIN.md's example
    (D(2024, 2, 29), 48, D(2028, 2, 29)),
    (D(2025, 1, 31), 1, D(2025, 2, 28)),
    (D(2024, 1, 31), 1, D(2024, 2, 29)),
    (D(2025, 3, 31), 1, D(2025, 4, 30)),
    (D(2025, 12, 15), 1, D(2026, 1, 15)),
    (D(2025, 5, 31), 0, D(2025, 5, 31)),
])
def test_add_months_clamps_to_the_months_last_day(start: D, months: int, expected: D) -> None:
    assert add_months(start, months) == expected


@given(st.dates(D(1990, 1, 1), D(2090, 12, 31)), st.integers(0, 240))
def test_add_months_properties(start: D, months: int) -> None:
    end = add_months(start, months)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
    assert end.day == min(start.day, calendar.monthrange(end.year, end.month)[1])
    assert end >= start
    assert add_months(start, months + 1) > end


def test_days_in_month_as_calendar_says_every_month_of_every_year() -> None:
    assert [days_in_month(y, m) for y in range(1, 10_000) for m in range(1, 13)] == [
        calendar.monthrange(y, m)[1] for y in range(1, 10_000) for m in range(1, 13)]
    assert add_months(D(9999, 11, 30), 1) == D(9999, 12, 30)
    with pytest.raises(ValueError, match="out of range"):
        add_months(D(9999, 12, 31), 1)


@given(st.dates(D(2000, 1, 1), D(2080, 12, 31)), st.integers(1, 60),
       st.dates(D(2000, 1, 1), D(2090, 12, 31)), st.integers(0, 90))
def test_notice_never_takes_effect_before_the_anniversary(
        approved: D, term: int, notice: D, days: int) -> None:
    anniversary = ato_anniversary(approved, term)
    effective = notice_effective(notice, anniversary, days)
    assert effective >= anniversary
    assert effective >= notice + dt.timedelta(days=days)
    assert effective in (anniversary, notice + dt.timedelta(days=days))


# --- deadlines from a register -----------------------------------------------------------

def put(reg: Register, kind: str, **record: Any) -> None:
    with reg.transaction() as tx:
        tx.put(KINDS[kind], record)


def by_key(found: list[Any]) -> dict[tuple[str, str], Any]:
    return {(d.kind, d.key): d for d in found}


def test_ato_deadlines_leap_day_default_term_and_notice(reg: Register) -> None:
    put(reg, "atos", ato_id="A-LEAP", contractor="AT&T", services=["MPLS"],
        approved_on="2024-02-29")
    put(reg, "atos", ato_id="A-EARLY", contractor="AT&T", services=["MPLS"],
        approved_on="2024-02-29", notice_given_on="2025-06-01")
    put(reg, "atos", ato_id="A-LATE", contractor="AT&T", services=["MPLS"],
        approved_on="2024-02-29", notice_given_on="2026-02-20")
    put(reg, "atos", ato_id="A-ZERO", contractor="AT&T", services=["MPLS"],
        approved_on="2024-02-29", term_months=0, notice_given_on="2024-03-10")
    put(reg, "atos", ato_id="A-36", contractor="AT&T", services=["MPLS"],
        approved_on="2023-01-31", term_months=13)
    put(reg, "atos", ato_id="A-PENDING", contractor="AT&T", services=["MPLS"])
    found = by_key(deadlines(reg, D(2026, 1, 1)))
    term_end = found[("ato-exclusive-term-end", "A-LEAP")]
    assert term_end.date == D(2026, 2, 27)  # the day before the anniversary 2026-02-28
    assert term_end.days_left == 57 and term_end.status == "due-soon"
    assert term_end.citation == "STMM 400.1"
    assert "24-month" in term_end.explanation and "02/28/2026" in term_end.explanation
    # notice before the anniversary takes effect on the anniversary
    assert found[("ato-notice-effective", "A-EARLY")].date == D(2026, 2, 28)
    # notice after it: 30 calendar days
    assert found[("ato-notice-effective", "A-LATE")].date == D(2026, 3, 22)
    # term 0: no exclusive term, notice 30 days after it is given
    assert ("ato-exclusive-term-end", "A-ZERO") not in found
    assert found[("ato-notice-effective", "A-ZERO")].date == D(2024, 4, 9)
    assert found[("ato-notice-effective", "A-ZERO")].status == "past"  # 2024: long gone
    assert found[("ato-exclusive-term-end", "A-36")].date == D(2024, 2, 28)  # 2024-02-29 - 1
    assert not any(k == "A-PENDING" for _, k in found)


def test_every_other_deadline_kind(reg: Register) -> None:
    put(reg, "delegations", delegation_id="GD-1", type="general", project="PBX",
        decision="approved", timeframe_end="2026-03-01")
    put(reg, "delegations", delegation_id="GD-2", type="general", project="IVR",
        decision="pending", timeframe_end="2026-03-01")
    put(reg, "exemptions", exemption_id="EX-1", project="Sat", decision="approved",
        term_end="2026-06-30", general_delegation_id="GD-1")
    put(reg, "exemptions", exemption_id="EX-2", project="Sat", decision="denied",
        term_end="2026-06-30")
    put(reg, "outside-contracts", contract_id="OC-1", provider="Metro", services=["Fiber"],
        end_date="2027-06-30", renewal_date="2026-04-01")
    put(reg, "contracts", contract_number="C4-1", generation="nextgen", contractor="AT&T",
        end_date="2031-03-31")
    found = deadlines(reg, D(2026, 1, 1))
    assert [(d.kind, d.record_kind, d.key) for d in found] == [
        ("delegation-timeframe-end", "delegations", "GD-1"),
        ("outside-contract-renewal", "outside-contracts", "OC-1"),
        ("exemption-term-end", "exemptions", "EX-1"),
        ("outside-contract-end", "outside-contracts", "OC-1"),
        ("contract-end", "contracts", "C4-1"),
    ]
    status = {d.key + d.kind: d.status for d in found}
    assert status["GD-1delegation-timeframe-end"] == "due-soon"
    assert status["OC-1outside-contract-renewal"] == "due-soon"  # 120-day ladder for these
    assert status["EX-1exemption-term-end"] == "upcoming"
    within = deadlines(reg, D(2026, 1, 1), within=60)
    assert [d.key for d in within] == ["GD-1"]


def test_ack_is_tied_to_the_date_it_saw(reg: Register, run_cli: Any) -> None:
    root = str(reg.paths.root)
    put(reg, "exemptions", exemption_id="EX-1", project="Sat", decision="approved",
        term_end="2026-02-01")
    reg.close()
    assert run_cli("--data-dir", root, "ack", "exemptions", "EX-1",
                   "exemption-term-end").code == 0

    def status() -> str:
        r = run_cli("--data-dir", root, "deadlines", "--today", "2026-01-15", "--json")
        return str(json.loads(r.out)[0]["status"])

    assert status() == "acknowledged"
    with Register.open(Path(root), write=True) as again:
        put(again, "exemptions", exemption_id="EX-1", term_end="2026-02-15")
    assert status() == "due-soon"  # the date moved: the acknowledgement lapsed
    entries = json.loads(run_cli("--data-dir", root, "history", "exemptions", "EX-1",
                                 "--json").out)
    assert len(entries) == 2
    assert run_cli("--data-dir", root, "verify").code == 0


def test_snooze_until_a_date(reg: Register, run_cli: Any) -> None:
    root = str(reg.paths.root)
    put(reg, "contracts", contract_number="C-1", generation="calnet-3", contractor="Verizon",
        end_date="2026-03-01")
    reg.close()
    r = run_cli("--data-dir", root, "snooze", "contracts", "C-1", "contract-end",
                "--until", "2026-02-01")
    assert r.code == 0, r.err

    def status(today: str) -> str:
        out = run_cli("--data-dir", root, "deadlines", "--today", today, "--json").out
        return str(json.loads(out)[0]["status"])

    assert status("2026-01-20") == "snoozed"
    assert status("2026-02-01") == "due-soon"
    assert status("2026-03-02") == "overdue"


def test_ladder_per_kind_and_per_record(reg: Register, run_cli: Any) -> None:
    root = str(reg.paths.root)
    put(reg, "delegations", delegation_id="GD-1", type="general", project="PBX",
        decision="approved", timeframe_end="2026-06-01")
    reg.close()

    def status() -> str:
        out = run_cli("--data-dir", root, "deadlines", "--today", "2026-01-01", "--json").out
        return str(json.loads(out)[0]["status"])

    assert status() == "upcoming"  # 151 days > 90
    assert run_cli("--data-dir", root, "set-ladder", "delegations", "GD-1",
                   "180,30").code == 0
    assert status() == "due-soon"
    assert run_cli("--data-dir", root, "set-ladder", "delegations", "GD-1", "--clear").code == 0
    assert status() == "upcoming"
    assert run_cli("--data-dir", root, "set-ladder", "delegations", "GD-1", "soon").code == 2
    assert run_cli("--data-dir", root, "set-ladder", "delegations", "GD-9", "30").code == 1


def test_deadline_cli_exit_codes_and_shapes(reg: Register, run_cli: Any) -> None:
    root = str(reg.paths.root)
    put(reg, "contracts", contract_number="C-1", generation="calnet-3", contractor="Verizon",
        end_date="2026-03-01")
    reg.close()
    r = run_cli("--data-dir", root, "deadlines", "--json", "--today", "2026-01-01")
    assert r.code == 0
    item = json.loads(r.out)[0]
    assert item == {"kind": "contract-end", "record_kind": "contracts", "key": "C-1",
                    "date": "2026-03-01", "days_left": 59, "status": "due-soon",
                    "citation": "design", "explanation": item["explanation"]}
    assert run_cli("--data-dir", root, "deadlines", "--today", "01/01/2026").code == 2
    assert run_cli("--data-dir", root, "ack", "contracts", "C-1", "made-up").code == 1
    assert run_cli("--data-dir", root, "ack", "contracts", "C-9", "contract-end").code == 1
    assert run_cli("--data-dir", root, "snooze", "contracts", "C-1", "contract-end").code == 2
    assert "deadline(s) as of 01/01/2026" in run_cli("--data-dir", root, "deadlines",
                                                     "--today", "2026-01-01").out
    assert run_cli("--data-dir", str(Path(root) / "none"), "deadlines").code == 1
