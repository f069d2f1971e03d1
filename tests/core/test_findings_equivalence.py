"""The fast findings (narrowed in SQLite, people looked up by name, kept by history head)
find exactly what the one-pass-per-order reference found, on generated registers and on the
demo, on several days; and the kept findings follow every change."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import tests.core.findings_reference as reference
from calnet_desk import demo
from calnet_desk.exchange.bundle.scope import replay
from calnet_desk.policy import findings as fast
from calnet_desk.records import KINDS, Record
from calnet_desk.store import Register
from calnet_desk.store.as_of import ReadRegister, RegisterAsOf
from tests.conftest import FixedClock
from tests.core.test_findings import approved, attach, delegation, order, person, put

DAYS = (dt.date(2024, 6, 1), dt.date(2026, 1, 15), dt.date(2026, 12, 1),
        dt.date(2027, 9, 30))
NAMES = ("Ann Lee", "Bo Chen", "Cy Diaz")
STATUSES = KINDS["orders"].by_name["status"].choices


def shown(found: list[Any]) -> list[tuple[dict[str, str], str]]:
    return [(f.as_dict(), f.sentence) for f in found]


def same_findings(reg: ReadRegister, day: dt.date) -> list[Any]:
    new = fast.findings(reg, day)
    assert shown(new) == shown(reference.findings(reg, day))
    return new


def spelled(name: str, variant: int) -> str:
    """A name as someone may type it: any case, stray spaces."""
    return [name, name.upper(), f"  {name.lower()} ", name.swapcase()][variant % 4]


people_st = st.lists(st.tuples(st.sampled_from(NAMES), st.sampled_from(("atr", "atr", "catr")),
                               st.booleans(), st.booleans()), min_size=1, max_size=5)
# placed by: someone by id or name as typed (most often), no one, blank, or a stranger
someone = st.tuples(st.integers(0, 4), st.integers(0, 3), st.booleans())
orders_st = st.lists(st.fixed_dictionaries({
    "status": st.sampled_from(("completed", *STATUSES)),
    "placed_by": st.one_of(someone, someone, someone, st.none(), st.just("   "),
                           st.just("Nobody Known")),
    "request_date": st.dates(dt.date(2024, 1, 1), dt.date(2027, 12, 31)),
    "delegation": st.sampled_from((None, "CD-1", "CD-4", "CD-5", "GD-2", "CD-3")),
    "exemption": st.sampled_from((None, "EX-OK", "EX-OLD", "EX-DEN", "EX-PEND")),
    "required": st.booleans(),
    "documented": st.booleans(),
    "catalog": st.sampled_from((None, "required")),
    "as_of": st.one_of(st.none(), st.dates(dt.date(2025, 1, 1), dt.date(2027, 1, 1))),
}), min_size=1, max_size=25)
# an ATR made inactive mid-2025, with completed orders placed before and after that
EXAMPLE_PEOPLE = [("Ann Lee", "atr", False, True), ("Bo Chen", "atr", False, False),
                  ("Ann Lee", "catr", True, False)]
EXAMPLE_ORDERS = [{"status": status, "placed_by": placed, "request_date": day,
                   "delegation": None, "exemption": None, "required": False,
                   "documented": False, "catalog": "required", "as_of": None}
                  for status in ("completed", "submitted")
                  for placed in ((0, 1, True), (1, 2, False), (1, 3, True), (0, 0, False),
                                 "Nobody Known")
                  for day in (dt.date(2024, 3, 1), dt.date(2025, 5, 31), dt.date(2025, 6, 1),
                              dt.date(2026, 2, 1))]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(people=people_st, orders=orders_st)
@example(people=EXAMPLE_PEOPLE, orders=EXAMPLE_ORDERS)
def test_generated_registers_give_the_reference_findings(
        tmp_path_factory: Any, people: list[tuple[str, str, bool, bool]],
        orders: list[dict[str, Any]]) -> None:
    root = tmp_path_factory.mktemp("reg") / "reg"
    clock = FixedClock(dt.datetime(2024, 1, 2, 9, 0, tzinfo=dt.UTC))
    with Register.create(root, agency="Department of Testing",
                         agency_class="non-exempt-state", clock=clock) as reg:
        put(reg, "delegations",
            delegation(delegation_id="GD-1", decision="approved"),
            delegation(delegation_id="GD-2"),
            delegation(delegation_id="CD-1", type="contract", decision="approved"),
            delegation(delegation_id="CD-3", type="contract", decision="denied"),
            delegation(delegation_id="CD-4", type="contract", decision="approved",
                       decided_on="2026-06-01"),
            delegation(delegation_id="CD-5", type="contract", decision="approved",
                       decided_on="2025-01-01", timeframe_end="2026-06-30"))
        put(reg, "exemptions", approved("EX-OK"), approved("EX-OLD", term_end="2026-06-30"),
            approved("EX-DEN", decision="denied"), approved("EX-PEND", decision="pending",
                                                            submitted_on=None))
        # people entered active or not; some made inactive later (history says when)
        put(reg, "people", *[person(f"P-{i}", name, role, active or later)
                             for i, (name, role, active, later) in enumerate(people)])
        clock.now = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)  # inside the orders' dates
        put(reg, "people", *[person(f"P-{i}", name, role, False)
                             for i, (name, role, active, later) in enumerate(people)
                             if later and not active])
        records: list[Record] = []
        for n, o in enumerate(orders):
            placed = o["placed_by"]
            if isinstance(placed, tuple):
                i, variant, by_id = placed
                placed = (spelled(f"p-{i}", variant) if by_id
                          else spelled(NAMES[i % len(NAMES)], variant))
            records.append(order(
                f"O-{n}", status=o["status"], placed_by=placed,
                request_date=o["request_date"].isoformat(), delegation_id=o["delegation"],
                exemption_id=o["exemption"], delegation_required=o["required"],
                catalog_status=o["catalog"],
                catalog_status_as_of=o["as_of"].isoformat() if o["as_of"] else None))
        put(reg, "orders", *records)
        for n, o in enumerate(orders):
            if o["documented"]:
                attach(reg, "orders", f"O-{n}", f"form 20 of O-{n}".encode())
        for day in DAYS:
            same_findings(reg, day)
        # the register rebuilt from its history (an --as-of bundle's summary) narrows the
        # same orders in Python that the live one narrows in SQLite
        entries = reg.history()
        as_of = RegisterAsOf(reg.paths, entries, replay(entries))
        day = DAYS[2]
        assert shown(same_findings(as_of, day)) == shown(fast.findings(reg, day))


def test_the_demo_gives_the_reference_findings(tmp_path: Path) -> None:
    with demo.create_demo(tmp_path / "demo", orders=3000) as reg:
        for day in (*DAYS, demo.AS_OF):
            same_findings(reg, day)
        assert fast.findings(reg, demo.AS_OF)  # the demo has findings to compare


def test_findings_are_kept_until_the_register_the_day_or_the_rules_change(
        reg: Register) -> None:
    put(reg, "people", person("P-1", "Casey Catr", "catr"))
    day = dt.date(2026, 12, 1)
    first = fast.current_findings(reg, day)
    assert fast.current_findings(reg, day) == first
    assert fast._LAST[reg.paths.root][1] == first  # the same answer, kept
    put(reg, "people", person("P-1", "Casey Catr", "catr", active=False))  # a change
    changed = fast.current_findings(reg, day)
    assert [f.code for f in changed] == ["no-active-catr"]
    assert changed == fast.findings(reg, day)
    assert fast.current_findings(reg, dt.date(2020, 1, 1)) == fast.findings(
        reg, dt.date(2020, 1, 1))  # another day
    (reg.paths.root / "rules.toml").write_text(
        '[findings.no-active-catr]\nseverity = "info"\n', "utf-8")
    assert [f.severity for f in fast.current_findings(reg, day)] == ["info"]
