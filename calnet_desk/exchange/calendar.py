"""Every deadline as an iCalendar file (RFC 5545), for Outlook, Google Calendar and the like.

* One all-day event per deadline (DTSTART the date, DTEND the next day, both DATE values),
  SUMMARY "ATO exclusive term ends: atos ATO-2024-01", DESCRIPTION the explanation and its
  source, CATEGORIES "CALNET Desk", TRANSP TRANSPARENT (a deadline does not make anyone busy).
* One VALARM (DISPLAY) at the first step of the deadline's reminder ladder (the record's own
  ladder, else its kind's): Outlook honours only one alarm per event.
* UID ``{deadline kind}.{record kind}.{key}@calnet-desk`` (the key percent-encoded), the same
  in every export, so importing a newer file updates the events instead of duplicating them.
* SEQUENCE counts how often the deadline's date has moved, derived from the history: each
  record's entries are replayed in order, the deadline dates recomputed after each one
  (:func:`calnet_desk.policy.deadlines.record_deadlines`), and every change of a date counts one
  (the first date is SEQUENCE 0; a deadline that disappears and comes back on the same date
  does not count). Nothing is stored, so nothing can drift out of step. The replay uses the
  rule sets as they are now (today's contract generations and rule overrides): a move that
  comes from a changed rule set rather than from a record is not counted.
* DTSTAMP is the export date (``--today``) at 00:00 UTC and LAST-MODIFIED the time of the
  record's last change in the history (or of its reminder ladder), so the same register and
  the same ``--today`` give a byte-identical file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from ..files import write_atomically
from ..policy.deadlines import (
    DEADLINE_DECLARATIONS,
    DEADLINE_RECORD_KINDS,
    Deadline,
    RuleBook,
    deadlines,
    record_deadlines,
)
from ..policy.rules import CodeLabels
from ..records import KINDS
from ..store import Register
from ..store.tracked import REMINDER_LADDERS

PRODID = "-//CALNET Desk//EN"
CATEGORY = "CALNET Desk"
UID_DOMAIN = "calnet-desk"

# each deadline's label in the rule set ([deadlines.CODE] label)
EVENT_LABELS = CodeLabels("deadlines", [d.code for d in DEADLINE_DECLARATIONS])


def event_uid(deadline_kind: str, record_kind: str, key: str) -> str:
    """Stable per (record kind, key, deadline kind); the key percent-encoded (UTF-8), so any
    key gives a distinct, plain-ASCII UID."""
    return f"{deadline_kind}.{record_kind}.{quote(key, safe='')}@{UID_DOMAIN}"


def event_summary(d: Deadline) -> str:
    return f"{EVENT_LABELS.get(d.kind, d.kind)}: {d.record_kind} {d.key}"


@dataclass
class Revision:
    """What the history says about one deadline: its last date and how often it moved."""

    date: dt.date
    sequence: int = 0


@dataclass
class _Replay:
    record: dict[str, Any] | None = None
    last_at: str = ""
    deadlines: dict[str, Revision] = field(default_factory=dict)


def deadline_revisions(reg: Register, book: RuleBook
                       ) -> tuple[dict[tuple[str, str, str], Revision], dict[tuple[str, str], str]]:
    """Replay the history of every record that can have deadlines, in one pass per kind.

    Returns the revisions by (record kind, key, deadline kind) and the time of each record's
    last change by (record kind, key). Cost: one indexed scan of each kind's history entries,
    one deadline computation per entry."""
    revisions: dict[tuple[str, str, str], Revision] = {}
    changed_at: dict[tuple[str, str], str] = {}
    for record_kind in DEADLINE_RECORD_KINDS:
        kind = KINDS[record_kind]
        blank: dict[str, Any] = {f.name: None for f in kind.fields}
        replays: dict[str, _Replay] = {}
        for entry in reg.iter_history(record_kind):
            key = entry["key"]
            replay = replays.setdefault(key, _Replay())
            replay.last_at = entry["at"]
            if entry["action"] == "delete":
                replay.record = None
                continue
            base = replay.record if entry["action"] == "update" and replay.record else blank
            record = dict(base)
            for name, (_old, new) in entry["changes"].items():
                record[name] = new
            record.update(kind.key_values(key))
            replay.record = record
            for raw in record_deadlines(record_kind, record, book):
                rev = replay.deadlines.get(raw.kind)
                if rev is None:
                    replay.deadlines[raw.kind] = Revision(raw.date)
                elif rev.date != raw.date:
                    rev.date = raw.date
                    rev.sequence += 1
        for key, replay in replays.items():
            changed_at[(record_kind, key)] = replay.last_at
            for deadline_kind, rev in replay.deadlines.items():
                revisions[(record_kind, key, deadline_kind)] = rev
    # A record's own reminder ladder changes its alarm: that counts as a change of the record.
    for ladder_key, at in reg.newest_change_by_key(REMINDER_LADDERS.history_kind).items():
        record_kind, _, key = ladder_key.partition(":")
        ref = (record_kind, key)
        if ref in changed_at and at > changed_at[ref]:
            changed_at[ref] = at
    return revisions, changed_at


def _utc(at: str) -> dt.datetime:
    return dt.datetime.strptime(at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


LOOK_BACK_DAYS = 30  # design choice: a month of overdue deadlines stays on the calendar


def calendar_bytes(reg: Register, today: dt.date, book: RuleBook | None = None,
                   start: dt.date | None = None, end: dt.date | None = None
                   ) -> tuple[bytes, int]:
    """The .ics file of the deadlines dated from ``start`` (default: 30 days before
    ``today``) to ``end`` (default: no end), those whose status is past left out, and how
    many events it holds. METHOD:PUBLISH: a published calendar, not an invitation."""
    from icalendar import Alarm, Calendar, Event

    book = book or RuleBook(reg)
    start = start or today - dt.timedelta(days=LOOK_BACK_DAYS)
    found = [d for d in deadlines(reg, today, book=book) if d.status != "past"
             and d.date >= start and (end is None or d.date <= end)]
    revisions, changed_at = deadline_revisions(reg, book)
    stamp = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    agency = reg.agency().get("name")
    cal.add("x-wr-calname", f"CALNET Desk: {agency}" if agency else "CALNET Desk")
    for d in found:
        summary = event_summary(d)
        event = Event()
        event.add("uid", event_uid(d.kind, d.record_kind, d.key))
        event.add("dtstamp", stamp)
        at = changed_at.get((d.record_kind, d.key))
        if at:
            event.add("last-modified", _utc(at))
        event.add("sequence", _sequence(revisions.get((d.record_kind, d.key, d.kind)), d.date))
        event.add("summary", summary)
        event.add("dtstart", d.date)
        event.add("dtend", d.date + dt.timedelta(days=1))
        event.add("transp", "TRANSPARENT")
        event.add("description", _description(d))
        event.add("categories", [CATEGORY])
        if d.ladder:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", summary)
            alarm.add("trigger", dt.timedelta(days=-d.ladder[0]))
            event.add_component(alarm)
        cal.add_component(event)
    return cal.to_ical(), len(found)


def _sequence(rev: Revision | None, date: dt.date) -> int:
    if rev is None:
        return 0
    # The replay ends on today's date unless the record predates its history; a date that
    # moved without an entry still counts once.
    return rev.sequence + (rev.date != date)


def _description(d: Deadline) -> str:
    lines = [d.explanation]
    if d.citation:
        lines.append(f"Source: {d.citation}")
    if d.ladder:
        lines.append("Reminders: " + ", ".join(map(str, d.ladder)) + " days before "
                     "(this event carries the first)")
    return "\n\n".join(lines)


def export_ics(reg: Register, target: Path, today: dt.date, start: dt.date | None = None,
               end: dt.date | None = None) -> int:
    """Write the deadlines of the register to ``target`` (see calendar_bytes); returns how
    many events."""
    data, count = calendar_bytes(reg, today, start=start, end=end)
    write_atomically(target, [data])
    return count
