"""Findings: what is wrong in the register as of a day, which rule says so, what to do.

Each check is code; its severity, citation and message template are data
(``[findings.CODE]`` in the rule set), so a policy change is a rule-set change. Codes are
stable (scripts rely on them; the README lists them). Everything is recomputed from the
register every time: nothing is remembered as "reported".
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..records import KINDS, Record, Value
from ..store import Register
from ..store.as_of import ReadRegister
from ..store.documents import linked_records
from ..store.register import AGENCY_KEY, AGENCY_KIND
from ..store.tracked import REMINDER_LADDERS, current_state
from .billing_codes import RECONCILE_PLACEHOLDERS
from .catalog import INHERITED, item_key
from .deadlines import RuleBook, ato_anniversary, ato_term, notice_effective, stored_ladder
from .provenance import entry_sentence
from .requests import Element, elements
from .rules import RulesError, RuleSet, override_state

SEVERITIES = ("error", "warning", "info")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}

# Every code, with the names its message template may use ({key} always).
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "exemption-expired-with-active-orders": ("key", "project", "term_end", "orders", "count"),
    "exemption-missing-general-delegation": ("key", "project", "problem"),
    "exemption-without-term-end": ("key", "project"),
    "delegated-order-missing-form20": ("key", "delegation", "status"),
    "order-missing-delegation": ("key", "status", "problem"),
    "outside-renewal-needs-exemption": ("key", "provider", "renewal_date", "days", "problem",
                                        "timing", "advice"),
    "ato-notice-during-term": ("key", "notice_given_on", "term_months", "anniversary",
                               "effective"),
    "more-than-one-active-catr": ("key", "name", "count", "names"),
    "no-active-catr": ("key",),
    "order-placed-by-inactive-atr": ("key", "status", "placed_by", "person"),
    "exemption-request-incomplete": ("key", "project", "count", "missing"),
    "delegation-request-incomplete": ("key", "project", "count", "missing"),
    "order-under-denied-exemption": ("key", "status", "exemption"),
    "order-under-pending-exemption": ("key", "status", "exemption"),
    "exemption-order-outside-term": ("key", "status", "exemption", "request_date", "problem",
                                     "term_end"),
    "exemption-file-missing-documents": ("key", "project"),
    "ato-without-approval-date": ("key",),
    "catalog-status-stale": ("key", "status", "problem", "max_age_days"),
    "order-before-exemption-approved": ("key", "status", "exemption", "request_date",
                                        "decided_on"),
    "order-under-denied-delegation": ("key", "status", "delegation"),
    "order-under-pending-delegation": ("key", "status", "delegation"),
    "order-before-delegation-approved": ("key", "status", "delegation", "request_date",
                                         "decided_on"),
    "delegation-order-outside-timeframe": ("key", "status", "delegation", "request_date",
                                           "timeframe_end", "problem"),
    "outside-contract-end-needs-migration": ("key", "provider", "end_date", "days", "timing"),
    "outside-contract-beyond-exemption": ("key", "provider", "exemption", "term_end",
                                          "end_date", "runs"),
    "ato-notice-before-approval": ("key", "notice_given_on", "approved_on"),
    "ato-without-term": ("key", "contract", "generation"),
    "order-placed-by-unknown-person": ("key", "status", "placed_by"),
    "order-catalog-item-differs": ("key", "status", "item", "differences", "as_of"),
}
FINDING_CODES = tuple(PLACEHOLDERS)

OPEN_STATUSES = ("draft", "submitted", "approved", "in-progress")
NOT_YET_PLACED = ("draft", "cancelled")  # skipped where a check is about placed orders
DEFAULT_CATALOG_MAX_AGE_DAYS = 90
# The date a record of each kind came to be; where it is blank, its first history entry.
# Findings as of a day judge only the records that existed on that day.
EXISTS_FROM = {"orders": "request_date", "exemptions": "submitted_on",
               "delegations": "submitted_on", "atos": "approved_on", "people": "cdt965_date",
               "contracts": "award_date"}
# An order's message in the past tense once it is completed (`message_completed`).
COMPLETED = "completed"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    kind: str  # the record kind, plural as in `list` ("agency" for the register itself)
    key: str
    message: str
    citation: str
    # The sentence the rule rests on, as `rules --sources` shows it (the window shows it
    # beside the finding; not part of the JSON).
    sentence: str = field(default="", compare=False)

    @property
    def sort_key(self) -> tuple[int, str, str, str, str]:
        return (_RANK[self.severity], self.code, self.kind, self.key, self.message)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "kind": self.kind,
                "key": self.key, "message": self.message, "citation": self.citation}


class Catalog:
    """The rule set's [findings.CODE] entries, checked once: severity, citation, message."""

    def __init__(self, rules: RuleSet,
                 placeholders: dict[str, tuple[str, ...]] | None = None) -> None:
        """``placeholders``: the codes this catalog makes (default: the register's
        findings; the billing reconciliation passes its own)."""
        self.placeholders = PLACEHOLDERS if placeholders is None else placeholders
        self.entries: dict[str, dict[str, Any]] = {}
        self._sentences: dict[str, str] = {}
        every = {**PLACEHOLDERS, **RECONCILE_PLACEHOLDERS}
        unknown = sorted(set(rules.findings) - set(every))
        if unknown:
            raise RulesError(f"the rule set names unknown finding code(s) "
                             f"{', '.join(unknown)}; the codes are: {', '.join(every)}")
        for code, allowed in self.placeholders.items():
            where = f"the rule set's [findings.{code}]"
            entry = rules.findings.get(code)
            if not isinstance(entry, dict):
                raise RulesError(f"{where} is missing (severity, citation, message)")
            if entry.get("severity") not in SEVERITIES:
                raise RulesError(f"{where}: severity must be one of {'|'.join(SEVERITIES)}")
            for name in ("citation", "message"):
                if not isinstance(entry.get(name), str) or not entry[name].strip():
                    raise RulesError(f"{where} needs a {name} (text)")
            for name in ("message", "message_completed"):
                if name in entry:
                    _check_template(entry[name], allowed, f"{where} {name}")
            self.entries[code] = entry

    def param(self, code: str, name: str, default: int) -> int:
        value = self.entries[code].get(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise RulesError(f"the rule set's [findings.{code}] {name} must be a whole "
                             "number of days (0 or more)")
        return value

    def make(self, code: str, kind: str, key: str, **values: object) -> Finding:
        """The finding, its message filled in; a completed order's in the past tense
        (``message_completed``) where the rule set gives one."""
        entry = self.entries[code]
        filled = {name: str(v) for name, v in {"key": key, **values}.items()}
        assert set(filled) == set(self.placeholders[code]), (code, sorted(filled))
        template = entry["message"]
        if values.get("status") == COMPLETED and entry.get("message_completed"):
            template = entry["message_completed"]
        return Finding(code, str(entry["severity"]), kind, key, template.format_map(filled),
                       str(entry["citation"]), self.sentence(code))

    def sentence(self, code: str) -> str:
        """The sentence the code's rule rests on: worked out once per code (a register of
        5,000 orders makes 10,000 findings of a few codes)."""
        if code not in self._sentences:
            self._sentences[code] = entry_sentence(self.entries[code])
        return self._sentences[code]


def _check_template(message: object, allowed: tuple[str, ...], where: str) -> None:
    if not isinstance(message, str) or not message.strip():
        raise RulesError(f"{where} must be text")
    try:
        used = {f for _, f, _, _ in string.Formatter().parse(message) if f is not None}
    except ValueError as e:
        raise RulesError(f"{where}: the message is not a valid template ({e})") from None
    bad = sorted(f for f in used if f not in allowed)
    if bad:
        raise RulesError(f"{where}: the message uses {{{'}, {'.join(bad)}}}; it may "
                         f"use {{{'}, {'.join(allowed)}}}")


def _date(value: Value) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


def _us(value: Value | dt.date) -> str:
    d = value if isinstance(value, dt.date) else _date(value)
    return f"{d.month:02d}/{d.day:02d}/{d.year}" if d else ""


def _fold(text: str) -> str:
    """How a name is compared: trimmed, any case."""
    return text.strip().casefold()


class _Register:
    """The records the checks read, read once: those that existed on ``today`` (by their
    kind's own date, else their first history entry), with the indexes the checks look
    things up in (one pass over the orders, never one pass per order)."""

    def __init__(self, reg: ReadRegister, today: dt.date) -> None:
        self.reg = reg
        self.today = today
        self.agency_class = reg.agency().get("agency_class")
        self.exemptions = {str(r["exemption_id"]): r for r in self._existing("exemptions")}
        self.delegations = {str(r["delegation_id"]): r
                            for r in self._existing("delegations")}
        self.atos = self._existing("atos")
        self.outside = self._existing("outside-contracts")
        self.people = self._existing("people")
        items = KINDS["catalog-items"]
        self.items = {items.record_key(r): r for r in self._existing("catalog-items")}
        self.documented = linked_records(reg)
        self._inactive_since: dict[str, dt.date | None] = {}
        # people by their id and by their name, as `placed_by` may name them (trimmed,
        # any case), each list in the register's order. Every person in the register, not
        # only those entered by ``today``: a person is who placed an order whenever their
        # record was typed in (the demo, made today as of a month ago, and any register
        # whose people were listed after their orders showed every order placed by
        # "an unknown person")
        self.people_named: dict[str, list[Record]] = {}
        for p in reg.records(KINDS["people"]):
            for name in dict.fromkeys(_fold(v) for v in (p["person_id"], p["name"])
                                      if isinstance(v, str)):
                self.people_named.setdefault(name, []).append(p)
        # Only the orders a check can find something in (most orders are fine, and reading
        # 100,000 of them into Python was most of the time): those under a delegation or an
        # exemption, needing one, drafts, and those placed by someone unknown or inactive.
        orders = KINDS["orders"]
        self.placed_by_problem = {
            v: self._placed_by_problem(v)
            for v in reg.distinct_values(orders, ["placed_by"]) if isinstance(v, str)}
        conditions: list[list[tuple[str, str, Any]]] = [
            [("delegation_id", "present", None)], [("exemption_id", "present", None)],
            [("delegation_required", "=", True)], [("status", "=", "draft")],
            [("placed_by", "in", [v for v, (unknown, _) in self.placed_by_problem.items()
                                  if unknown])]]
        for value, (_, atr) in self.placed_by_problem.items():
            if atr is None:
                continue
            gone = self.inactive_since(str(atr["person_id"]))
            # a completed order requested before the ATR was known inactive is history
            # (see _placed_by): ISO dates as stored compare as text
            same = ("placed_by", "=", value)
            conditions += ([[same]] if gone is None else
                           [[same, ("status", "!=", COMPLETED)],
                            [same, ("request_date", "blank", None)],
                            [same, ("request_date", ">=", gone.isoformat())]])
        self.orders = self._existing("orders", reg.records_where_any(
            orders, ORDER_FIELDS, conditions, unless=("status", "cancelled")))
        # the orders under each exemption that are not cancelled, in key order
        self.active_under: dict[Value, list[str]] = {}
        for o in self.orders:
            if o["exemption_id"] is not None and o["status"] != "cancelled":
                self.active_under.setdefault(o["exemption_id"], []).append(
                    str(o["request_number"]))

    def _existing(self, kind_name: str, records: list[Record] | None = None
                  ) -> list[Record]:
        """The records (default: every one of the kind) that existed on ``today``."""
        kind = KINDS[kind_name]
        if records is None:
            records = self.reg.records(kind)
        field = EXISTS_FROM.get(kind_name)
        dated: list[tuple[Record, dt.date | None]] = [
            (r, _date(r[field]) if field else None) for r in records]
        undated = [kind.record_key(r) for r, since in dated if since is None]
        first_seen = ({k: dt.date.fromisoformat(at[:10])
                       for k, at in self.reg.first_change_of(kind_name, undated).items()}
                      if undated else {})
        out = []
        for r, since in dated:
            if since is None:
                since = first_seen.get(kind.record_key(r))
            if since is None or since <= self.today:
                out.append(r)
        return out

    def people_matching(self, placed_by: str) -> list[Record]:
        return self.people_named.get(_fold(placed_by), [])

    def problem_of(self, placed_by: str) -> tuple[bool, Record | None]:
        if placed_by not in self.placed_by_problem:
            self.placed_by_problem[placed_by] = self._placed_by_problem(placed_by)
        return self.placed_by_problem[placed_by]

    def _placed_by_problem(self, placed_by: str) -> tuple[bool, Record | None]:
        """What an order placed by this name may be found for: (no such person, the
        inactive ATR it names when no active person goes by it). See _placed_by."""
        if not placed_by.strip():
            return False, None
        matches = self.people_matching(placed_by)
        if not matches:
            return True, None
        atr = next((p for p in matches if p["role"] == "atr" and p["active"] is False), None)
        if atr is None or any(p["active"] is True for p in matches):
            return False, None
        return False, atr

    def inactive_since(self, person_id: str) -> dt.date | None:
        """The day (UTC) the register last learned the person is inactive: made inactive,
        or entered (typed or imported) as inactive; from the history."""
        if person_id not in self._inactive_since:
            day = None
            for entry in self.reg.history("people", person_id):
                change = entry["changes"].get("active")
                if change and change[1] is False and change[0] is not False:
                    day = dt.date.fromisoformat(entry["at"][:10])
            self._inactive_since[person_id] = day
        return self._inactive_since[person_id]


def _element_words(missing: list[Element]) -> str:
    """The missing elements in words (their labels, as the request packet gives them), not
    their codes: "the provider …; why the services are needed"."""
    def lower(label: str) -> str:  # "The provider" -> "the provider"; "IPR …" stays
        return label[:1].lower() + label[1:] if label[1:2].islower() else label

    return "; ".join(lower(e.label) for e in missing)


# The order fields the checks read (reading only these is most of the cost saved).
ORDER_FIELDS = ("request_number", "status", "request_date", "delegation_id",
                "delegation_required", "exemption_id", "placed_by", "catalog_status",
                "catalog_status_as_of", "contract_number", "product_id")


def _missing(needed: list[Element], record: Record) -> list[Element]:
    return [e for e in needed if e.applies(record) and e.problems(record)]


def findings(reg: ReadRegister, today: dt.date, book: RuleBook | None = None
             ) -> list[Finding]:
    """Every finding as of ``today``, sorted by severity, code, kind and key. Records that
    did not exist yet on ``today`` are not judged. ``reg`` is the live register, or the
    register as of a day (store.as_of.RegisterAsOf)."""
    book = book or RuleBook(reg)
    catalog = Catalog(book.common)
    with reg.snapshot():  # one state of the register, although a writer goes on
        data = _Register(reg, today)
    since = _limited_term_since(book.common)
    found = [*_exemption_checks(data, catalog, today, elements(book.common, "exemptions"),
                                since),
             *_order_checks(data, catalog, today),
             *_delegation_checks(data, catalog, elements(book.common, "delegations")),
             *_outside_contract_checks(data, catalog, today, book),
             *_ato_checks(data, catalog, today, book),
             *_people_checks(data, catalog, book.common)]
    return sorted(found, key=lambda f: f.sort_key)


# The last findings worked out for each register, with what they depend on: the
# register's state (its history head: every change is an entry), the day and the rule
# set override. Asked again for the same, they are given at once.
_LAST: dict[Path, tuple[tuple[str, dt.date, bytes], list[Finding]]] = {}


def current_findings(reg: Register, today: dt.date) -> list[Finding]:
    """``findings(reg, today)``, kept until the register, the day or its rules change."""
    root = reg.paths.root
    with reg.snapshot():
        state = (reg.head(), today, override_state(root))
        last = _LAST.get(root)
        if last is not None and last[0] == state:
            return list(last[1])
        found = findings(reg, today)
    _LAST[root] = (state, found)
    return list(found)


def _limited_term_since(rules: RuleSet) -> dt.date | None:
    """The day SAM 4605's limited term and paired General Delegation apply from (the
    ``exemption-limited-term`` rule's ``effective_from``); None: always."""
    rule = rules.rules.get("exemption-limited-term")
    if rule is None or rule.value is False:
        return dt.date.max
    since = rule.extra.get("effective_from")
    if since in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(since))
    except ValueError:
        raise RulesError(f"rules.exemption-limited-term effective_from {since!r} is not a "
                         "date YYYY-MM-DD") from None


def _under_limited_term(ex: Record, since: dt.date | None) -> bool:
    """Was the exemption approved (else submitted) on or after the rule's effective date?
    With neither date known it is judged by the rule."""
    if since is None:
        return True
    day = _date(ex["decided_on"]) or _date(ex["submitted_on"])
    return day is None or day >= since


def _exemption_checks(data: _Register, catalog: Catalog, today: dt.date,
                      needed: list[Element], since: dt.date | None) -> Iterator[Finding]:
    for key, ex in data.exemptions.items():
        project = ex["project"]
        if ex["decision"] == "pending":
            missing = _missing(needed, ex)
            if missing:
                yield catalog.make("exemption-request-incomplete", "exemptions", key,
                                   project=project, count=len(missing),
                                   missing=_element_words(missing))
        if ex["decision"] != "approved":
            continue
        limited = _under_limited_term(ex, since)
        end = _date(ex["term_end"])
        if end is None:
            if limited:
                yield catalog.make("exemption-without-term-end", "exemptions", key,
                                   project=project)
        elif today > end:
            active = data.active_under.get(key, [])
            if active:
                yield catalog.make("exemption-expired-with-active-orders", "exemptions", key,
                                   project=project, term_end=_us(end), orders=", ".join(active),
                                   count=len(active))
        gd_key = ex["general_delegation_id"]
        gd = data.delegations.get(str(gd_key)) if gd_key else None
        problem = None
        if not gd_key:
            problem = "names no General Delegation"
        elif gd is None:
            problem = f"names General Delegation {gd_key}, which is not in the register"
        elif gd["type"] != "general":
            problem = (f"names delegation {gd_key}, which is a {gd['type']} delegation, not "
                       "a General Delegation")
        elif gd["decision"] != "approved":
            problem = f"names General Delegation {gd_key}, which is {gd['decision']}, not approved"
        if problem and limited:
            yield catalog.make("exemption-missing-general-delegation", "exemptions", key,
                               project=project, problem=problem)
        if ("exemptions", key) not in data.documented:
            yield catalog.make("exemption-file-missing-documents", "exemptions", key,
                               project=project)


def _order_checks(data: _Register, catalog: Catalog, today: dt.date) -> Iterator[Finding]:
    max_age = catalog.param("catalog-status-stale", "max_age_days",
                            DEFAULT_CATALOG_MAX_AGE_DAYS)
    for o in data.orders:
        key = str(o["request_number"])
        status = str(o["status"])
        if status == "cancelled":
            continue
        placed = status not in NOT_YET_PLACED
        requested = _date(o["request_date"])
        dg_key = o["delegation_id"]
        dg = data.delegations.get(str(dg_key)) if dg_key else None
        if dg_key and placed and ("orders", key) not in data.documented:
            yield catalog.make("delegated-order-missing-form20", "orders", key,
                               delegation=dg_key, status=status)
        if o["delegation_required"] is True and placed and dg is None:
            problem = ("no delegation is linked" if not dg_key else
                       f"its delegation {dg_key} is not in the register")
            yield catalog.make("order-missing-delegation", "orders", key, status=status,
                               problem=problem)
        if dg is not None:
            yield from _under(_DELEGATION, catalog, o, key, status, placed, dg, today)
        ex_key = o["exemption_id"]
        ex = data.exemptions.get(str(ex_key)) if ex_key else None
        if ex is not None:
            yield from _under(_EXEMPTION, catalog, o, key, status, placed, ex, today)
        yield from _placed_by(data, catalog, o, key, status, requested)
        if status == "draft":
            ref = item_key(o)
            item = data.items.get(ref) if ref else None
            stale = (_item_problem(ref, item, today, max_age) if ref and item is not None
                     else _catalog_problem(o, today, max_age))
            if stale:
                yield catalog.make("catalog-status-stale", "orders", key, status=status,
                                   problem=stale, max_age_days=max_age)
            differences = _differences(o, item) if item is not None else ""
            if item is not None and differences:
                yield catalog.make("order-catalog-item-differs", "orders", key,
                                   status=status, item=ref, differences=differences,
                                   as_of=_us(item["as_of"]) or "an unknown date")


@dataclass(frozen=True)
class _Authority:
    """What an order bought under an exemption or a delegation is judged against. The two
    are checked alike (denied, pending, bought before the approval, dated after the end);
    they differ in names, and a delegation's end also leaves its open orders outside it."""

    noun: str  # "exemption" or "delegation": the finding codes' word and its parameter
    key_field: str
    end_field: str  # the approval's last day (and the finding's parameter for it)
    outside: str  # the code of an order dated after that day
    problem: Callable[[dt.date, dt.date], str]  # (requested, end) -> the finding's words
    ends_open_orders: bool


_EXEMPTION = _Authority("exemption", "exemption_id", "term_end", "exemption-order-outside-term",
                        lambda requested, end: f"its term ended {_us(end)}", False)
_DELEGATION = _Authority("delegation", "delegation_id", "timeframe_end",
                         "delegation-order-outside-timeframe",
                         lambda requested, end: f"dated {_us(requested)} falls outside", True)


def _under(authority: _Authority, catalog: Catalog, o: Record, key: str, status: str,
           placed: bool, approval: Record, today: dt.date) -> Iterator[Finding]:
    a = authority
    named = {a.noun: str(approval[a.key_field])}
    requested = _date(o["request_date"])
    if approval["decision"] == "denied":
        yield catalog.make(f"order-under-denied-{a.noun}", "orders", key, status=status,
                           **named)
    elif approval["decision"] == "pending" and placed:
        yield catalog.make(f"order-under-pending-{a.noun}", "orders", key, status=status,
                           **named)
    elif approval["decision"] == "approved":
        decided, end = _date(approval["decided_on"]), _date(approval[a.end_field])
        # Buying before the approval is the same violation as buying under a pending one.
        if requested and decided and requested < decided and placed:
            yield catalog.make(f"order-before-{a.noun}-approved", "orders", key,
                               status=status, **named, request_date=_us(requested),
                               decided_on=_us(decided))
        elif requested and end and requested > end:
            yield catalog.make(a.outside, "orders", key, status=status, **named,
                               request_date=_us(requested), **{a.end_field: _us(end)},
                               problem=a.problem(requested, end))
        elif a.ends_open_orders and end and today > end and status in OPEN_STATUSES:
            yield catalog.make(a.outside, "orders", key, status=status, **named,
                               request_date=_us(requested) if requested else "",
                               **{a.end_field: _us(end)}, problem="is still open after")


def _placed_by(data: _Register, catalog: Catalog, o: Record, key: str, status: str,
               requested: dt.date | None) -> Iterator[Finding]:
    placed_by = o["placed_by"]
    if not (isinstance(placed_by, str) and placed_by.strip()):
        return
    unknown, atr = data.problem_of(placed_by)
    if unknown:
        yield catalog.make("order-placed-by-unknown-person", "orders", key, status=status,
                           placed_by=placed_by.strip())
        return
    if atr is None:
        return
    gone = data.inactive_since(str(atr["person_id"]))
    # A completed order requested before the register knew the ATR inactive is history,
    # not a finding; open orders always are.
    earlier = (status == COMPLETED and gone is not None and requested is not None
               and requested < gone)
    if not earlier:
        yield catalog.make("order-placed-by-inactive-atr", "orders", key, status=status,
                           placed_by=placed_by.strip(),
                           person=f"{atr['name']} ({atr['person_id']})")


def _catalog_problem(order: Record, today: dt.date, max_age: int) -> str | None:
    status = order["catalog_status"]
    as_of = _date(order["catalog_status_as_of"])
    if not status:
        return "its catalog status (Required or Discretionary) is not recorded"
    if as_of is None:
        return f"its catalog status ({status}) has no as-of date"
    if (today - as_of).days > max_age:
        return (f"its catalog status ({status}) was recorded as of {_us(as_of)}, more than "
                f"{max_age} days ago")
    return None


def _item_problem(ref: str, item: Record, today: dt.date, max_age: int) -> str | None:
    """Staleness counted from the catalog item the order names (its as-of date)."""
    status = item["catalog_status"]
    as_of = _date(item["as_of"])
    if not status:
        return f"its catalog item {ref} has no catalog status (Required or Discretionary)"
    if as_of is None:
        return f"its catalog item {ref} ({status}) has no as-of date"
    if (today - as_of).days > max_age:
        return (f"its catalog item {ref} ({status}) was read as of {_us(as_of)}, more than "
                f"{max_age} days ago")
    return None


def _differences(order: Record, item: Record) -> str:
    """How the order's recorded catalog values differ from its item's current ones."""
    out = []
    for mine, theirs in INHERITED:
        if mine == "catalog_status_as_of":  # a later reading of the same status is no news
            continue
        a, b = order.get(mine), item.get(theirs)
        if a is not None and b is not None and a != b:
            label = KINDS["orders"].by_name[mine].label.lower()
            out.append(f"{label} {_shown(a)} (the item: {_shown(b)})")
    return "; ".join(out)


def _shown(value: Value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _delegation_checks(data: _Register, catalog: Catalog, needed: list[Element]
                       ) -> Iterator[Finding]:
    for key, dg in data.delegations.items():
        if dg["decision"] == "pending":
            missing = _missing(needed, dg)
            if missing:
                yield catalog.make("delegation-request-incomplete", "delegations", key,
                                   project=dg["project"], count=len(missing),
                                   missing=_element_words(missing))


def _timing(verb_future: str, verb_past: str, day: dt.date, today: dt.date) -> str:
    days = (day - today).days
    if days >= 0:
        return f"{verb_future} {_us(day)} (in {days} day(s))"
    return f"{verb_past} {_us(day)} ({-days} day(s) ago)"


def _outside_contract_checks(data: _Register, catalog: Catalog, today: dt.date,
                             book: RuleBook) -> Iterator[Finding]:
    if data.agency_class != "non-exempt-state":
        return
    overrides = current_state(data.reg, REMINDER_LADDERS)
    for oc in data.outside:
        key = str(oc["contract_id"])
        if oc["calnet_offers"] is not True:
            continue
        own = overrides.get(f"outside-contracts:{key}")
        ladder = (stored_ladder(own["ladder"]) if own
                  else tuple(book.common.ladder("outside-contracts")))
        window = ladder[0] if ladder else 0
        renewal, end = _date(oc["renewal_date"]), _date(oc["end_date"])
        ex_key = oc["exemption_id"]
        ex = data.exemptions.get(str(ex_key)) if ex_key else None
        ex_end = _date(ex["term_end"]) if ex and ex["decision"] == "approved" else None
        ended = end is not None and end < today
        if renewal is not None and (renewal - today).days <= window and not ended:
            problem = None
            if ex is None:
                problem = "no exemption is linked"
            elif ex["decision"] != "approved":
                problem = f"its exemption {ex_key} is {ex['decision']}, not approved"
            elif ex_end is not None and ex_end < renewal:
                problem = f"its exemption {ex_key} ends {_us(ex_end)}, before the renewal"
            if problem:
                days = (renewal - today).days
                past = days < 0
                yield catalog.make(
                    "outside-renewal-needs-exemption", "outside-contracts", key,
                    provider=oc["provider"], renewal_date=_us(renewal), days=abs(days),
                    problem=problem,
                    timing=_timing("renews", "was due to renew", renewal, today),
                    advice=("It may have been renewed without one: check, and if it was, "
                            "request the exemption now or end the contract and migrate."
                            if past else "Request the exemption now, or plan the migration "
                            "to CALNET."))
        elif renewal is None and end is not None and not ended \
                and (end - today).days <= window and ex_end is None:
            yield catalog.make("outside-contract-end-needs-migration", "outside-contracts",
                               key, provider=oc["provider"], end_date=_us(end),
                               days=(end - today).days,
                               timing=_timing("ends", "ended", end, today))
        if ex_end is not None and ((end is not None and end > ex_end)
                                   or (end is None and today > ex_end)):
            yield catalog.make("outside-contract-beyond-exemption", "outside-contracts", key,
                               provider=oc["provider"], exemption=ex_key,
                               term_end=_us(ex_end), end_date=_us(end) if end else "",
                               runs=(f"runs to {_us(end)}" if end else
                                     "has no end date and is still on file"))


def _ato_checks(data: _Register, catalog: Catalog, today: dt.date, book: RuleBook
                ) -> Iterator[Finding]:
    for ato in data.atos:
        key = str(ato["ato_id"])
        approved = _date(ato["approved_on"])
        notice = _date(ato["notice_given_on"])
        if approved is None:
            yield catalog.make("ato-without-approval-date", "atos", key)
            continue
        if notice is not None and notice < approved:
            yield catalog.make("ato-notice-before-approval", "atos", key,
                               notice_given_on=_us(notice), approved_on=_us(approved))
        term, _ = ato_term(ato, book)
        if term is None:
            rules = book.for_contract(ato.get("contract_number"))
            yield catalog.make("ato-without-term", "atos", key,
                               contract=ato.get("contract_number") or "(none)",
                               generation=rules.generation or rules.name)
            continue
        if notice is None or term <= 0:
            continue
        anniversary = ato_anniversary(approved, term)
        rules = book.for_contract(ato.get("contract_number"))
        effective = notice_effective(notice, anniversary, int(rules.value("ato-notice-days")))
        # Once the notice has taken effect the early notice no longer matters.
        if notice < anniversary and today < effective:
            yield catalog.make("ato-notice-during-term", "atos", key,
                               notice_given_on=_us(notice), term_months=term,
                               anniversary=_us(anniversary), effective=_us(effective))


def _people_checks(data: _Register, catalog: Catalog, rules: RuleSet) -> Iterator[Finding]:
    catrs = [p for p in data.people if p["role"] == "catr" and p["active"] is True]
    limit = int(rules.value("one-active-catr")) if "one-active-catr" in rules.rules else 1
    if not catrs:
        yield catalog.make("no-active-catr", AGENCY_KIND, AGENCY_KEY)
    elif len(catrs) > limit:
        names = ", ".join(f"{p['name']} ({p['person_id']})" for p in catrs)
        for p in catrs:
            yield catalog.make("more-than-one-active-catr", "people", str(p["person_id"]),
                               name=p["name"], count=len(catrs), names=names)
