"""export-ics: every deadline as an all-day iCalendar event, parsed back with icalendar."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from calnet_desk.exchange.calendar import calendar_bytes, deadline_revisions, event_uid
from calnet_desk.policy.deadlines import RuleBook, deadlines, set_ladder
from calnet_desk.records import KINDS, Record
from calnet_desk.store import Register

TODAY = "2026-05-01"  # the ATO deadlines of February are overdue, not yet past
D = dt.date


def put(reg: Register, kind: str, record: Record) -> None:
    with reg.transaction() as tx:
        tx.put(KINDS[kind], record)


def fill(reg: Register) -> None:
    put(reg, "contracts", {"contract_number": "C3-1", "generation": "calnet-3",
                           "contractor": "AT&T", "end_date": "2027-06-30"})
    put(reg, "atos", {"ato_id": "ATO-2024-01", "contractor": "AT&T", "services": ["voice"],
                      "approved_on": "2024-02-29", "notice_given_on": "2026-01-15"})
    put(reg, "exemptions", {"exemption_id": "EX-1", "project": "Call center",
                            "decision": "approved", "term_end": "2026-09-30"})
    put(reg, "exemptions", {"exemption_id": "EX-2", "project": "Pending one"})
    put(reg, "delegations", {"delegation_id": "GD-1", "type": "general", "project": "Cabling",
                             "decision": "approved", "timeframe_end": "2026-12-31"})
    put(reg, "outside-contracts", {"contract_id": "OC 1/@x", "provider": "Acme",
                                   "services": ["internet"], "end_date": "2027-01-31",
                                   "renewal_date": "2026-10-01"})


EVERY = ("--from", "2000-01-01")  # every deadline, not just from 30 days before --today


def export(run_cli: Any, reg: Register, target: Path, today: str = TODAY,
           window: tuple[str, ...] = EVERY) -> Calendar:
    r = run_cli("--data-dir", str(reg.paths.root), "export-ics", str(target), "--today", today,
                *window)
    assert r.code == 0, r
    return Calendar.from_ical(target.read_bytes())


def events(cal: Calendar) -> dict[str, Any]:
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


def seq(cal: Calendar, uid: str) -> int:
    return int(events(cal)[uid].decoded("SEQUENCE"))


ATO_TERM = event_uid("ato-exclusive-term-end", "atos", "ATO-2024-01")
ATO_NOTICE = event_uid("ato-notice-effective", "atos", "ATO-2024-01")
EX1 = event_uid("exemption-term-end", "exemptions", "EX-1")


def test_one_all_day_event_per_deadline(reg: Register, run_cli: Any, tmp_path: Path) -> None:
    fill(reg)
    target = tmp_path / "deadlines.ics"
    r = run_cli("--data-dir", str(reg.paths.root), "export-ics", str(target), "--today", TODAY,
                *EVERY)
    assert r.code == 0, r
    expected = deadlines(reg, D(2026, 5, 1))
    assert len(expected) == 7  # contract, 2 ATO, exemption, delegation, 2 outside contract
    assert f"Wrote {len(expected)} event(s) to {target}" in r.out
    cal = Calendar.from_ical(target.read_bytes())
    assert str(cal["PRODID"]) == "-//CALNET Desk//EN"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["METHOD"]) == "PUBLISH"  # a published calendar, not a meeting request
    assert str(cal["X-WR-CALNAME"]) == "CALNET Desk: Department of Testing"
    found = events(cal)
    assert len(cal.walk("VEVENT")) == len(found) == len(expected)  # UIDs unique
    for d in expected:
        e = found[event_uid(d.kind, d.record_kind, d.key)]
        start, end = e.decoded("DTSTART"), e.decoded("DTEND")
        assert type(start) is dt.date and type(end) is dt.date  # DATE, not DATE-TIME
        assert start == d.date and end == d.date + dt.timedelta(days=1)
        assert d.key in str(e["SUMMARY"]) and d.record_kind in str(e["SUMMARY"])
        assert d.explanation in str(e["DESCRIPTION"])
        assert d.citation and d.citation in str(e["DESCRIPTION"])
        assert [str(c) for c in e["CATEGORIES"].cats] == ["CALNET Desk"]
    assert str(found[ATO_TERM]["SUMMARY"]) == "ATO exclusive term ends: atos ATO-2024-01"
    # 29 Feb 2024 + 24 months = 28 Feb 2026; the deadline is the day before.
    assert found[ATO_TERM].decoded("DTSTART") == D(2026, 2, 27)
    raw = target.read_bytes()
    assert b"DTSTART;VALUE=DATE:20260227\r\n" in raw
    assert b"DTEND;VALUE=DATE:20260228\r\n" in raw


def test_exactly_one_alarm_at_the_first_ladder_step(
        reg: Register, run_cli: Any, tmp_path: Path) -> None:
    fill(reg)
    set_ladder(reg, "exemptions", "EX-1", (120, 45, 10))  # a record's own ladder
    cal = export(run_cli, reg, tmp_path / "a.ics")
    common = RuleBook(reg).common
    for uid, e in events(cal).items():
        alarms = e.walk("VALARM")
        assert len(alarms) == 1, uid
        alarm = alarms[0]
        assert str(alarm["ACTION"]) == "DISPLAY"
        assert str(alarm["DESCRIPTION"]) == str(e["SUMMARY"])
        record_kind = uid.split(".")[1]
        first = 120 if uid == EX1 else common.ladder(record_kind)[0]
        assert alarm.decoded("TRIGGER") == -dt.timedelta(days=first), uid
    raw = (tmp_path / "a.ics").read_bytes()
    assert b"TRIGGER:-P120D\r\n" in raw and b"TRIGGER:-P180D\r\n" in raw  # EX-1, contract


def test_uid_is_stable_and_safe(reg: Register, run_cli: Any, tmp_path: Path) -> None:
    fill(reg)
    first = set(events(export(run_cli, reg, tmp_path / "a.ics")))
    put(reg, "exemptions", {"exemption_id": "EX-1", "term_end": "2026-10-31"})
    put(reg, "atos", {"ato_id": "ATO-2024-01", "contractor": "Lumen"})
    second = set(events(export(run_cli, reg, tmp_path / "b.ics", "2026-05-20")))
    assert first == second
    odd = event_uid("outside-contract-end", "outside-contracts", "OC 1/@x")
    assert odd == "outside-contract-end.outside-contracts.OC%201%2F%40x@calnet-desk"
    assert odd in first
    assert event_uid("contract-end", "contracts", "A B") != event_uid(
        "contract-end", "contracts", "A%20B")
    assert all(uid.isascii() and uid.count("@") == 1 for uid in first)


def test_sequence_rises_when_the_date_moves(reg: Register, run_cli: Any,
                                            tmp_path: Path) -> None:
    fill(reg)
    cal = export(run_cli, reg, tmp_path / "0.ics")
    assert {int(e.decoded("SEQUENCE")) for e in cal.walk("VEVENT")} == {0}

    put(reg, "atos", {"ato_id": "ATO-2024-01", "approved_on": "2024-03-15"})
    put(reg, "exemptions", {"exemption_id": "EX-1", "term_end": "2026-10-31"})
    cal = export(run_cli, reg, tmp_path / "1.ics")
    assert seq(cal, ATO_TERM) == 1
    assert seq(cal, ATO_NOTICE) == 1  # the later anniversary moved the notice date too
    assert seq(cal, EX1) == 1
    assert events(cal)[EX1].decoded("DTSTART") == D(2026, 10, 31)

    put(reg, "atos", {"ato_id": "ATO-2024-01", "approved_on": "2024-04-01"})
    put(reg, "exemptions", {"exemption_id": "EX-1", "term_end": "2026-11-30"})
    cal = export(run_cli, reg, tmp_path / "2.ics")
    assert (seq(cal, ATO_TERM), seq(cal, EX1)) == (2, 2)
    assert seq(cal, event_uid("contract-end", "contracts", "C3-1")) == 0


def test_sequence_unchanged_when_other_fields_change(
        reg: Register, run_cli: Any, tmp_path: Path) -> None:
    fill(reg)
    put(reg, "atos", {"ato_id": "ATO-2024-01", "contractor": "Lumen", "services": ["data"]})
    put(reg, "exemptions", {"exemption_id": "EX-1", "project": "Renamed",
                            "provider": "Acme"})
    # A field that takes part in the computation but leaves the date where it was:
    # 24 months set on the ATO is the rule set's default.
    put(reg, "atos", {"ato_id": "ATO-2024-01", "term_months": 24})
    put(reg, "outside-contracts", {"contract_id": "OC 1/@x", "calnet_offers": False})
    cal = export(run_cli, reg, tmp_path / "a.ics")
    assert {int(e.decoded("SEQUENCE")) for e in cal.walk("VEVENT")} == {0}
    assert "Renamed" in str(events(cal)[EX1]["DESCRIPTION"])


def test_sequence_counts_a_deadline_that_appears_and_returns(
        reg: Register, run_cli: Any, tmp_path: Path) -> None:
    fill(reg)
    ex2 = event_uid("exemption-term-end", "exemptions", "EX-2")
    put(reg, "exemptions", {"exemption_id": "EX-2", "term_end": "2027-03-31"})
    assert ex2 not in events(export(run_cli, reg, tmp_path / "a.ics"))  # still pending
    put(reg, "exemptions", {"exemption_id": "EX-2", "decision": "approved"})
    assert seq(export(run_cli, reg, tmp_path / "b.ics"), ex2) == 0  # its first date
    # Withdrawn, then approved again on the same date: not a move.
    put(reg, "exemptions", {"exemption_id": "EX-2", "decision": "pending"})
    put(reg, "exemptions", {"exemption_id": "EX-2", "decision": "approved"})
    assert seq(export(run_cli, reg, tmp_path / "c.ics"), ex2) == 0
    # Deleted and added again with another date: a move.
    with reg.transaction() as tx:
        tx.delete(KINDS["exemptions"], "EX-2")
    assert ex2 not in events(export(run_cli, reg, tmp_path / "d.ics"))
    put(reg, "exemptions", {"exemption_id": "EX-2", "project": "Again",
                            "decision": "approved", "term_end": "2027-06-30"})
    assert seq(export(run_cli, reg, tmp_path / "e.ics"), ex2) == 1


def test_replay_matches_the_register_and_each_records_own_history(reg: Register) -> None:
    fill(reg)
    for month in (3, 4, 5):
        put(reg, "atos", {"ato_id": "ATO-2024-01", "approved_on": f"2024-0{month}-01"})
    book = RuleBook(reg)
    revisions, changed_at = deadline_revisions(reg, book)
    for d in deadlines(reg, D(2026, 5, 1), book=book):
        rev = revisions[(d.record_kind, d.key, d.kind)]
        assert rev.date == d.date  # the replay ends where the register is
        assert changed_at[(d.record_kind, d.key)] == reg.history(d.record_kind, d.key)[-1]["at"]
    assert revisions[("atos", "ATO-2024-01", "ato-exclusive-term-end")].sequence == 3


def test_stamps_and_byte_identical_output(reg: Register, run_cli: Any, tmp_path: Path,
                                          clock: Any) -> None:
    fill(reg)
    clock.now = dt.datetime(2026, 12, 1, 9, 15, 30, tzinfo=dt.UTC)
    put(reg, "exemptions", {"exemption_id": "EX-1", "term_end": "2026-10-31"})
    a, b, c = tmp_path / "a.ics", tmp_path / "b.ics", tmp_path / "c.ics"
    export(run_cli, reg, a)
    export(run_cli, reg, b)
    assert a.read_bytes() == b.read_bytes()
    cal = export(run_cli, reg, c, "2026-05-02")
    assert a.read_bytes() != c.read_bytes()
    e = events(cal)[EX1]
    assert e.decoded("DTSTAMP") == dt.datetime(2026, 5, 2, tzinfo=dt.UTC)
    assert e.decoded("LAST-MODIFIED") == dt.datetime(2026, 12, 1, 9, 15, 30, tzinfo=dt.UTC)
    # Only DTSTAMP differs between two export dates.
    strip = [ln for ln in a.read_bytes().splitlines() if not ln.startswith(b"DTSTAMP")]
    assert strip == [ln for ln in c.read_bytes().splitlines() if not ln.startswith(b"DTSTAMP")]
    data, n = calendar_bytes(reg, D(2026, 5, 1), start=D(2000, 1, 1))
    assert data == a.read_bytes() and n == 7


def test_writes_atomically_over_an_existing_file(reg: Register, run_cli: Any,
                                                 tmp_path: Path) -> None:
    fill(reg)
    out = tmp_path / "cal"
    out.mkdir()
    target = out / "deadlines.ics"
    target.write_bytes(b"old")
    export(run_cli, reg, target)
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    assert [p.name for p in out.iterdir()] == ["deadlines.ics"]  # no temporary file left


def test_empty_register_gives_an_empty_calendar(reg: Register, run_cli: Any,
                                                tmp_path: Path) -> None:
    r = run_cli("--data-dir", str(reg.paths.root), "export-ics", str(tmp_path / "x.ics"))
    assert r.code == 0 and "Wrote 0 event(s)" in r.out
    assert Calendar.from_ical((tmp_path / "x.ics").read_bytes()).walk("VEVENT") == []


def test_no_register_exits_1(tmp_path: Path, run_cli: Any) -> None:
    target = tmp_path / "x.ics"
    r = run_cli("--data-dir", str(tmp_path / "none"), "export-ics", str(target))
    assert r.code == 1
    assert "no register" in r.err
    assert not target.exists()


@pytest.mark.parametrize("where", ["missing/x.ics", "."])
def test_bad_target_exits_1(reg: Register, run_cli: Any, tmp_path: Path, where: str) -> None:
    r = run_cli("--data-dir", str(reg.paths.root), "export-ics", str(tmp_path / where))
    assert r.code == 1, r
    assert "nothing was written" in r.err


def test_bad_today_is_usage(reg: Register, run_cli: Any, tmp_path: Path) -> None:
    r = run_cli("--data-dir", str(reg.paths.root), "export-ics", str(tmp_path / "x.ics"),
                "--today", "06/01/2026")
    assert r.code == 2


def test_a_long_past_deadline_leaves_the_calendar(reg: Register, run_cli: Any,
                                                  tmp_path: Path) -> None:
    fill(reg)
    # 94 days after the ATO's term end (02/27/2026): past (deadline-past-after-days, 90)
    cal = export(run_cli, reg, tmp_path / "late.ics", "2026-06-01")
    assert ATO_TERM not in events(cal) and ATO_NOTICE not in events(cal)
    assert EX1 in events(cal)


def test_the_window_defaults_to_30_days_back_with_no_end(reg: Register, run_cli: Any,
                                                         tmp_path: Path) -> None:
    fill(reg)
    # --today 2026-05-01: from 2026-04-01 on; the ATO term end (02/27/2026) is left out
    default = events(export(run_cli, reg, tmp_path / "a.ics", window=()))
    assert ATO_TERM not in default and EX1 in default
    assert all(e.decoded("DTSTART") >= D(2026, 4, 1) for e in default.values())
    assert len(default) == len(events(export(run_cli, reg, tmp_path / "b.ics",
                                             window=("--from", "2026-04-01"))))
    upto = events(export(run_cli, reg, tmp_path / "c.ics", window=(*EVERY, "--to",
                                                                  "2026-09-30")))
    assert ATO_TERM in upto and EX1 in upto  # the last day counts
    assert all(e.decoded("DTSTART") <= D(2026, 9, 30) for e in upto.values())
    assert len(upto) < len(events(export(run_cli, reg, tmp_path / "d.ics")))
    r = run_cli("--data-dir", str(reg.paths.root), "export-ics", str(tmp_path / "e.ics"),
                "--from", "2026-05-02", "--to", "2026-05-01")
    assert r.code == 2 and "--from 2026-05-02 is after --to 2026-05-01" in r.err
    assert not (tmp_path / "e.ics").exists()
