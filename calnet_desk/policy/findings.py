"""Findings: what is wrong in the register as of a day, which rule says so, what to do.

Each check is code; its severity, citation and message template are data
(``[findings.CODE]`` in the rule set), so a policy change is a rule-set change. Codes are
stable (scripts rely on them; the README lists them). Everything is recomputed from the
register every time: nothing is remembered as "reported".
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..deadlines import RuleBook, ato_anniversary, ato_term, notice_effective, parse_ladder
from ..records import KINDS, Record, Value
from ..store import Register
from ..store.register import AGENCY_KEY, AGENCY_KIND
from ..store.tracked import REMINDER_LADDERS, current_state
from .requests import Element, elements
from .rules import RulesError, RuleSet

SEVERITIES = ("error", "warning", "info")

# Every code, with the names its message template may use ({key} always).
PLACEHOLDERS: dict[str, tuple[str, ...]] = {
    "exemption-expired-with-active-orders": ("key", "project", "term_end", "orders", "count"),
    "exemption-missing-general-delegation": ("key", "project", "problem"),
    "exemption-without-term-end": ("key", "project"),
    "delegated-order-missing-form20": ("key", "delegation", "status"),
    "order-missing-delegation": ("key", "status", "problem"),
    "outside-renewal-needs-exemption": ("key", "provider", "renewal_date", "days", "problem"),
    "ato-notice-during-term": ("key", "notice_given_on", "term_months", "anniversary",
                               "effective"),
    "more-than-one-active-catr": ("key", "name", "count", "names"),
    "no-active-catr": ("key",),
    "order-placed-by-inactive-atr": ("key", "status", "placed_by", "person"),
    "exemption-request-incomplete": ("key", "project", "count", "missing"),
    "delegation-request-incomplete": ("key", "project", "count", "missing"),
    "order-under-denied-exemption": ("key", "status", "exemption"),
    "order-under-pending-exemption": ("key", "status", "exemption"),
    "exemption-order-outside-term": ("key", "status", "exemption", "request_date", "problem"),
    "exemption-file-missing-documents": ("key", "project"),
    "ato-without-approval-date": ("key",),
    "catalog-status-stale": ("key", "status", "problem", "max_age_days"),
}
FINDING_CODES = tuple(PLACEHOLDERS)

OPEN_STATUSES = ("draft", "submitted", "approved", "in-progress")
NOT_YET_PLACED = ("draft", "cancelled")  # skipped where a check is about placed orders
DEFAULT_CATALOG_MAX_AGE_DAYS = 90


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str
    kind: str  # the record kind, plural as in `list` ("agency" for the register itself)
    key: str
    message: str
    citation: str

    @property
    def sort_key(self) -> tuple[int, str, str, str, str]:
        return (SEVERITIES.index(self.severity), self.code, self.kind, self.key, self.message)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity, "kind": self.kind,
                "key": self.key, "message": self.message, "citation": self.citation}


class Catalog:
    """The rule set's [findings.CODE] entries, checked once: severity, citation, message."""

    def __init__(self, rules: RuleSet) -> None:
        self.entries: dict[str, dict[str, Any]] = {}
        unknown = sorted(set(rules.findings) - set(PLACEHOLDERS))
        if unknown:
            raise RulesError(f"the rule set names unknown finding code(s) "
                             f"{', '.join(unknown)}; the codes are: {', '.join(PLACEHOLDERS)}")
        for code, allowed in PLACEHOLDERS.items():
            where = f"the rule set's [findings.{code}]"
            entry = rules.findings.get(code)
            if not isinstance(entry, dict):
                raise RulesError(f"{where} is missing (severity, citation, message)")
            if entry.get("severity") not in SEVERITIES:
                raise RulesError(f"{where}: severity must be one of {'|'.join(SEVERITIES)}")
            for name in ("citation", "message"):
                if not isinstance(entry.get(name), str) or not entry[name].strip():
                    raise RulesError(f"{where} needs a {name} (text)")
            try:
                used = {f for _, f, _, _ in string.Formatter().parse(entry["message"])
                        if f is not None}
            except ValueError as e:
                raise RulesError(f"{where}: the message is not a valid template ({e})") from None
            bad = sorted(f for f in used if f not in allowed)
            if bad:
                raise RulesError(f"{where}: the message uses {{{'}, {'.join(bad)}}}; it may "
                                 f"use {{{'}, {'.join(allowed)}}}")
            self.entries[code] = entry

    def param(self, code: str, name: str, default: int) -> int:
        value = self.entries[code].get(name, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise RulesError(f"the rule set's [findings.{code}] {name} must be a whole "
                             "number of days (0 or more)")
        return value

    def make(self, code: str, kind: str, key: str, **values: object) -> Finding:
        entry = self.entries[code]
        filled = {name: str(v) for name, v in {"key": key, **values}.items()}
        assert set(filled) == set(PLACEHOLDERS[code]), (code, sorted(filled))
        return Finding(code, str(entry["severity"]), kind, key,
                       entry["message"].format_map(filled), str(entry["citation"]))


def _date(value: Value) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else None


def _us(value: Value | dt.date) -> str:
    d = value if isinstance(value, dt.date) else _date(value)
    return f"{d.month:02d}/{d.day:02d}/{d.year}" if d else ""


def _same(a: Value, b: str) -> bool:
    return isinstance(a, str) and a.strip().casefold() == b.strip().casefold()


class _Register:
    """The records the checks read, read once."""

    def __init__(self, reg: Register) -> None:
        self.reg = reg
        self.agency_class = reg.agency().get("agency_class")
        self.orders = reg.records(KINDS["orders"])
        self.exemptions = {str(r["exemption_id"]): r for r in reg.records(KINDS["exemptions"])}
        self.delegations = {str(r["delegation_id"]): r
                            for r in reg.records(KINDS["delegations"])}
        self.atos = reg.records(KINDS["atos"])
        self.outside = reg.records(KINDS["outside-contracts"])
        self.people = reg.records(KINDS["people"])
        self.documented = {(str(k), str(key)) for k, key in reg.conn.execute(
            "SELECT DISTINCT kind, key FROM document_links")}
        self._inactive_since: dict[str, dt.date | None] = {}

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


def _missing(needed: list[Element], record: Record) -> list[Element]:
    return [e for e in needed if e.applies(record) and e.problems(record)]


def findings(reg: Register, today: dt.date, book: RuleBook | None = None) -> list[Finding]:
    """Every finding as of ``today``, sorted by severity, code, kind and key."""
    book = book or RuleBook(reg)
    catalog = Catalog(book.common)
    data = _Register(reg)
    found = [*_exemption_checks(data, catalog, today, elements(book.common, "exemptions")),
             *_order_checks(data, catalog, today),
             *_delegation_checks(data, catalog, elements(book.common, "delegations")),
             *_outside_contract_checks(data, catalog, today, book),
             *_ato_checks(data, catalog, today, book),
             *_people_checks(data, catalog, book.common)]
    return sorted(found, key=lambda f: f.sort_key)


def _exemption_checks(data: _Register, catalog: Catalog, today: dt.date,
                      needed: list[Element]) -> Iterator[Finding]:
    for key, ex in data.exemptions.items():
        project = ex["project"]
        if ex["decision"] == "pending":
            missing = _missing(needed, ex)
            if missing:
                yield catalog.make("exemption-request-incomplete", "exemptions", key,
                                   project=project, count=len(missing),
                                   missing=", ".join(e.code for e in missing))
        if ex["decision"] != "approved":
            continue
        end = _date(ex["term_end"])
        if end is None:
            yield catalog.make("exemption-without-term-end", "exemptions", key,
                               project=project)
        elif today > end:
            active = [str(o["request_number"]) for o in data.orders
                      if o["exemption_id"] == key and o["status"] != "cancelled"]
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
        if problem:
            yield catalog.make("exemption-missing-general-delegation", "exemptions", key,
                               project=project, problem=problem)
        if ("exemptions", key) not in data.documented:
            yield catalog.make("exemption-file-missing-documents", "exemptions", key,
                               project=project)


def _order_checks(data: _Register, catalog: Catalog, today: dt.date) -> Iterator[Finding]:
    max_age = catalog.param("catalog-status-stale", "max_age_days",
                            DEFAULT_CATALOG_MAX_AGE_DAYS)
    inactive_atrs = [p for p in data.people if p["role"] == "atr" and p["active"] is False]
    for o in data.orders:
        key = str(o["request_number"])
        status = str(o["status"])
        placed = status not in NOT_YET_PLACED
        dg_key = o["delegation_id"]
        if dg_key and placed and ("orders", key) not in data.documented:
            yield catalog.make("delegated-order-missing-form20", "orders", key,
                               delegation=dg_key, status=status)
        if o["delegation_required"] is True and placed:
            dg = data.delegations.get(str(dg_key)) if dg_key else None
            problem = None
            if dg is None:
                problem = "no delegation is linked"
            elif dg["decision"] != "approved":
                problem = f"its delegation {dg_key} is {dg['decision']}, not approved"
            if problem:
                yield catalog.make("order-missing-delegation", "orders", key, status=status,
                                   problem=problem)
        ex_key = o["exemption_id"]
        ex = data.exemptions.get(str(ex_key)) if ex_key else None
        if ex is not None and status != "cancelled":
            if ex["decision"] == "denied":
                yield catalog.make("order-under-denied-exemption", "orders", key,
                                   status=status, exemption=ex_key)
            elif ex["decision"] == "pending" and placed:
                yield catalog.make("order-under-pending-exemption", "orders", key,
                                   status=status, exemption=ex_key)
            elif ex["decision"] == "approved":
                requested = _date(o["request_date"])
                decided, end = _date(ex["decided_on"]), _date(ex["term_end"])
                problem = None
                if requested and decided and requested < decided:
                    problem = f"it was requested before the exemption was approved ({_us(decided)})"
                elif requested and end and requested > end:
                    problem = f"the exemption's term ended {_us(end)}"
                if problem:
                    yield catalog.make("exemption-order-outside-term", "orders", key,
                                       status=status, exemption=ex_key,
                                       request_date=_us(requested), problem=problem)
        placed_by = o["placed_by"]
        if isinstance(placed_by, str) and placed_by.strip() and status != "cancelled":
            matches = [p for p in data.people
                       if _same(p["person_id"], placed_by) or _same(p["name"], placed_by)]
            atr = next((p for p in inactive_atrs if p in matches), None)
            if atr is not None and not any(p["active"] is True for p in matches):
                gone = data.inactive_since(str(atr["person_id"]))
                requested = _date(o["request_date"])
                # A completed order requested before the register knew the ATR inactive is
                # history, not a finding; open orders always are.
                earlier = (status == "completed" and gone is not None and requested is not None
                           and requested < gone)
                if not earlier:
                    yield catalog.make("order-placed-by-inactive-atr", "orders", key,
                                       status=status, placed_by=placed_by.strip(),
                                       person=f"{atr['name']} ({atr['person_id']})")
        if status in OPEN_STATUSES:
            problem = _catalog_problem(o, today, max_age)
            if problem:
                yield catalog.make("catalog-status-stale", "orders", key, status=status,
                                   problem=problem, max_age_days=max_age)


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


def _delegation_checks(data: _Register, catalog: Catalog, needed: list[Element]
                       ) -> Iterator[Finding]:
    for key, dg in data.delegations.items():
        if dg["decision"] == "pending":
            missing = _missing(needed, dg)
            if missing:
                yield catalog.make("delegation-request-incomplete", "delegations", key,
                                   project=dg["project"], count=len(missing),
                                   missing=", ".join(e.code for e in missing))


def _outside_contract_checks(data: _Register, catalog: Catalog, today: dt.date,
                             book: RuleBook) -> Iterator[Finding]:
    if data.agency_class != "non-exempt-state":
        return
    overrides = current_state(data.reg.conn, REMINDER_LADDERS)
    for oc in data.outside:
        key = str(oc["contract_id"])
        renewal = _date(oc["renewal_date"])
        if oc["calnet_offers"] is not True or renewal is None:
            continue
        own = overrides.get(f"outside-contracts:{key}")
        ladder = (parse_ladder(own["ladder"]) if own
                  else tuple(book.common.ladder("outside-contracts")))
        days = (renewal - today).days
        if not ladder or not 0 <= days <= ladder[0]:
            continue
        ex_key = oc["exemption_id"]
        ex = data.exemptions.get(str(ex_key)) if ex_key else None
        end = _date(ex["term_end"]) if ex else None
        problem = None
        if ex is None:
            problem = "no exemption is linked"
        elif ex["decision"] != "approved":
            problem = f"its exemption {ex_key} is {ex['decision']}, not approved"
        elif end is not None and end < renewal:
            problem = f"its exemption {ex_key} ends {_us(end)}, before the renewal"
        if problem:
            yield catalog.make("outside-renewal-needs-exemption", "outside-contracts", key,
                               provider=oc["provider"], renewal_date=_us(renewal), days=days,
                               problem=problem)


def _ato_checks(data: _Register, catalog: Catalog, today: dt.date, book: RuleBook
                ) -> Iterator[Finding]:
    for ato in data.atos:
        key = str(ato["ato_id"])
        approved = _date(ato["approved_on"])
        if approved is None:
            yield catalog.make("ato-without-approval-date", "atos", key)
            continue
        notice = _date(ato["notice_given_on"])
        term, _ = ato_term(ato, book)
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
