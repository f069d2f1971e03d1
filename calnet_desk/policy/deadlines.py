"""Deadlines, computed from the data every time they are asked for.

Nothing is remembered as "reminded already": a deadline's status comes from today's date,
the reminder ladder (rule set, per record kind, overridable per record) and any
acknowledgement or snooze, which is tied to the date it saw and lapses if the date moves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..records import GENERATIONS, KINDS
from ..store import RecordError, Register
from ..store.as_of import ReadRegister
from ..store.tracked import DEADLINE_MARKS, REMINDER_LADDERS, current_state, delete_row, put_row
from .rules import RulesError, RuleSet, load_rules

if TYPE_CHECKING:
    from ..store.register import Changes


@dataclass(frozen=True)
class DeadlineKind:
    """One kind of deadline, declared once: the record kind it belongs to and the field its
    date comes from (the rule behind it is the rule set's deadline entry of the same code,
    which carries the citation)."""

    code: str
    record_kind: str
    date_field: str


DEADLINE_DECLARATIONS = (
    DeadlineKind("ato-exclusive-term-end", "atos", "approved_on"),  # + the term
    DeadlineKind("ato-notice-effective", "atos", "notice_given_on"),  # + the notice days
    DeadlineKind("exemption-term-end", "exemptions", "term_end"),
    DeadlineKind("delegation-timeframe-end", "delegations", "timeframe_end"),
    DeadlineKind("outside-contract-end", "outside-contracts", "end_date"),
    DeadlineKind("outside-contract-renewal", "outside-contracts", "renewal_date"),
    DeadlineKind("contract-end", "contracts", "end_date"),
)
DEADLINE_KINDS = tuple(d.code for d in DEADLINE_DECLARATIONS)
DEADLINE_RECORD_KIND = {d.code: d.record_kind for d in DEADLINE_DECLARATIONS}
# The record kinds that have deadlines, in the order raw_deadlines reports them.
DEADLINE_RECORD_KINDS = tuple(dict.fromkeys(d.record_kind for d in DEADLINE_DECLARATIONS))


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later; a day the target month lacks becomes its last day
    (29 Feb 2024 + 24 months = 28 Feb 2026; 31 Jan + 1 month = 28/29 Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(index, 12)
    return dt.date(year, month0 + 1, min(day.day, days_in_month(year, month0 + 1)))


MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def days_in_month(year: int, month: int) -> int:
    """calendar.monthrange(year, month)[1], without importing calendar (and the locale
    module it imports) on the desktop's way to its first page (issue 16 item 15)."""
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    return 29 if month == 2 and leap else MONTH_DAYS[month - 1]


def ato_anniversary(approved_on: dt.date, term_months: int) -> dt.date:
    """The first day outside the exclusive term (STMM 400.1)."""
    return add_months(approved_on, term_months)


def notice_effective(notice_given_on: dt.date, anniversary: dt.date, notice_days: int
                     ) -> dt.date:
    """Notice takes effect notice_days after it is given, never before the anniversary."""
    return max(notice_given_on + dt.timedelta(days=notice_days), anniversary)


def us_date(d: dt.date) -> str:
    return f"{d.month:02d}/{d.day:02d}/{d.year}"


@dataclass(frozen=True)
class Deadline:
    kind: str
    record_kind: str
    key: str
    date: dt.date
    days_left: int
    status: str
    citation: str
    explanation: str
    ladder: tuple[int, ...] = field(default=(), compare=False)

    @property
    def sort_key(self) -> tuple[dt.date, str, str, str]:
        return (self.date, self.kind, self.record_kind, self.key)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "record_kind": self.record_kind, "key": self.key,
                "date": self.date.isoformat(), "days_left": self.days_left,
                "status": self.status, "citation": self.citation,
                "explanation": self.explanation}


@dataclass(frozen=True)
class RawDeadline:
    """A deadline before today, ladders and marks are applied."""

    kind: str
    record_kind: str
    key: str
    date: dt.date
    citation: str
    explanation: str


class RuleBook:
    """Rule sets by contract generation, loaded once per computation."""

    def __init__(self, reg: ReadRegister | None) -> None:
        self.root = reg.paths.root if reg else None
        self._sets: dict[str | None, RuleSet] = {}
        self.generation_of: dict[str, str] = {}
        if reg is not None:
            for c in reg.records(KINDS["contracts"]):
                if isinstance(c["generation"], str):
                    self.generation_of[str(c["contract_number"])] = c["generation"]

    def for_generation(self, generation: str | None) -> RuleSet:
        if generation not in GENERATIONS:
            generation = None
        if generation not in self._sets:
            self._sets[generation] = load_rules(generation, self.root)
        return self._sets[generation]

    def for_contract(self, contract_number: object) -> RuleSet:
        return self.for_generation(self.generation_of.get(str(contract_number)))

    @property
    def common(self) -> RuleSet:
        return self.for_generation(None)


def _date(value: object) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


def ato_term(ato: dict[str, Any], book: RuleBook) -> tuple[int | None, str]:
    """(term months, where it comes from): the ATO's own, else the rule set's default; None
    when the rule set has no default (NextGen: the term is the one on the signed ATO)."""
    rules = book.for_contract(ato.get("contract_number"))
    if isinstance(ato.get("term_months"), int) and not isinstance(ato["term_months"], bool):
        return int(ato["term_months"]), "set on the ATO"
    default = rules.value("ato-exclusive-term-months")
    if not isinstance(default, int) or isinstance(default, bool):
        return None, f"{rules.name} sets no default: it is the one on the signed ATO"
    return (default,
            f"the default of {rules.name}, {rules.citation('ato-exclusive-term-months')}")


def raw_deadlines(reg: ReadRegister, book: RuleBook | None = None) -> Iterator[RawDeadline]:
    book = book or RuleBook(reg)
    for record_kind in DEADLINE_RECORD_KINDS:
        for record in reg.records(KINDS[record_kind]):
            yield from record_deadlines(record_kind, record, book)


Cite = Callable[..., str]  # (deadline kind, rule set or None) -> its citation


def _declared_date(code: str, record: dict[str, Any]) -> dt.date | None:
    """The date in the field a deadline kind is declared on."""
    return _date(record[_DECLARED[code].date_field])


def _ato_deadlines(ato: dict[str, Any], book: RuleBook, cite: Cite) -> Iterator[RawDeadline]:
    key = str(ato["ato_id"])
    approved = _declared_date("ato-exclusive-term-end", ato)
    notice = _declared_date("ato-notice-effective", ato)
    rules = book.for_contract(ato.get("contract_number"))
    term, term_source = ato_term(ato, book)
    notice_days = int(rules.value("ato-notice-days"))
    anniversary = ato_anniversary(approved, term) if approved and term is not None \
        else None
    if approved and anniversary and term:
        yield RawDeadline(
            "ato-exclusive-term-end", "atos", key, anniversary - dt.timedelta(days=1),
            cite("ato-exclusive-term-end", rules),
            f"ATO {key} was approved {us_date(approved)} with a {term}-month exclusive "
            f"term ({term_source}); the anniversary is {us_date(anniversary)}, so "
            f"{us_date(anniversary - dt.timedelta(days=1))} is the last day the listed "
            "services must be bought from CALNET.")
    # Until the approval date and the term are known, when notice takes effect is unknown.
    if notice and approved and term is not None:
        floor = anniversary if anniversary and term > 0 else notice
        effective = notice_effective(notice, floor, notice_days)
        why = (f"never before the anniversary {us_date(floor)}"
               if effective > notice + dt.timedelta(days=notice_days) else
               f"{notice_days} calendar days after it was given")
        yield RawDeadline(
            "ato-notice-effective", "atos", key, effective,
            cite("ato-notice-effective", rules),
            f"Notice on ATO {key} was given {us_date(notice)}; it takes effect "
            f"{us_date(effective)} ({why}, {rules.citation('ato-notice-days')}).")


def _exemption_deadlines(ex: dict[str, Any], book: RuleBook, cite: Cite
                         ) -> Iterator[RawDeadline]:
    end = _declared_date("exemption-term-end", ex)
    if ex["decision"] == "approved" and end:
        yield RawDeadline("exemption-term-end", "exemptions", str(ex["exemption_id"]), end,
                          cite("exemption-term-end"),
                          f"Exemption {ex['exemption_id']} ({ex['project']}) is granted "
                          f"until {us_date(end)}; after that, purchases under it need a "
                          "new exemption.")


def _delegation_deadlines(dg: dict[str, Any], book: RuleBook, cite: Cite
                          ) -> Iterator[RawDeadline]:
    end = _declared_date("delegation-timeframe-end", dg)
    if dg["decision"] == "approved" and end:
        yield RawDeadline("delegation-timeframe-end", "delegations",
                          str(dg["delegation_id"]), end, cite("delegation-timeframe-end"),
                          f"Delegation {dg['delegation_id']} ({dg['project']}) covers work "
                          f"until {us_date(end)}.")


def _outside_contract_deadlines(oc: dict[str, Any], book: RuleBook, cite: Cite
                                ) -> Iterator[RawDeadline]:
    key = str(oc["contract_id"])
    end = _declared_date("outside-contract-end", oc)
    renewal = _declared_date("outside-contract-renewal", oc)
    if end:
        yield RawDeadline("outside-contract-end", "outside-contracts", key, end,
                          cite("outside-contract-end"),
                          f"Outside contract {key} with {oc['provider']} ends "
                          f"{us_date(end)}" + ("; CALNET offers these services, so "
                                               "migrate as soon as feasible."
                                               if oc["calnet_offers"] else "."))
    if renewal:
        yield RawDeadline("outside-contract-renewal", "outside-contracts", key, renewal,
                          cite("outside-contract-renewal"),
                          f"Outside contract {key} with {oc['provider']} renews "
                          f"{us_date(renewal)}" + ("; extending or re-bidding it needs "
                                                   "an approved exemption first."
                                                   if oc["calnet_offers"] else "."))


def _contract_deadlines(c: dict[str, Any], book: RuleBook, cite: Cite
                        ) -> Iterator[RawDeadline]:
    end = _declared_date("contract-end", c)
    if end:
        yield RawDeadline("contract-end", "contracts", str(c["contract_number"]), end,
                          cite("contract-end"),
                          f"CALNET contract {c['contract_number']} ({c['contractor']}) "
                          f"ends {us_date(end)}.")


_DECLARED = {d.code: d for d in DEADLINE_DECLARATIONS}
# How each record kind's deadlines are worked out from its declared date fields.
_RULES: dict[str, Callable[[dict[str, Any], RuleBook, Cite], Iterator[RawDeadline]]] = {
    "atos": _ato_deadlines, "exemptions": _exemption_deadlines,
    "delegations": _delegation_deadlines, "outside-contracts": _outside_contract_deadlines,
    "contracts": _contract_deadlines,
}
assert tuple(_RULES) == DEADLINE_RECORD_KINDS


def record_deadlines(record_kind: str, record: dict[str, Any], book: RuleBook
                     ) -> Iterator[RawDeadline]:
    """The deadlines of one record (a dict with every field of its kind, stored values),
    e.g. a record as it stands now or as it stood after some history entry."""
    common = book.common

    def cite(kind: str, rules: RuleSet | None = None) -> str:
        return (rules or common).deadlines.get(kind, {}).get("citation", "")

    rule = _RULES.get(record_kind)
    if rule is not None:
        yield from rule(record, book, cite)


PAST_RULE = "deadline-past-after-days"


def past_after_days(rules: RuleSet) -> int:
    """How many days after its date a deadline stops being overdue and is simply past."""
    value = rules.rules[PAST_RULE].value if PAST_RULE in rules.rules else 90
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RulesError(f"rules.{PAST_RULE} must be a whole number of days (0 or more)")
    return value


def parse_ladder(text: str) -> tuple[int, ...]:
    """'90,60,30,7' -> (90, 60, 30, 7): whole days, largest first, no repeats."""
    from ..store.errors import printable

    bad = f"{printable(text, 40)!r} is not a list of days such as 90,60,30,7"
    if len(text) > 1000:
        raise ValueError(bad)
    try:
        days = sorted({int(p) for p in text.replace(";", ",").split(",") if p.strip()},
                      reverse=True)
    except ValueError:
        raise ValueError(bad) from None
    if not days or days[-1] < 0:
        raise ValueError(bad)
    if days[0] > MAX_LADDER_DAYS:
        raise ValueError(f"{printable(days[0], 40)} days is more than {MAX_LADDER_DAYS:,} "
                         "(ten years), the longest reminder a ladder may give")
    return tuple(days)


# The longest reminder step: ten years (design choice; deadlines are terms of months or a
# few years, and dates past 9999 cannot be computed).
MAX_LADDER_DAYS = 3653


def stored_ladder(text: str) -> tuple[int, ...]:
    """A ladder as stored: steps past the longest allowed (written before it was checked)
    are left out rather than break every deadline."""
    try:
        days = {int(p) for p in text.replace(";", ",").split(",") if p.strip()}
    except ValueError:
        return ()
    return tuple(sorted((d for d in days if 0 <= d <= MAX_LADDER_DAYS), reverse=True))


def deadlines(reg: ReadRegister, today: dt.date, within: int | None = None,
              book: RuleBook | None = None) -> list[Deadline]:
    book = book or RuleBook(reg)
    overrides = {k: stored_ladder(v["ladder"])
                 for k, v in current_state(reg, REMINDER_LADDERS).items()}
    marks = current_state(reg, DEADLINE_MARKS)
    past_after = past_after_days(book.common)
    out = []
    for raw in raw_deadlines(reg, book):
        ladder = overrides.get(f"{raw.record_kind}:{raw.key}") or tuple(
            book.common.ladder(raw.record_kind))
        days_left = (raw.date - today).days
        if days_left < -past_after:
            status = "past"  # long gone: off the dashboard and the calendar
        elif days_left < 0:
            status = "overdue"
        elif ladder and days_left <= ladder[0]:
            status = "due-soon"
        else:
            status = "upcoming"
        mark = marks.get(f"{raw.record_kind}:{raw.key}:{raw.kind}")
        if mark and status != "past" and mark["deadline_date"] == raw.date.isoformat():
            if mark["mark"] == "acknowledged":
                status = "acknowledged"
            elif mark["mark"] == "snoozed" and today < dt.date.fromisoformat(mark["until"]):
                status = "snoozed"
        if within is not None and days_left > within:
            continue
        out.append(Deadline(raw.kind, raw.record_kind, raw.key, raw.date, days_left, status,
                            raw.citation, raw.explanation, ladder))
    return sorted(out, key=lambda d: d.sort_key)


def find_deadline(reg: Register, record_kind: str, key: str, deadline_kind: str,
                  book: RuleBook | None = None) -> RawDeadline:
    for raw in raw_deadlines(reg, book):
        if (raw.record_kind, raw.key, raw.kind) == (record_kind, key, deadline_kind):
            return raw
    raise RecordError(f"{record_kind} {key} has no {deadline_kind} deadline now")


def mark_deadline(reg: Register, record_kind: str, key: str, deadline_kind: str, mark: str,
                  until: dt.date | None = None, reason: str | None = None) -> RawDeadline:
    """Acknowledge or snooze a deadline, tied to the date it has now (through the history)."""
    with reg.transaction(reason) as tx:
        return put_marks(tx, [(record_kind, key, deadline_kind)], mark, until)[0]


Target = tuple[str, str, str]  # a deadline: (record kind, key, deadline kind)


def put_marks(tx: Changes, targets: Sequence[Target], mark: str,
              until: dt.date | None = None) -> list[RawDeadline]:
    """Acknowledge or snooze deadlines inside one transaction, each tied to the date it has
    now (one history entry each); refused, nothing written, when one is not a deadline."""
    for _, _, deadline_kind in targets:
        if deadline_kind not in DEADLINE_KINDS:
            raise RecordError(f"unknown deadline kind {deadline_kind!r}; use one of: "
                              f"{', '.join(DEADLINE_KINDS)}")
    now = {(raw.record_kind, raw.key, raw.kind): raw for raw in raw_deadlines(tx.register)}
    out = []
    for record_kind, key, deadline_kind in targets:
        raw = now.get((record_kind, key, deadline_kind))
        if raw is None:
            raise RecordError(f"{record_kind} {key} has no {deadline_kind} deadline now")
        put_row(tx, DEADLINE_MARKS, {
            "record_kind": record_kind, "key": key, "deadline_kind": deadline_kind,
            "mark": mark, "deadline_date": raw.date.isoformat(),
            "until": until.isoformat() if until else None})
        out.append(raw)
    return out


def set_ladder(reg: Register, record_kind: str, key: str, ladder: tuple[int, ...] | None,
               reason: str | None = None) -> None:
    """Override the reminder ladder of one record (None: back to its kind's ladder)."""
    kind = KINDS[record_kind]
    if reg.get(kind, key) is None:
        raise RecordError(f"no {kind.singular} {key} in the register")
    with reg.transaction(reason) as tx:
        keys = {"record_kind": record_kind, "key": key}
        if ladder is None:
            delete_row(tx, REMINDER_LADDERS, keys,
                       missing=f"{kind.singular} {key} has no ladder of its own")
        else:
            put_row(tx, REMINDER_LADDERS, {**keys, "ladder": ",".join(map(str, ladder))})
